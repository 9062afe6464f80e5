import type { PriorityCause } from './priority-history.ts'

/**
 * The remediation workflow of an issue: two fields and one transition function.
 *
 * - `status` says whether it is still a problem and, if not, why: `open`; `fixed` (a complete sync no longer reports
 *   it); `excluded` (its location is deselected); or a decision: `accepted`, `false_positive`, `not_affected`.
 * - `stage` says how far work on an open issue has come: `new → triaged → in_progress → fix_proposed → fix_merged`.
 *
 * Every change — from the API, a bulk action, a sync, the expiry job, a fix pull request, later Jira — goes through
 * `transition`. Evidence (what the scanners report) and decisions (what people decided) are inputs; the status is
 * derived from them with one precedence: a fix wins, then exclusion, then a valid decision, else open.
 */

export const ISSUE_STATUSES = ['open', 'fixed', 'excluded', 'accepted', 'false_positive', 'not_affected'] as const
export type IssueStatus = (typeof ISSUE_STATUSES)[number]

export const DECISION_KINDS = ['accepted', 'false_positive', 'not_affected'] as const
export type DecisionKind = (typeof DECISION_KINDS)[number]

export const STAGES = ['new', 'triaged', 'in_progress', 'fix_proposed', 'fix_merged'] as const
export type Stage = (typeof STAGES)[number]

/** CycloneDX / OpenVEX justifications of `not_affected`. */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number]

/** What a decision covers: this issue; this CVE in this target; this CVE everywhere in the workspace. */
export const DECISION_SCOPES = ['issue', 'cve_in_target', 'cve_everywhere'] as const
export type DecisionScope = (typeof DECISION_SCOPES)[number]

/** What the scanners say: still reported, verified gone by a complete sync, or out of the selected locations. */
export type Evidence = 'open' | 'fixed' | 'excluded'

export const isDecisionKind = (s: string): s is DecisionKind => (DECISION_KINDS as readonly string[]).includes(s)

/** The evidence an issue's status implies: a decided issue is still reported (else it would be fixed). */
export const evidenceOf = (status: IssueStatus): Evidence =>
  status === 'fixed' ? 'fixed' : status === 'excluded' ? 'excluded' : 'open'

/** The one precedence: a fix wins, then exclusion, then a valid decision, else open. */
export const statusFrom = (evidence: Evidence, decision: DecisionKind | null): IssueStatus =>
  evidence === 'fixed' ? 'fixed' : evidence === 'excluded' ? 'excluded' : (decision ?? 'open')

export interface WorkState {
  status: IssueStatus
  stage: Stage
  /** the kind of the valid decision covering the issue, if any (even while it is fixed: it covers a return) */
  decision: DecisionKind | null
}

export type WorkEvent =
  /** a sync recomputed what the scanners report */
  | { type: 'sync'; evidence: Evidence }
  /** a person (API, bulk action) moves the work along */
  | { type: 'set_stage'; stage: Stage }
  /** a decision now covers the issue (recorded for it, or a wider one that reaches it) */
  | { type: 'decision_applied'; kind: DecisionKind }
  /** the decision covering it ended; `next` is the kind of another valid decision that still covers it */
  | { type: 'decision_ended'; cause: 'revoked' | 'expired'; next: DecisionKind | null }
  /** a fix pull request was opened, merged, or closed without merging */
  | { type: 'fix_proposed' }
  | { type: 'fix_merged' }
  | { type: 'fix_abandoned' }

/** What changed, for the timeline. */
export type WorkChange =
  | {
      type: 'status'
      from: IssueStatus
      to: IssueStatus
      reason: 'fixed' | 'reopened' | 'excluded' | 'included' | 'decided' | 'decision_ended'
    }
  | { type: 'stage'; from: Stage; to: Stage }

export type TransitionResult =
  | { ok: true; state: WorkState; changes: WorkChange[]; reopened: boolean }
  | { ok: false; code: 'not_open'; message: string }

const statusReason = (
  from: IssueStatus,
  to: IssueStatus,
  event: WorkEvent,
): Extract<WorkChange, { type: 'status' }>['reason'] => {
  if (to === 'fixed') return 'fixed'
  if (to === 'excluded') return 'excluded'
  if (from === 'excluded') return 'included'
  if (isDecisionKind(to)) return 'decided'
  if (from === 'fixed') return 'reopened'
  return event.type === 'decision_ended' ? 'decision_ended' : 'reopened'
}

/**
 * The one transition function. Pure: the same state and event always give the same answer. Refuses only what a
 * person may not ask for (moving the stage of an issue that is not open); events from syncs and jobs always apply.
 */
export const transition = (s: WorkState, e: WorkEvent): TransitionResult => {
  let { status, stage, decision } = s
  switch (e.type) {
    case 'sync':
      status = statusFrom(e.evidence, decision)
      // back from verified-fixed with nothing covering it: a reopened issue needs triage again
      if (s.status === 'fixed' && status === 'open') stage = 'new'
      break
    case 'set_stage':
      if (s.status !== 'open')
        return {
          ok: false,
          code: 'not_open',
          message: `the issue is ${s.status.replace('_', ' ')}: stages apply to open issues only`,
        }
      stage = e.stage
      break
    case 'decision_applied':
      decision = e.kind
      status = statusFrom(evidenceOf(s.status), decision)
      break
    case 'decision_ended':
      decision = e.next
      status = statusFrom(evidenceOf(s.status), decision)
      // reopened by an expiry or a revocation: someone has to look at it again
      if (isDecisionKind(s.status) && status === 'open') stage = 'triaged'
      break
    case 'fix_proposed':
      if (s.status === 'open' && stage !== 'fix_merged') stage = 'fix_proposed'
      break
    case 'fix_merged':
      if (s.status === 'open') stage = 'fix_merged'
      break
    case 'fix_abandoned':
      if (s.status === 'open' && (stage === 'fix_proposed' || stage === 'fix_merged')) stage = 'triaged'
      break
    default: {
      const never: never = e
      throw new Error(`unknown workflow event ${JSON.stringify(never)}`)
    }
  }
  const changes: WorkChange[] = []
  if (status !== s.status)
    changes.push({ type: 'status', from: s.status, to: status, reason: statusReason(s.status, status, e) })
  if (stage !== s.stage) changes.push({ type: 'stage', from: s.stage, to: stage })
  const reopened = s.status === 'fixed' && status === 'open'
  return { ok: true, state: { status, stage, decision }, changes, reopened }
}

// ------------------------------------------------------------------ decisions

export interface DecisionPolicy {
  /** the longest an acceptance may last, in days (default 90) */
  maxAcceptanceDays: number
}

export interface DecisionInput {
  kind: DecisionKind
  reason: string
  justification?: string | null | undefined
  expiresAt?: Date | null | undefined
}

/** Why a decision cannot be recorded as asked (field and message), or null when it can. Pure. */
export const validateDecision = (
  d: DecisionInput,
  policy: DecisionPolicy,
  now: Date,
): { field: string; message: string } | null => {
  if (!d.reason.trim()) return { field: 'reason', message: 'a decision needs a reason' }
  if (d.kind === 'accepted' && !d.expiresAt)
    return { field: 'expiresAt', message: 'a risk acceptance needs an expiry date (expiresAt)' }
  if (
    d.kind === 'not_affected' &&
    d.justification &&
    !(VEX_JUSTIFICATIONS as readonly string[]).includes(d.justification)
  )
    return {
      field: 'justification',
      message: `a not_affected justification is one of ${VEX_JUSTIFICATIONS.join(', ')}`,
    }
  if (d.expiresAt) {
    if (d.expiresAt.getTime() <= now.getTime())
      return { field: 'expiresAt', message: 'the expiry must be in the future' }
    const max = now.getTime() + policy.maxAcceptanceDays * 86_400_000
    if (d.kind === 'accepted' && d.expiresAt.getTime() > max)
      return {
        field: 'expiresAt',
        message: `an acceptance may last at most ${policy.maxAcceptanceDays} days (until ${new Date(max).toISOString()}) under the policy`,
      }
  }
  return null
}

/** Of the valid decisions covering an issue, the one that governs it: the narrowest scope, then the newest. */
export const SCOPE_RANK: Record<DecisionScope, number> = { issue: 0, cve_in_target: 1, cve_everywhere: 2 }

// ------------------------------------------------------------------ SLA

export type SlaLevel = 'critical' | 'high' | 'medium' | 'low' | 'info'

export interface SlaPolicy {
  /** which level picks the days: the issue's priority (default) or its severity */
  basis: 'priority' | 'severity'
  /** days per level, or null for no SLA at that level */
  days: Record<SlaLevel, number | null>
  /** an open issue with less than this many days left is due soon (default 7) */
  dueSoonDays: number
  /** the longest a risk acceptance may last (default 90) */
  maxAcceptanceDays: number
}

export const DEFAULT_SLA_POLICY: SlaPolicy = {
  basis: 'priority',
  days: { critical: 7, high: 30, medium: 90, low: 180, info: null },
  dueSoonDays: 7,
  maxAcceptanceDays: 90,
}

/** The due date of an issue: its earliest scanner detection time + the policy's days × 24 h; null when no SLA. */
export const slaDueAt = (policy: SlaPolicy, level: SlaLevel, detectedAt: Date): Date | null => {
  const days = policy.days[level]
  return days === null || days === undefined ? null : new Date(detectedAt.getTime() + days * 86_400_000)
}

/** An issue's due date after its priority or severity was recomputed: an open one (or one without) gets the
 * policy's; a closed one keeps its own. */
export const slaDueAfter = (
  policy: SlaPolicy,
  status: IssueStatus,
  before: Date | null,
  after: { severity: SlaLevel; priority: SlaLevel; detectedAt: Date },
): Date | null =>
  status === 'open' || before === null
    ? slaDueAt(policy, policy.basis === 'severity' ? after.severity : after.priority, after.detectedAt)
    : before

export type SlaState = 'ok' | 'due_soon' | 'breached'

export interface SlaView {
  dueAt: string
  state: SlaState
  /** whole days left (to the nearest day); negative once breached (at least -1) */
  daysLeft: number
}

/** The SLA of an open issue at `now`. */
export const slaState = (policy: Pick<SlaPolicy, 'dueSoonDays'>, dueAt: Date, now: Date): SlaView => {
  const left = dueAt.getTime() - now.getTime()
  const state: SlaState = left < 0 ? 'breached' : left < policy.dueSoonDays * 86_400_000 ? 'due_soon' : 'ok'
  const days = Math.round(left / 86_400_000)
  return { dueAt: dueAt.toISOString(), state, daysLeft: left < 0 ? Math.min(-1, days) : days }
}

// ------------------------------------------------------------------ what a sync does to an issue's workflow

/** An entry of an issue's timeline, before it is stored (who and when are added by the store). */
export type TimelineDraft =
  | { type: 'status'; from: IssueStatus; to: IssueStatus; reason: Extract<WorkChange, { type: 'status' }>['reason'] }
  | { type: 'stage'; from: Stage; to: Stage }
  | { type: 'priority'; from: SlaLevel; to: SlaLevel; explanation: string; cause?: PriorityCause }
  | { type: 'review_needed'; reason: 'new_source' | 'version_changed'; detail: string }

export const draftsOf = (changes: WorkChange[]): TimelineDraft[] =>
  changes.map((c) =>
    c.type === 'status'
      ? { type: 'status', from: c.from, to: c.to, reason: c.reason }
      : { type: 'stage', from: c.from, to: c.to },
  )

/** When an issue stopped being open: set when it leaves `open`, cleared when it comes back. */
export const closedAtAfter = (
  from: IssueStatus,
  to: IssueStatus,
  closedAt: Date | null,
  now: Date,
  fixedAt: Date | null,
): Date | null => {
  if (from === to) return closedAt
  if (to === 'open') return null
  if (from === 'open' || from === 'excluded') return to === 'fixed' ? (fixedAt ?? now) : now
  return closedAt ?? now
}

export interface IssueSyncBefore extends WorkState {
  priority: SlaLevel
  slaDueAt: Date | null
  closedAt: Date | null
  /** the connections that reported it before this change */
  sources: string[]
  versions: string[]
}

export interface IssueSyncAfter {
  evidence: Evidence
  priority: SlaLevel
  severity: SlaLevel
  explanation: string
  detectedAt: Date
  fixedAt: Date | null
  sources: string[]
  versions: string[]
  /** why the priority moved, when it did (priority-history.ts) */
  priorityCause?: PriorityCause
}

export interface IssueSyncResult {
  status: IssueStatus
  stage: Stage
  slaDueAt: Date | null
  closedAt: Date | null
  reopened: boolean
  /** the evidence changed under a valid decision */
  reviewNeeded: TimelineDraft | null
  timeline: TimelineDraft[]
}

/**
 * What a sync's recomputation does to an issue (pure): the status through `transition` (a fix wins; a fixed issue
 * that comes back reopens unless a decision covers it), the SLA due date while it is open (a closed issue keeps
 * its due date), the priority change and why, and a decision flagged for review when a new scanner reports the
 * issue or the installed versions change.
 */
export const syncIssue = (
  before: IssueSyncBefore,
  after: IssueSyncAfter,
  policy: SlaPolicy,
  now: Date,
): IssueSyncResult => {
  const t = transition(before, { type: 'sync', evidence: after.evidence })
  if (!t.ok) throw new Error(t.message) // a sync event is never refused
  const { status, stage } = t.state
  const timeline = draftsOf(t.changes)
  if (after.priority !== before.priority)
    timeline.push({
      type: 'priority',
      from: before.priority,
      to: after.priority,
      explanation: after.explanation,
      ...(after.priorityCause ? { cause: after.priorityCause } : {}),
    })
  let reviewNeeded: TimelineDraft | null = null
  if (before.decision !== null && status !== 'fixed') {
    const added = after.sources.filter((s) => !before.sources.includes(s))
    const versionsChanged =
      after.versions.length > 0 && after.versions.join('\u0000') !== [...before.versions].sort().join('\u0000')
    if (added.length > 0)
      reviewNeeded = { type: 'review_needed', reason: 'new_source', detail: `${added.length} new source(s) report it` }
    else if (versionsChanged)
      reviewNeeded = {
        type: 'review_needed',
        reason: 'version_changed',
        detail: `installed version now ${after.versions.join(', ')} (was ${before.versions.join(', ') || 'unknown'})`,
      }
    if (reviewNeeded) timeline.push(reviewNeeded)
  }
  return {
    status,
    stage,
    slaDueAt: slaDueAfter(policy, status, before.slaDueAt, after),
    closedAt: closedAtAfter(before.status, status, before.closedAt, now, after.fixedAt),
    reopened: t.reopened,
    reviewNeeded,
    timeline,
  }
}
