// The remediation workflow as the web app shows it: the words for statuses, stages, decisions and scopes, the SLA in
// words, who may change a decision, and expiry dates. The values are the API's (typed from @vulnsync/api); the
// Record types make the type check fail when the server adds a value the app has no words for.
import type { Decision, DecisionKind, DecisionScope, IssueStatus, Role, Sla, Stage } from './api.ts'

export const STATUS_LABEL: Record<IssueStatus, string> = {
  open: 'Open',
  fixed: 'Fixed',
  excluded: 'Excluded',
  accepted: 'Risk accepted',
  false_positive: 'False positive',
  not_affected: 'Not affected',
}

export const STAGE_LABEL: Record<Stage, string> = {
  new: 'New',
  triaged: 'Triaged',
  in_progress: 'In progress',
  fix_proposed: 'Fix proposed',
  fix_merged: 'Fix merged',
}
export const STAGES = Object.keys(STAGE_LABEL) as Stage[]

export const DECISION_LABEL: Record<DecisionKind, string> = {
  accepted: 'Risk accepted',
  false_positive: 'False positive',
  not_affected: 'Not affected',
}
export const DECISION_KINDS = Object.keys(DECISION_LABEL) as DecisionKind[]
/** the status filter's value for "any decision" */
export const ANY_DECISION = DECISION_KINDS.join(',')

export const DECISION_HELP: Record<DecisionKind, string> = {
  accepted: 'The risk is known and accepted until a date; the issue reopens then.',
  false_positive: 'The scanner is wrong: the package or version is not what it reports.',
  not_affected: 'The vulnerable code is there but cannot be exploited here (a VEX statement).',
}

export const SCOPE_LABEL: Record<DecisionScope, string> = {
  issue: 'This issue',
  cve_in_target: 'This CVE in this target',
  cve_everywhere: 'This CVE everywhere',
}

/** The CycloneDX / OpenVEX justifications of `not_affected`, as the server accepts them. */
export const VEX_LABEL: Record<string, string> = {
  component_not_present: 'Component not present',
  vulnerable_code_not_present: 'Vulnerable code not present',
  vulnerable_code_not_in_execute_path: 'Vulnerable code not in execute path',
  vulnerable_code_cannot_be_controlled_by_adversary: 'Vulnerable code cannot be controlled by an adversary',
  inline_mitigations_already_exist: 'Inline mitigations already exist',
}
export const VEX_JUSTIFICATIONS = Object.keys(VEX_LABEL)

/** the longest comment the server takes */
export const MAX_COMMENT = 10_000

export const statusLabel = (s: string): string => STATUS_LABEL[s as IssueStatus] ?? s
export const stageLabel = (s: string): string => STAGE_LABEL[s as Stage] ?? s

export const SLA_STATE_LABEL: Record<Sla['state'], string> = {
  ok: 'On track',
  due_soon: 'Due soon',
  breached: 'Breached',
}

/** "3 days left", "due today", "2 days overdue" (daysLeft is negative once breached). */
export function daysLeftText(daysLeft: number): string {
  if (daysLeft === 0) return 'due today'
  const n = Math.abs(daysLeft)
  const days = `${n} day${n === 1 ? '' : 's'}`
  return daysLeft > 0 ? `${days} left` : `${days} overdue`
}

/** An SLA in words, for a screen reader or a tooltip. */
export function slaText(sla: Sla | null, open: boolean): string {
  if (!sla) return 'No SLA at this level'
  if (!open && sla.metSla !== undefined) return sla.metSla ? 'Closed within its SLA' : 'Closed after its SLA'
  return `${SLA_STATE_LABEL[sla.state]}: ${daysLeftText(sla.daysLeft)}`
}

/** Only the decision's author or an admin may extend, reword, mark reviewed or revoke it (the server enforces it). */
export const canChangeDecision = (me: { id: string | null; role: Role }, d: Pick<Decision, 'createdById'>): boolean =>
  me.role === 'admin' || (me.role === 'member' && me.id !== null && d.createdById === me.id)

const DAY = 86_400_000

/** A date input's value (yyyy-mm-dd, local) for a day offset from today. */
export function dateInput(daysFromToday: number, today = new Date()): string {
  const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + daysFromToday)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/**
 * The instant an expiry picked as a day means: the start of that day, local time. The latest day the picker offers
 * (today + the policy's maximum) then stays inside the maximum, which the server counts from now.
 */
export function expiryInstant(day: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (!m) return null
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** Whole days from now to an instant, rounded down (negative in the past). */
export const daysUntil = (iso: string, now = Date.now()): number => Math.floor((new Date(iso).getTime() - now) / DAY)
