import {
  addStageTime,
  type ConnectorContext,
  isSkip,
  type Logger,
  type RepositoryRecord,
  type SourceConnector,
  stageTimers,
} from '@vulnsync/core'
import type { BatchWriter } from './batch-writer.ts'
import { occurrencesOf, storedRecord } from './prepare.ts'
import type { RunState } from './run-state.ts'

export class ShutdownError extends Error {
  constructor() {
    super('vulnsync is shutting down: the run will resume from its last checkpoint')
  }
}

/**
 * Streams a connector's read into the batch writer: each record through the connector's pure `map` (a record that
 * cannot be mapped is skipped and counted, never fatal), skips counted by reason, checkpoints handed on, scopes read
 * completely or not remembered for resolution.
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
  const { counts, progress } = state
  const fetchedAt = now()
  // stage timers (benchmarks only): the time between events is the connector's (paging, parsing, validation)
  let tEvent = stageTimers.on ? performance.now() : 0
  for await (const ev of connector.read(ctx as any, input as any)) {
    if (stageTimers.on) addStageTime('engine.awaitConnector', tEvent)
    if (signal.aborted) throw signal.reason ?? new ShutdownError()
    switch (ev.type) {
      case 'record': {
        counts.fetched++
        progress.records = counts.fetched
        let mapped: ReturnType<typeof connector.map>
        const t0 = stageTimers.on ? performance.now() : 0
        try {
          mapped = connector.map(ev.raw, { fetchedAt })
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'a record could not be mapped; skipped')
          state.skip('invalid_record')
          break
        }
        if (stageTimers.on) addStageTime('engine.map', t0)
        const t1 = stageTimers.on ? performance.now() : 0
        if (connector.role === 'scm') {
          if ('skip' in (mapped as object)) state.skip((mapped as { skip: string }).skip)
          else writer.addRepository(mapped as RepositoryRecord)
        } else if (isSkip(mapped as any)) {
          state.skip((mapped as { skip: string }).skip)
        } else {
          const rows = occurrencesOf(mapped as any[], storedRecord(ev), ev.scope, (err) => {
            log.warn({ err: err.message }, 'a finding was unusable; skipped')
            state.skip('invalid_record')
          })
          for (const row of rows) writer.addOccurrence(row)
        }
        if (stageTimers.on) addStageTime('engine.prepare', t1)
        const t2 = stageTimers.on ? performance.now() : 0
        if (writer.full) await writer.startFlush()
        else await state.write()
        if (stageTimers.on) addStageTime('engine.awaitWrites', t2)
        break
      }
      case 'checkpoint': {
        const t0 = stageTimers.on ? performance.now() : 0
        await writer.checkpoint(ev.cursor)
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
