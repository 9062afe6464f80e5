// Severity and status badges: a word and a colour, never colour alone.
import type { RunStatus, Severity } from '../api.ts'
import { cap } from '../format.ts'

export function SeverityBadge({ severity, prefix }: { severity: Severity | string; prefix?: string }) {
  return (
    <span className={`sev sev-${severity}`} data-level={severity}>
      {prefix ? <span className="visually-hidden">{prefix} </span> : null}
      {cap(severity)}
    </span>
  )
}

const RUN_TONE: Record<string, string> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'ok',
  failed: 'bad',
  partial: 'warn',
  cancelled: 'neutral',
  held: 'warn',
  active: 'ok',
  error: 'bad',
  open: 'bad-soft',
  fixed: 'ok',
  dismissed: 'neutral',
  present: 'info',
  absent: 'neutral',
  excluded: 'neutral',
  accepted: 'warn',
  false_positive: 'neutral',
  not_affected: 'neutral',
}

export function StatusBadge({ status, label }: { status: RunStatus | string; label?: string }) {
  return (
    <span className={`status status-${RUN_TONE[status] ?? 'neutral'}`}>
      <span className="status-dot" aria-hidden="true" />
      {label ?? cap(status)}
    </span>
  )
}
