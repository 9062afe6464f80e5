// A running sync's progress (pages, records, the pause a rate limit imposes): on the Hub and in the sync history.
import type { Run } from '../api.ts'
import { fmtNumber } from '../format.ts'
import { Icon } from './icon.tsx'

export function RunProgress({ run, now }: { run: Run; now: number }) {
  const p = run.progress ?? {}
  const paused = p.pausedUntil ? new Date(p.pausedUntil).getTime() : 0
  if (run.status === 'queued' && !run.startedAt)
    return <span className="progress-text">Queued, waiting for a worker…</span>
  const total = typeof p.total === 'number' && p.total > 0 ? p.total : null
  const records = p.records ?? 0
  const isPaused = paused > now
  return (
    <span className="progress-block">
      <span className="progress-text" role="status">
        {isPaused ? (
          <span className="paused">
            <Icon name="pause" /> Paused for{' '}
            {!p.message || /rate|429|limit/i.test(p.message)
              ? "the scanner's rate limit"
              : 'a temporary upstream error'}
            , resuming in {Math.ceil((paused - now) / 1000)} s ·{' '}
          </span>
        ) : (
          <span className="pulse" aria-hidden="true" />
        )}
        Page {fmtNumber(p.pages ?? 0)} · {fmtNumber(records)}
        {total ? ` of ${fmtNumber(total)}` : ''} records
        {p.message && !isPaused ? ` · ${p.message}` : ''}
      </span>
      {total ? (
        <progress className="progress-bar" max={total} value={Math.min(records, total)} aria-label="Sync progress" />
      ) : null}
    </span>
  )
}
