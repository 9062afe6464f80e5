import {
  addStageTime,
  type ConnectorContext,
  isSkip,
  type Logger,
  type RepositoryRecord,
  type SourceConnector,
  stageTimers,
} from '@vulnsync/core'
import type { SeenRecords } from '@vulnsync/db'
import type { BatchWriter } from './batch-writer.ts'
import { type DigestedRecord, digestRecord, occurrencesOf } from './prepare.ts'
import type { RunState } from './run-state.ts'

export class ShutdownError extends Error {
  constructor() {
    super('vulnsync is shutting down: the run will resume from its last checkpoint')
  }
}

type RecordEvent = { raw: unknown; scope?: string; text?: string }

/** The longest records and checkpoints are held before they are looked up (the chunk may not be full). */
const HOLD_MS = 1_000

/** A record or a checkpoint read while records before it wait for their digests to be looked up, in read order. */
type Held = { record: RecordEvent; digested: DigestedRecord } | { cursor: unknown }

/**
 * The records of a re-sync wait here in chunks while their digests are looked up (markSeenRecords): those read
 * again as they were stored are marked seen and never mapped; the others, and the checkpoints between them, go on to
 * the batch writer in the order they were read. The lookups of up to `inFlight` chunks run while the next is read
 * (on PostgreSQL as many as the writer's batches: each on its own connection).
 */
class SeenRecordsLookup {
  private held: Held[] = []
  private records = 0
  // when the first item held was read: a slow upstream does not hold its records and checkpoints back for long
  private heldSince = 0
  // oldest first
  private looking: { held: Held[]; confirmed: Promise<SeenRecords> }[] = []

  constructor(
    private readonly writer: BatchWriter,
    private readonly state: RunState,
    private readonly pass: (record: RecordEvent, digested: DigestedRecord) => Promise<void>,
    private readonly inFlight: number,
    private readonly chunk = 1_000,
  ) {}

  async add(item: Held) {
    if (this.held.length === 0) this.heldSince = Date.now()
    this.held.push(item)
    if ('digested' in item) this.records++
    if (this.records >= this.chunk || Date.now() - this.heldSince >= HOLD_MS) await this.next()
  }

  /** starts looking up the chunk held, once fewer than `inFlight` are (the oldest settled first) */
  async next() {
    while (this.looking.length >= this.inFlight) await this.settle()
    const held = this.held
    this.held = []
    this.records = 0
    const digests = held.flatMap((h) => ('digested' in h ? [h.digested.digest] : []))
    const confirmed = this.writer.markSeen(digests)
    // a failure surfaces when the chunk is settled; until then it is not reported as unhandled
    confirmed.catch(() => {})
    this.looking.push({ held, confirmed })
  }

  /** every record held is marked seen or passed on, every checkpoint passed on */
  async drain() {
    await this.next()
    while (this.looking.length > 0) await this.settle()
  }

  /** the oldest chunk looked up: its records marked seen counted, the others and its checkpoints passed on */
  private async settle() {
    const looking = this.looking.shift()
    if (!looking) return
    const confirmed = await looking.confirmed
    const { counts } = this.state
    const counted = new Set<string>()
    for (const h of looking.held) {
      if (!('digested' in h)) {
        await this.writer.checkpoint(h.cursor)
        continue
      }
      const { digest } = h.digested
      const seen = confirmed.get(digest)
      // a record whose key is still to be written in this run (read before, in another version) is written after it
      if (seen && !this.writer.holds(seen.sourceKey)) {
        if (counted.has(digest)) continue
        counted.add(digest)
        counts.unchanged += seen.rows
        counts.unmatched += seen.unmatched
      } else await this.pass(h.record, h.digested)
    }
  }
}

/**
 * Streams a connector's read into the batch writer: each record through the connector's pure `map` (a record that
 * cannot be mapped is skipped and counted, never fatal), skips counted by reason, checkpoints handed on, scopes read
 * completely or not remembered for resolution. A scanner's record read again as it was stored (its digest: prepare.ts)
 * is marked seen instead of mapped, once the connection has digests stored.
 */
export const readIntoBatches = async (
  connector: SourceConnector,
  ctx: ConnectorContext<unknown, unknown>,
  input: { selection: string[] | null; cursor: unknown },
  writer: BatchWriter,
  state: RunState,
  log: Logger,
  signal: AbortSignal,
  now: () => Date,
): Promise<void> => {
  const fetchedAt = now()
  const scanner = connector.role !== 'scm'

  /** maps one record and hands its rows (or repository) to the writer; a scanner's are stored as it was digested */
  const pass = async (ev: RecordEvent, digested: DigestedRecord | null) => {
    let mapped: ReturnType<typeof connector.map>
    const t0 = stageTimers.on ? performance.now() : 0
    try {
      mapped = connector.map(ev.raw, { fetchedAt })
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'a record could not be mapped; skipped')
      state.skip('invalid_record')
      return
    }
    if (stageTimers.on) addStageTime('engine.map', t0)
    const t1 = stageTimers.on ? performance.now() : 0
    if (!scanner) {
      if ('skip' in (mapped as object)) state.skip((mapped as { skip: string }).skip)
      else writer.addRepository(mapped as RepositoryRecord)
    } else if (isSkip(mapped as any)) {
      state.skip((mapped as { skip: string }).skip)
    } else {
      const rows = occurrencesOf(
        mapped as any[],
        digested?.record ?? ev.raw,
        ev.scope,
        (err) => {
          log.warn({ err: err.message }, 'a finding was unusable; skipped')
          state.skip('invalid_record')
        },
        digested?.digest ?? null,
      )
      for (const row of rows) writer.addOccurrence(row)
    }
    if (stageTimers.on) addStageTime('engine.prepare', t1)
    const t2 = stageTimers.on ? performance.now() : 0
    if (writer.full) await writer.startFlush()
    else await state.write()
    if (stageTimers.on) addStageTime('engine.awaitWrites', t2)
  }

  // a first sync has no digests to look up: its records go straight on
  const lookup =
    scanner && (await writer.knowsDigests())
      ? new SeenRecordsLookup(writer, state, pass, writer.writesInFlight)
      : undefined

  /** the connector's events, in the order read */
  const readAll = async () => {
    const { counts, progress } = state
    // stage timers (benchmarks only): the time between events is the connector's (paging, parsing, validation)
    let tEvent = stageTimers.on ? performance.now() : 0
    for await (const ev of connector.read(ctx as any, input as any)) {
      if (stageTimers.on) addStageTime('engine.awaitConnector', tEvent)
      if (signal.aborted) throw signal.reason ?? new ShutdownError()
      switch (ev.type) {
        case 'record': {
          counts.fetched++
          progress.records = counts.fetched
          if (!scanner) {
            await pass(ev, null)
            break
          }
          const t0 = stageTimers.on ? performance.now() : 0
          const digested = digestRecord(connector.kind, ev)
          if (stageTimers.on) addStageTime('engine.digest', t0)
          if (lookup) {
            await lookup.add({ record: ev, digested })
            // the progress of what is read, as pass stores it
            await state.write()
          } else await pass(ev, digested)
          break
        }
        case 'checkpoint': {
          const t0 = stageTimers.on ? performance.now() : 0
          if (lookup) await lookup.add({ cursor: ev.cursor })
          else await writer.checkpoint(ev.cursor)
          if (stageTimers.on) addStageTime('engine.awaitWrites', t0)
          break
        }
        case 'skip':
          state.skip(ev.reason, ev.count ?? 1)
          break
        case 'scope-complete':
          state.complete.add(ev.scope)
          break
        case 'incomplete':
          state.incomplete.add(ev.scope)
          log.warn(
            { scope: ev.scope, reason: ev.reason },
            'a location could not be read completely; its findings are kept as they were',
          )
          break
        case 'warning':
          log.warn({ code: ev.code }, ev.message)
          break
      }
      if (stageTimers.on) tEvent = performance.now()
    }
  }

  try {
    await readAll()
  } catch (err) {
    // what was read before a failure or a shutdown is kept (marked or handed on), as the writer keeps what it holds
    await lookup?.drain().catch(() => {})
    throw err
  }
  await lookup?.drain()
}
