// The workflow's badges: an issue's status in words, its stage, and its SLA (a word and a colour, never colour alone).
import type { Sla } from '../api.ts'
import { fmtDate, fmtDateTime } from '../format.ts'
import { daysLeftText, SLA_STATE_LABEL, slaText, stageLabel, statusLabel } from '../workflow.ts'
import { StatusBadge } from './badges.tsx'

export function IssueStatusBadge({ status }: { status: string }) {
  return <StatusBadge status={status} label={statusLabel(status)} />
}

export function StageBadge({ stage }: { stage: string }) {
  return (
    <span className={`stage stage-${stage}`}>
      <span className="visually-hidden">Stage: </span>
      {stageLabel(stage)}
    </span>
  )
}

/**
 * An issue's SLA: for an open issue its state and days left (breached in red, due soon in amber) over the due date;
 * for a closed one whether it met the due date; "No SLA" when its level has none. `compact` (the queue's rows) puts
 * the days in the badge as "Breached · 3 d".
 */
export function SlaBadge({ sla, open, compact }: { sla: Sla | null; open: boolean; compact?: boolean }) {
  if (!sla) return <span className="muted small">No SLA</span>
  const closed = !open && sla.metSla !== undefined
  const tone = closed ? (sla.metSla ? 'met' : 'missed') : sla.state
  const days = Math.abs(sla.daysLeft)
  return (
    <span className="sla-cell" title={`${slaText(sla, open)}, due ${fmtDateTime(sla.dueAt)}`}>
      <span className={`sla sla-${tone}`} data-sla={tone}>
        {closed ? (sla.metSla ? 'Met SLA' : 'Missed SLA') : SLA_STATE_LABEL[sla.state]}
        {compact && !closed ? (
          <>
            {' · '}
            {days}
            <span aria-hidden="true"> d</span>
            <span className="visually-hidden"> {daysLeftText(sla.daysLeft).replace(/^\d+ /, '')}</span>
          </>
        ) : null}
      </span>
      <span className="sla-when">
        {closed || compact ? null : (
          <>
            <span className={`sla-days sla-days-${sla.state}`}>{daysLeftText(sla.daysLeft)}</span>
            {' · '}
          </>
        )}
        <span className="muted">due {fmtDate(sla.dueAt)}</span>
      </span>
    </span>
  )
}
