import {
  type CheckResult,
  type ReadEvent,
  type ScannerConnector,
  type ScmConnector,
  UpstreamError,
} from '@vulnsync/core'
import type { Simulator } from '@vulnsync/simulators/kit/server.ts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createConnectorContext } from './context.ts'

/** A connection to a simulator: the validated configuration and the credentials. */
export interface Connection<Config, Secrets> {
  config: Config
  secrets: Secrets
}

/**
 * How a connector meets its simulator in the contract suite. The simulator holds enough data for a read of at least
 * two pages (so there is a checkpoint to resume from); `says` is what the check answers, in the connector's own words
 * (taken from its `words.ts`): an exact text, or a pattern where the text carries a host, a count or a vendor's
 * message.
 */
export interface ContractSimulator<Config, Secrets, Raw, Sim extends Simulator = Simulator> {
  start(): Promise<Sim>
  /** working credentials */
  connection(sim: Sim): Connection<Config, Secrets>
  /** credentials the vendor rejects (HTTP 401) */
  unauthorised(sim: Sim): Connection<Config, Secrets>
  /** credentials it accepts that may not read what the connector needs (HTTP 403, or the vendor's refusal) */
  forbidden(sim: Sim): Connection<Config, Secrets>
  /** a connection to a host where nothing listens */
  unreachable(): Connection<Config, Secrets>
  says: Record<'ok' | 'unauthorised' | 'forbidden' | 'unreachable', string | RegExp>
  /** what identifies a record, to compare a resumed read with a whole one */
  recordId(raw: Raw): string
  /** a record `map` must skip (made from one the read returned), and the reason it must give */
  unmappable(records: Raw[]): { raw: Raw; reason: string }
}

type Connector<Config, Secrets, Raw, Cursor> =
  | ScannerConnector<string, Config, Secrets, Raw, Cursor>
  | ScmConnector<string, Config, Secrets, Raw, Cursor>

const matches = (text: string, expected: string | RegExp) =>
  typeof expected === 'string' ? expect(text).toBe(expected) : expect(text).toMatch(expected)

/**
 * The contract every connector passes against its simulator: its check answers ok / 401 / 403 / unreachable in its
 * own words (never by throwing), discover lists locations, read honours abort and resumes from a checkpoint without
 * losing or repeating a record, and map is pure and skips with a reason.
 */
export const describeConnectorContract = <Config, Secrets, Raw, Cursor, Sim extends Simulator>(
  connector: Connector<Config, Secrets, Raw, Cursor>,
  simulator: ContractSimulator<Config, Secrets, Raw, Sim>,
) =>
  describe(`the connector contract: ${connector.kind}`, () => {
    let sim: Sim
    beforeAll(async () => {
      sim = await simulator.start()
    })
    afterAll(async () => {
      await sim?.close()
    })
    beforeEach(() => {
      sim.setFaults({})
    })

    const contextFor = (c: Connection<Config, Secrets>, signal?: AbortSignal) =>
      createConnectorContext<Config, Secrets>({
        ...c,
        baseUrl: connector.baseUrl(c.config),
        allowPrivateNetworks: true,
        sleep: async () => {},
        ...(signal ? { signal } : {}),
      })
    const check = (c: Connection<Config, Secrets>): Promise<CheckResult> => connector.check(contextFor(c))
    const readAll = async (cursor: Cursor | null) => {
      const events: ReadEvent<Raw, Cursor>[] = []
      for await (const e of connector.read(contextFor(simulator.connection(sim)), { selection: null, cursor }))
        events.push(e)
      return events
    }
    const idsOf = (events: ReadEvent<Raw, Cursor>[]) =>
      events.flatMap((e) => (e.type === 'record' ? [simulator.recordId(e.raw)] : []))

    it('check: working credentials connect, in the connector’s words', async () => {
      const r = await check(simulator.connection(sim))
      expect(r.ok).toBe(true)
      matches(r.message, simulator.says.ok)
    })

    it('check: rejected credentials (401) answer auth, in the connector’s words', async () => {
      const r = await check(simulator.unauthorised(sim))
      expect(r).toMatchObject({ ok: false, code: 'auth' })
      matches(r.message, simulator.says.unauthorised)
    })

    it('check: credentials without the read permission (403) answer permission, in the connector’s words', async () => {
      const r = await check(simulator.forbidden(sim))
      expect(r).toMatchObject({ ok: false, code: 'permission' })
      matches(r.message, simulator.says.forbidden)
    })

    it('check: an unreachable host answers unreachable, in the connector’s words', async () => {
      const r = await check(simulator.unreachable())
      expect(r).toMatchObject({ ok: false, code: 'unreachable' })
      matches(r.message, simulator.says.unreachable)
    })

    it('discover: lists the locations the credentials can see, each with a unique id, a name and a kind', async () => {
      expect(connector.discover).toBeDefined()
      const locations = []
      for await (const l of connector.discover!(contextFor(simulator.connection(sim)))) locations.push(l)
      expect(locations.length).toBeGreaterThan(0)
      expect(new Set(locations.map((l) => l.id)).size).toBe(locations.length)
      for (const l of locations) {
        expect(l.name).toBeTruthy()
        expect(['repository', 'project', 'application', 'registry', 'namespace', 'organization']).toContain(l.kind)
      }
    })

    it('read: stops at the abort, with an error and no request after it', async () => {
      const abort = new AbortController()
      const it = connector
        .read(contextFor(simulator.connection(sim), abort.signal), { selection: null, cursor: null })
        [Symbol.asyncIterator]()
      let records = 0
      for (;;) {
        const next = await it.next()
        expect(next.done).toBe(false)
        if (next.value.type === 'record') records++
        if (next.value.type === 'checkpoint') break
      }
      expect(records).toBeGreaterThan(0)
      const requests = sim.stats.requests
      abort.abort()
      const rest = (async () => {
        for (;;) if ((await it.next()).done) return
      })()
      await expect(rest).rejects.toSatisfy((e) => e instanceof UpstreamError && e.kind === 'aborted')
      expect(sim.stats.requests).toBe(requests)
    })

    it('read: resumes from a checkpoint with the records after it, none lost and none twice', async () => {
      const all = await readAll(null)
      const at = all.findIndex((e) => e.type === 'checkpoint')
      expect(at).toBeGreaterThan(0)
      const before = idsOf(all.slice(0, at))
      const cursor = JSON.parse(JSON.stringify((all[at] as { cursor: Cursor }).cursor)) as Cursor
      const after = idsOf(await readAll(cursor))
      expect(after.length).toBeGreaterThan(0)
      expect(after.filter((id) => before.includes(id))).toEqual([])
      expect([...before, ...after].sort()).toEqual(idsOf(all).sort())
    })

    it('map: is pure, and skips what it cannot import with a reason', async () => {
      const records = (await readAll(null)).flatMap((e) => (e.type === 'record' ? [e.raw] : []))
      const fetchedAt = new Date('2026-01-01T00:00:00Z')
      for (const raw of records.slice(0, 200)) {
        const copy = structuredClone(raw)
        const first = connector.map(raw as never, { fetchedAt })
        expect(connector.map(raw as never, { fetchedAt })).toEqual(first)
        expect(raw).toEqual(copy)
      }
      const { raw, reason } = simulator.unmappable(records)
      expect(connector.map(raw as never, { fetchedAt })).toMatchObject({ skip: reason })
    })
  })
