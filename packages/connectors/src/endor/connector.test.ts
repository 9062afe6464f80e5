import { isSkip, type ReadEvent, UpstreamError } from '@vulnsync/core'
import { startSimulator } from '@vulnsync/simulators'
import {
  type EndorSimulator,
  type EndorSimulatorOptions,
  expectedEndorImport,
  startEndorSimulator,
} from '@vulnsync/simulators/endor/index.ts'
import { afterEach, describe, expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import { jwtExpiry, tokenExpiry } from './client.ts'
import { endorConnector } from './index.ts'
import type { EndorRaw } from './raw.ts'
import type { EndorCursor } from './read.ts'
import { words as messages } from './words.ts'

const KEY = { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' }
const sims: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  while (sims.length) await sims.pop()!.close()
})

const start = async (opts: EndorSimulatorOptions = {}): Promise<EndorSimulator> => {
  const sim = await startEndorSimulator({ findings: 1500, ...opts })
  sims.push(sim)
  return sim
}

interface CtxOpts {
  namespace?: string
  secrets?: typeof KEY
  now?: () => Date
  progress?: (p: any) => void
  sleeps?: number[]
}
const ctxFor = (url: string, o: CtxOpts = {}) =>
  createConnectorContext({
    config: { namespace: o.namespace ?? 'acme', baseUrl: url },
    secrets: o.secrets ?? KEY,
    allowPrivateNetworks: true,
    sleep: async (ms) => {
      o.sleeps?.push(ms)
    },
    now: o.now,
    progress: o.progress,
  })

interface ReadResult {
  records: Array<{ raw: EndorRaw; scope?: string; text?: string }>
  checkpoints: EndorCursor[]
  events: Array<ReadEvent<EndorRaw, EndorCursor>>
  mapped: number
  skips: Record<string, number>
  /** event types in order */
  order: string[]
}
const collect = async (
  ctx: ReturnType<typeof ctxFor>,
  selection: string[] | null = null,
  cursor: EndorCursor | null = null,
  stopAfterCheckpoints = Infinity,
): Promise<ReadResult> => {
  const out: ReadResult = { records: [], checkpoints: [], events: [], mapped: 0, skips: {}, order: [] }
  for await (const ev of endorConnector.read(ctx, { selection, cursor })) {
    if (out.order.at(-1) !== ev.type) out.order.push(ev.type)
    if (ev.type === 'record') {
      out.records.push({ raw: ev.raw, scope: ev.scope, text: ev.text })
      const r = endorConnector.map(ev.raw, { fetchedAt: new Date() })
      if (isSkip(r)) out.skips[r.skip] = (out.skips[r.skip] ?? 0) + 1
      else out.mapped += r.length
    } else if (ev.type === 'checkpoint') {
      out.checkpoints.push(ev.cursor)
      if (out.checkpoints.length >= stopAfterCheckpoints) break
    } else out.events.push(ev)
  }
  return out
}
const readError = async (p: Promise<unknown>): Promise<UpstreamError> => {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(UpstreamError)
    return e as UpstreamError
  }
  throw new Error('expected the read to fail')
}

describe('endor read against the simulator', () => {
  it('reads every main-branch vulnerability finding of the namespace and its children', async () => {
    const sim = await start()
    const r = await collect(ctxFor(sim.url))
    const exp = expectedEndorImport(sim.dataset)
    expect(r.records.length).toBe(exp.listed)
    expect(new Set(r.records.map((x) => x.raw.finding.uuid)).size).toBe(exp.listed)
    expect(r.mapped).toBe(exp.mapped)
    expect(r.skips).toEqual({ no_cve: exp.noCve })
    expect(new Set(r.records.map((x) => x.raw.finding.tenant_meta?.namespace))).toEqual(
      new Set(['acme', 'acme.backend', 'acme.frontend', 'acme.frontend.web']),
    )
    expect(r.records.every((x) => x.scope === x.raw.finding.spec.project_uuid && x.raw.project?.uuid === x.scope)).toBe(
      true,
    )
    expect(r.events.filter((e) => e.type === 'incomplete' || e.type === 'warning')).toEqual([])
    // what source_records keeps: the record as JSON, the finding as Endor sent it (not made again from the parsed one)
    for (const x of r.records) expect(JSON.parse(x.text!)).toEqual(JSON.parse(JSON.stringify(x.raw)))
    const first = r.records[0]!
    expect(first.text).toContain(`"finding":${JSON.stringify(first.raw.finding)}`)
    // one project list per run; pages of 500
    expect(sim.stats.byRoute['GET /v1/namespaces/:ns/projects']).toBe(1)
    expect(r.checkpoints.map((c) => c.pageSize)).toEqual(r.checkpoints.map(() => 500))
    expect(r.checkpoints.at(-1)).toMatchObject({ chunk: 1, fetched: 0 })
  })

  it('reads a child namespace only when the connection names it', async () => {
    const sim = await start()
    const r = await collect(ctxFor(sim.url, { namespace: 'acme.frontend' }))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset, { namespace: 'acme.frontend' }).listed)
    expect(new Set(r.records.map((x) => x.raw.finding.tenant_meta?.namespace))).toEqual(
      new Set(['acme.frontend', 'acme.frontend.web']),
    )
  })

  it('sends the documented filter with traverse=true and page_id paging', async () => {
    const sim = await start({ findings: 1200 })
    const seen: string[] = []
    const spy = await startSimulator({
      name: 'spy',
      routes: [
        {
          method: 'POST',
          path: '/*',
          handler: async (req) => {
            const res = await fetch(`${sim.url}${req.path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: req.rawBody,
            })
            return { status: res.status, body: await res.json() }
          },
        },
        {
          method: 'GET',
          path: '/*',
          handler: async (req) => {
            seen.push(`${req.path}?${req.query.toString()}`)
            const res = await fetch(`${sim.url}${req.path}?${req.query.toString()}`, {
              headers: { authorization: String(req.headers.authorization) },
            })
            return { status: res.status, body: await res.json() }
          },
        },
      ],
    })
    sims.push(spy)
    await collect(ctxFor(spy.url))
    const findings = seen
      .filter((s) => s.includes('/findings?') && !s.includes('count=true'))
      .map((s) => new URLSearchParams(s.split('?')[1]))
    expect(findings[0]!.get('list_parameters.filter')).toBe(
      'context.type==CONTEXT_TYPE_MAIN and spec.finding_categories contains [FINDING_CATEGORY_VULNERABILITY]',
    )
    expect(findings[0]!.get('list_parameters.traverse')).toBe('true')
    expect(findings[0]!.get('list_parameters.page_size')).toBe('500')
    expect(findings[0]!.get('list_parameters.page_id')).toBeNull()
    expect(findings[1]!.get('list_parameters.page_id')).toMatch(/^6656[0-9a-f]{20}$/)
  })

  it('reads the last page right whether Endor omits the cursor or sends an empty page after it', async () => {
    const sim = await start({ faults: { lastPage: 'empty' } })
    const r = await collect(ctxFor(sim.url))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(r.events).toEqual([])
  })

  it('pages with page_token when Endor gives only next_page_token', async () => {
    const sim = await start({ faults: { cursorKind: 'token' } })
    const r = await collect(ctxFor(sim.url))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(r.checkpoints[0]).toMatchObject({ pageToken: 500, pageId: undefined })
  })

  it('reads only the selected projects, in chunks of 100', async () => {
    const sim = await start({ projects: 250, findings: 3000 })
    const chosen = Array.from({ length: 150 }, (_, i) => sim.dataset.projectUuid(i * 1 + 50))
    const r = await collect(ctxFor(sim.url), chosen)
    const exp = expectedEndorImport(sim.dataset, { projects: new Set(chosen) })
    expect(r.records.length).toBe(exp.listed)
    expect(r.records.every((x) => chosen.includes(x.scope!))).toBe(true)
    expect(new Set(r.checkpoints.map((c) => c.chunk))).toEqual(new Set([0, 1, 2]))
  })

  it('resumes from a checkpoint without reading a finding twice or missing one', async () => {
    const sim = await start({ findings: 3000 })
    const ctx = ctxFor(sim.url)
    const first = await collect(ctx, null, null, 2)
    const cursor = first.checkpoints[1]!
    expect(cursor.pageId).toBeTruthy()
    const rest = await collect(ctx, null, JSON.parse(JSON.stringify(cursor)))
    const all = [...first.records, ...rest.records].map((x) => x.raw.finding.uuid)
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBe(expectedEndorImport(sim.dataset).listed)
  })

  it('re-exchanges the key before the token runs out (4 h lifetime, fake clock)', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z')
    const sim = await start({ findings: 8000, now: () => clock })
    // every page takes 25 minutes of fake time: the 4 h token must be renewed about 30 min before it expires (the
    // next page is asked for while this one is read, so the list must last beyond 3 h 30 + one page)
    const r = await collect(
      ctxFor(sim.url, {
        now: () => new Date(clock),
        progress: (p) => {
          if (p.pages) clock += 25 * 60_000
        },
      }),
    )
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(sim.exchanges).toBeGreaterThanOrEqual(2)
    expect(sim.stats.statuses[401] ?? 0).toBe(0)
  })

  it('re-exchanges once when a token expires mid-sync (HTTP 401) and carries on', async () => {
    const sim = await start({ findings: 3000 })
    let pages = 0
    const r = await collect(
      ctxFor(sim.url, { progress: (p) => (p.pages && ++pages === 2 ? sim.expireTokens() : undefined) }),
    )
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(sim.stats.statuses[401]).toBe(1)
    expect(sim.exchanges).toBe(2)
  })

  it('accepts the expiry as expiration_time, or only in the JWT', async () => {
    for (const expiryField of ['expiration_time', 'none', 'both']) {
      const sim = await start({ findings: 600, faults: { expiryField } })
      const r = await collect(ctxFor(sim.url))
      expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
      expect(sim.exchanges).toBe(1)
    }
    const now = new Date('2025-01-01T00:00:00Z')
    const jwt = `x.${Buffer.from(JSON.stringify({ exp: 1735700000 })).toString('base64url')}.y`
    expect(jwtExpiry(jwt)?.toISOString()).toBe('2025-01-01T02:53:20.000Z')
    expect(tokenExpiry({ expirationTime: '2025-01-01T04:00:00.5Z' }, jwt, now)).toEqual({
      at: new Date('2025-01-01T04:00:00.500Z'),
      source: 'expirationTime',
    })
    expect(tokenExpiry({ expiration_time: '2025-01-01T03:00:00Z' }, jwt, now).source).toBe('expiration_time')
    expect(tokenExpiry({}, jwt, now).source).toBe('jwt')
    expect(tokenExpiry({}, 'opaque', now)).toEqual({ at: new Date('2025-01-01T04:00:00Z'), source: 'default' })
  })

  it('does not re-exchange before every call when the expiry it is given is already past (clock skew)', async () => {
    const sim = await start({ findings: 3000, now: () => Date.now() - 10 * 3600_000 })
    const r = await collect(ctxFor(sim.url))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(sim.exchanges).toBe(1)
  })

  it('fails clearly when the token is refused again right after a fresh exchange', async () => {
    const sim = await start({ findings: 3000 })
    let pages = 0
    const ctx = ctxFor(sim.url, {
      progress: (p) => (p.pages && ++pages === 1 ? sim.setFaults({ rejectTokens: true }) : undefined),
    })
    const e = await readError(collect(ctx))
    expect(e.kind).toBe('auth')
    expect(e.message).toBe(messages.tokenRejectedAgain(401))
    expect(sim.exchanges).toBe(2)
  })

  it('fails clearly when the key itself is revoked mid-sync', async () => {
    const sim = await start({ findings: 3000 })
    let pages = 0
    const ctx = ctxFor(sim.url, {
      progress: (p) => (p.pages && ++pages === 1 ? sim.setFaults({ rejectTokens: true, rejectKeys: true }) : undefined),
    })
    const e = await readError(collect(ctx))
    expect(e.kind).toBe('auth')
    expect(e.message).toBe(messages.keyRejected(401))
  })

  it('backs off through a 429 storm and reads everything', async () => {
    const sim = await start({ faults: { rateLimitNext: 12, retryAfterSeconds: 2 } })
    const sleeps: number[] = []
    const r = await collect(ctxFor(sim.url, { sleeps }))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(sim.stats.statuses[429]).toBe(12)
    expect(sleeps.length).toBeGreaterThanOrEqual(12)
    expect(sleeps.every((ms) => ms >= 2000)).toBe(true)
  })

  it('gives up on a 429 that never ends with a clear message', async () => {
    const sim = await start({ faults: { rateLimitEvery: 1, retryAfterSeconds: 1 } })
    const e = await readError(collect(ctxFor(sim.url)))
    expect(e.kind).toBe('rate_limited')
    expect(e.message).toBe(messages.rateLimited)
  })

  it('does not loop when Endor repeats a cursor, and leaves every project unresolved', async () => {
    const sim = await start({ findings: 3000, faults: { repeatCursorAt: 3 } })
    const r = await collect(ctxFor(sim.url))
    expect(sim.stats.byRoute['GET /v1/namespaces/:ns/findings']).toBeLessThan(10)
    expect(r.events.find((e) => e.type === 'warning')).toMatchObject({ code: 'repeated_cursor' })
    const incomplete = r.events.filter((e) => e.type === 'incomplete').map((e) => (e as any).scope)
    expect(new Set(incomplete)).toEqual(new Set(Array.from({ length: 12 }, (_, i) => sim.dataset.projectUuid(i))))
    // reported before the final checkpoint, so a resumed run still knows
    expect(r.order.slice(-3)).toEqual(['warning', 'incomplete', 'checkpoint'])
    expect(r.checkpoints.at(-1)).toMatchObject({ chunk: 1 })
  })

  it('leaves every project unresolved when the list ends short of what Endor counted', async () => {
    const sim = await start({ findings: 3000, faults: { endListAtPage: 2 } })
    const r = await collect(ctxFor(sim.url))
    expect(r.records.length).toBe(1000)
    expect(r.events.find((e) => e.type === 'warning')).toMatchObject({
      code: 'short_list',
      message: `Endor Labs counted ${expectedEndorImport(sim.dataset).listed} findings but the list ended after 1000`,
    })
    expect(r.events.filter((e) => e.type === 'incomplete').length).toBe(12)
  })

  it('halves the page size on "context deadline exceeded" and keeps the smaller size', async () => {
    const sim = await start({ faults: { deadlineAbovePageSize: 130 } })
    const r = await collect(ctxFor(sim.url))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
    expect(sim.stats.statuses[504]).toBe(4) // 500 → 250 → 125: twice for the projects list, twice for the findings
    expect(r.checkpoints[0]!.pageSize).toBe(125)
  })

  it('asks for the next findings page while the current one is processed, never more than one page ahead', async () => {
    const sim = await start({ findings: 3000 })
    const findingsCalls = () => (sim.stats.byRoute['GET /v1/namespaces/:ns/findings'] ?? 0) - 1 // less the count
    const seen: number[] = []
    let records = 0
    for await (const ev of endorConnector.read(ctxFor(sim.url), { selection: null, cursor: null })) {
      if (ev.type !== 'record') continue
      if (records === 0 || records === 500) {
        // the consumer takes its time with this page (a slow write): the next page is fetched meanwhile, only it
        await new Promise((r) => setTimeout(r, 300))
        seen.push(findingsCalls())
      }
      records++
    }
    expect(seen).toEqual([2, 3])
    expect(records).toBe(expectedEndorImport(sim.dataset).listed)
  })

  it('fails on an error of the page read ahead after every record and checkpoint of the page before it', async () => {
    // exchange, projects, count, findings page 1: then the key is revoked, so the page read ahead is refused
    const sim = await start({ findings: 3000, faults: { authFailAfter: 4 } })
    const out: string[] = []
    const read = async () => {
      for await (const ev of endorConnector.read(ctxFor(sim.url), { selection: null, cursor: null })) {
        if (ev.type === 'record') {
          if (out.at(-1) !== 'records') out.push('records')
        } else out.push(ev.type)
      }
    }
    const e = await readError(read())
    expect(e.kind).toBe('auth')
    expect(out).toEqual(['records', 'checkpoint'])
  })

  it('does not stop at an empty page in the middle of the list', async () => {
    const sim = await start({ findings: 3000, faults: { emptyPageAt: 2 } })
    const r = await collect(ctxFor(sim.url))
    expect(r.records.length).toBe(expectedEndorImport(sim.dataset).listed)
  })

  /** an Endor with one project (p1) and one page of findings, `page` (a value, or the text to send) */
  const oneProjectEndor = async (name: string, page: unknown) => {
    const project = {
      uuid: 'p1',
      tenant_meta: { namespace: 'acme' },
      meta: { name: 'https://github.com/acme/a.git' },
      spec: { git: { http_clone_url: 'https://github.com/acme/a.git' } },
    }
    const fake = await startSimulator({
      name,
      routes: [
        {
          method: 'POST',
          path: '/v1/auth/api-key',
          handler: () => ({ body: { token: 'a.b.c', expirationTime: new Date(Date.now() + 3600_000).toISOString() } }),
        },
        {
          method: 'GET',
          path: '/v1/namespaces/acme/projects',
          handler: () => ({ body: { list: { objects: [project], response: {} } } }),
        },
        {
          method: 'GET',
          path: '/v1/namespaces/acme/findings',
          handler: (req) =>
            req.query.get('list_parameters.count') ? { body: { count_response: { count: 3 } } } : { body: page },
        },
      ],
    })
    sims.push(fake)
    return fake
  }

  it('counts a malformed finding as invalid_record and keeps going', async () => {
    const good = {
      uuid: 'f1',
      tenant_meta: { namespace: 'acme' },
      context: { type: 'CONTEXT_TYPE_MAIN' },
      spec: {
        project_uuid: 'p1',
        finding_categories: ['FINDING_CATEGORY_VULNERABILITY'],
        extra_key: 'CVE-2024-0001',
        target_dependency_package_name: 'npm://a@1.0.0',
        level: 'FINDING_LEVEL_HIGH',
      },
    }
    const fake = await oneProjectEndor('endor-odd', {
      list: { objects: [good, { uuid: 'f2' }, 'nonsense'], response: { next_page_id: '' } },
    })
    const r = await collect(ctxFor(fake.url))
    expect(r.records.map((x) => x.raw.finding.uuid)).toEqual(['f1'])
    expect(r.events.find((e) => e.type === 'skip')).toMatchObject({ type: 'skip', reason: 'invalid_record', count: 2 })
    expect(r.mapped).toBe(1)
  })

  it('keeps each record as Endor sent it, and skips one that is not JSON without losing the rest of its page', async () => {
    const finding = (uuid: string, cve: string) =>
      `{ "uuid": "${uuid}",  "tenant_meta": {"namespace": "acme"}, "context": {"type": "CONTEXT_TYPE_MAIN"},
         "meta": {"description": "a \\"quoted\\" ] } text"},
         "spec": {"project_uuid": "p1", "finding_categories": ["FINDING_CATEGORY_VULNERABILITY"],
                  "extra_key": "${cve}", "target_dependency_package_name": "npm://a@1.0.0", "level": "FINDING_LEVEL_HIGH"} }`
    const fake = await oneProjectEndor(
      'endor-text',
      `{"list": {"objects": [
        ${finding('f1', 'CVE-2024-0001')},
        {"uuid": "f2", "spec": {"level": FINDING_LEVEL_HIGH}},
        ${finding('f3', 'CVE-2024-0003')}
      ], "response": {"next_page_id": ""}}}`,
    )
    const r = await collect(ctxFor(fake.url))
    expect(r.records.map((x) => x.raw.finding.uuid)).toEqual(['f1', 'f3'])
    expect(r.records[0]!.text).toBe(
      `{"finding":${finding('f1', 'CVE-2024-0001')},"project":${JSON.stringify(r.records[0]!.raw.project)},"appUrl":"https://app.endorlabs.com"}`,
    )
    expect(r.events.find((e) => e.type === 'skip')).toMatchObject({ type: 'skip', reason: 'invalid_record', count: 1 })
    expect(r.mapped).toBe(2)
  })
})

describe('endor check', () => {
  it('succeeds only after an authenticated list call in the namespace', async () => {
    const sim = await start()
    const res = await endorConnector.check(ctxFor(sim.url))
    expect(res).toEqual({
      ok: true,
      message: 'connected to Endor Labs namespace acme: 12 projects visible',
      details: { namespace: 'acme', projects: 12 },
    })
    expect(sim.stats.byRoute['GET /v1/namespaces/:ns/projects']).toBeGreaterThanOrEqual(1)
  })

  it('says the key or secret is wrong (HTTP 401)', async () => {
    const sim = await start()
    const res = await endorConnector.check(ctxFor(sim.url, { secrets: { ...KEY, apiSecret: 'endr+wrong' } }))
    expect(res).toEqual({
      ok: false,
      code: 'auth',
      message:
        'Endor Labs rejected the API key and secret (HTTP 401): verify both values and that the key has not expired or been revoked',
      hint: messages.keyRejectedHint,
    })
  })

  it('says the key has expired the same way (HTTP 401)', async () => {
    const sim = await start({
      keys: [{ key: 'endr+old', secret: 'endr+old-secret', namespace: 'acme', expired: true }],
    })
    const res = await endorConnector.check(
      ctxFor(sim.url, { secrets: { apiKey: 'endr+old', apiSecret: 'endr+old-secret' } }),
    )
    expect(res).toMatchObject({ ok: false, code: 'auth', message: messages.keyRejected(401) })
  })

  it('says the namespace is wrong or not granted (HTTP 403)', async () => {
    const sim = await start()
    expect(await endorConnector.check(ctxFor(sim.url, { namespace: 'globex' }))).toEqual({
      ok: false,
      code: 'permission',
      message:
        'the API key has no access to namespace globex (HTTP 403): check the namespace name and that the key was issued for it or for a parent namespace with "propagate to child namespaces"',
      hint: messages.namespaceDeniedHint,
    })
  })

  it('says a key issued for a child namespace cannot read the parent (HTTP 403)', async () => {
    const sim = await start({ keys: [{ key: 'endr+k', secret: 'endr+s', namespace: 'acme.backend', propagate: true }] })
    const res = await endorConnector.check(ctxFor(sim.url, { secrets: { apiKey: 'endr+k', apiSecret: 'endr+s' } }))
    expect(res).toMatchObject({ ok: false, code: 'permission', message: messages.namespaceDenied('acme') })
    expect(
      await endorConnector.check(
        ctxFor(sim.url, { namespace: 'acme.backend', secrets: { apiKey: 'endr+k', apiSecret: 'endr+s' } }),
      ),
    ).toMatchObject({ ok: true })
  })

  it('says Endor is unreachable', async () => {
    const sim = await start()
    const url = sim.url
    await sims.pop()!.close()
    const res = await endorConnector.check(ctxFor(url))
    expect(res).toMatchObject({ ok: false, code: 'unreachable' })
    expect(res.ok || res.message).toBe(
      `could not reach Endor Labs: could not reach ${new URL(url).host}: connection refused`,
    )
  })

  it('says the base URL is not Endor when there is no token exchange (HTTP 404)', async () => {
    const other = await startSimulator({ name: 'not-endor', routes: [] })
    sims.push(other)
    const res = await endorConnector.check(ctxFor(other.url))
    expect(res).toEqual({ ok: false, code: 'not_found', message: messages.noExchange(other.url) })
  })

  it('never counts a list call answered 401 as success', async () => {
    const sim = await start({ faults: { rejectTokens: true } })
    expect(await endorConnector.check(ctxFor(sim.url))).toMatchObject({
      ok: false,
      code: 'auth',
      message: messages.tokenRejectedAgain(401),
    })
  })
})

describe('endor discover', () => {
  it('lists every project of the namespace and its children with its repository URL', async () => {
    const sim = await start()
    const locs = []
    for await (const l of endorConnector.discover!(ctxFor(sim.url))) locs.push(l)
    expect(locs.length).toBe(12)
    expect(locs[0]).toEqual({
      id: sim.dataset.projectUuid(0),
      name: 'acme/service-0',
      kind: 'project',
      description: 'acme · https://github.com/acme/service-0.git',
      target: { kind: 'repository', name: 'acme/service-0', url: 'https://github.com/acme/service-0.git' },
      meta: {
        namespace: 'acme',
        platformSource: 'PLATFORM_SOURCE_GITHUB',
        url: 'https://github.com/acme/service-0.git',
      },
    })
    const sbom = locs.find((l) => l.name === 'acme-firmware-5')!
    expect(sbom.target).toBeUndefined()
    expect(locs.find((l) => l.id === sim.dataset.projectUuid(2))!.target).toEqual({
      kind: 'repository',
      name: 'acme/payments-2',
      url: 'https://github.com/Acme/Payments-2',
    })
  })
})
