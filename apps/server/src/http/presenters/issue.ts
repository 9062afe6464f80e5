import type {
  IssueDecision,
  Occurrence,
  Owner,
  Severity,
  Sla,
  Stage,
  Vulnerability,
  VulnerabilityDetail,
} from '@vulnsync/api'
import { type SlaPolicy, slaState } from '@vulnsync/core'
import type { IssueDetailRow, IssueRow, OccurrenceRow } from '@vulnsync/db'
import { iso } from './time.ts'

/** What presenting an issue needs besides its row: the SLA policy's due-soon days and the time to judge by. */
export interface IssueContext {
  policy: Pick<SlaPolicy, 'dueSoonDays'>
  now: Date
}

/** An open issue's SLA at `now`; a closed one keeps its due date and says whether it was met. */
export const presentSla = (i: Pick<IssueRow, 'status' | 'sla_due_at' | 'closed_at'>, ctx: IssueContext): Sla | null => {
  if (!i.sla_due_at) return null
  const due = new Date(i.sla_due_at)
  if (i.status === 'open') return slaState(ctx.policy, due, ctx.now)
  const closed = i.closed_at ? new Date(i.closed_at) : ctx.now
  const at = slaState(ctx.policy, due, closed)
  return { ...at, metSla: closed.getTime() <= due.getTime() }
}

const presentDecision = (i: IssueRow): IssueDecision | null =>
  i.decision_id !== null && i.decision
    ? {
        id: String(i.decision_id),
        kind: i.decision.kind as IssueDecision['kind'],
        reason: i.decision.reason,
        justification: i.decision.justification,
        expiresAt: iso(i.decision.expires_at),
        scope: i.decision.scope as IssueDecision['scope'],
        needsReview: i.review_needed || i.decision.needs_review,
      }
    : null

/** Who owns the issue and why (an issue imported before ownership existed says it is not resolved yet). */
export const presentOwner = (i: IssueRow): Owner => ({
  team: i.owner_team_id ? { id: i.owner_team_id, name: i.owner_team_name ?? '(removed team)' } : null,
  application: i.application_id ? { id: i.application_id, name: i.application_name ?? '(removed application)' } : null,
  source: (i.owner?.source ?? 'default') as Owner['source'],
  reason: i.owner?.reason ?? 'not resolved yet: ownership is computed for it at the next sync or ownership change',
})

export const presentIssue = (i: IssueRow, ctx: IssueContext): Vulnerability => ({
  id: String(i.id),
  cve: i.cve,
  aliases: i.aliases,
  package: { purl: i.package_key, name: i.package_name, ecosystem: i.ecosystem },
  versions: i.versions,
  target: { kind: i.target_kind, name: i.target_name, url: i.target_url, versions: i.target_versions ?? [] },
  repositoryId: i.repository_id === null ? null : String(i.repository_id),
  severity: i.severity as Severity,
  priority: i.priority as Severity,
  status: i.status as Vulnerability['status'],
  sources: i.sources ?? [],
  detectedAt: iso(i.detected_at),
  firstSeenAt: iso(i.first_seen_at),
  lastSeenAt: iso(i.last_seen_at),
  fixedAt: iso(i.fixed_at),
  fixedVersions: i.fixed_versions,
  stage: i.stage as Stage,
  assignee: i.assignee_id ? { id: i.assignee_id, username: i.assignee_name ?? '(removed user)' } : null,
  sla: presentSla(i, ctx),
  decision: presentDecision(i),
  kev: i.kev,
  epss: i.epss,
  owner: presentOwner(i),
})

export const presentOccurrence = (o: OccurrenceRow): Occurrence => ({
  id: String(o.id),
  connectionId: o.connection_id,
  connectionName: o.connection_name,
  kind: o.kind,
  sourceKey: o.source_key,
  severity: o.severity as Severity,
  vendorSeverity: o.vendor_severity,
  cvss: (o.cvss as Occurrence['cvss']) ?? null,
  detectedAt: iso(o.detected_at),
  detectedAtSource: o.detected_at_source,
  firstSeenAt: iso(o.first_seen_at),
  lastSeenAt: iso(o.last_seen_at),
  absentSince: iso(o.absent_since),
  state: o.state,
  vendorState: o.vendor_state,
  title: o.title,
  packagePurl: o.package_purl,
  packageVersion: o.package_version,
  target: o.match_display,
  evidence: o.evidence,
  signals: o.signals,
  vendorFactors: o.vendor_factors,
  fixedVersions: o.fixed_versions,
  link: o.link,
  raw: o.raw,
})

export const presentIssueDetail = (
  i: IssueDetailRow,
  occurrences: OccurrenceRow[],
  ctx: IssueContext,
): VulnerabilityDetail => ({
  ...presentIssue(i, ctx),
  explanation: i.explanation,
  factors: i.factors as VulnerabilityDetail['factors'],
  occurrences: occurrences.map(presentOccurrence),
})
