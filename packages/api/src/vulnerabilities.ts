import { z } from 'zod'
import { Iso, NullableIso, paged, Severity } from './common.ts'
import { IssueEpss, IssueKev } from './feeds.ts'
import { Owner } from './ownership.ts'

export const SourceRef = z.strictObject({
  kind: z.string(),
  connectionId: z.string(),
  connectionName: z.string(),
  /** false when this source no longer reports it */
  present: z.boolean(),
})
export type SourceRef = z.infer<typeof SourceRef>

export const ISSUE_STATUS_VALUES = ['open', 'fixed', 'excluded', 'accepted', 'false_positive', 'not_affected'] as const
export const IssueStatus = z.enum(ISSUE_STATUS_VALUES)
export type IssueStatus = z.infer<typeof IssueStatus>
export const STAGE_VALUES = ['new', 'triaged', 'in_progress', 'fix_proposed', 'fix_merged'] as const
export const Stage = z.enum(STAGE_VALUES)
export type Stage = z.infer<typeof Stage>
export const DECISION_KIND_VALUES = ['accepted', 'false_positive', 'not_affected'] as const
export const DecisionKind = z.enum(DECISION_KIND_VALUES)
export type DecisionKind = z.infer<typeof DecisionKind>
export const DECISION_SCOPE_VALUES = ['issue', 'cve_in_target', 'cve_everywhere'] as const
export const DecisionScope = z.enum(DECISION_SCOPE_VALUES)
export type DecisionScope = z.infer<typeof DecisionScope>

/** The SLA of an issue: due date and state while it is open; a closed issue keeps its due date and says if it met it. */
export const Sla = z.strictObject({
  dueAt: Iso,
  state: z.enum(['ok', 'due_soon', 'breached']),
  /** whole days left (negative once breached); for a closed issue, the days that were left when it closed */
  daysLeft: z.number().int(),
  /** closed issues only: fixed or decided by the due date */
  metSla: z.boolean().optional(),
})
export type Sla = z.infer<typeof Sla>

/** The decision that governs an issue, in brief. */
export const IssueDecision = z.strictObject({
  id: z.string(),
  kind: DecisionKind,
  reason: z.string(),
  justification: z.string().nullable(),
  expiresAt: NullableIso,
  scope: DecisionScope,
  /** the evidence changed since the decision (a new source, another installed version) */
  needsReview: z.boolean(),
})
export type IssueDecision = z.infer<typeof IssueDecision>

export const UserRef = z.strictObject({ id: z.string(), username: z.string() })

/** An item of the queue. */
export const Vulnerability = z.strictObject({
  id: z.string(),
  cve: z.string(),
  aliases: z.array(z.string()),
  package: z.strictObject({ purl: z.string(), name: z.string(), ecosystem: z.string() }),
  versions: z.array(z.string()),
  target: z.strictObject({
    kind: z.string(),
    name: z.string(),
    url: z.string().nullable(),
    /** images and artifacts: the tags or versions that still contain it */
    versions: z.array(z.string()),
  }),
  repositoryId: z.string().nullable(),
  severity: Severity,
  priority: Severity,
  status: IssueStatus,
  sources: z.array(SourceRef),
  detectedAt: NullableIso,
  firstSeenAt: NullableIso,
  lastSeenAt: NullableIso,
  fixedAt: NullableIso,
  fixedVersions: z.array(z.string()),
  stage: Stage,
  assignee: UserRef.nullable(),
  sla: Sla.nullable(),
  decision: IssueDecision.nullable(),
  /** the CISA KEV entry of its CVE (or a CVE alias); null when not listed */
  kev: IssueKev.nullable(),
  /** the FIRST EPSS score of its CVE (or the highest of its CVE aliases); null when not scored */
  epss: IssueEpss.nullable(),
  /** who owns it and why */
  owner: Owner,
})
export type Vulnerability = z.infer<typeof Vulnerability>
/** `total` is exact when counting is cheap; otherwise the database's estimate, and `totalIsEstimate` is true */
export const VulnerabilityPage = paged(Vulnerability).extend({ totalIsEstimate: z.boolean() })
export type VulnerabilityPage = z.infer<typeof VulnerabilityPage>

export const Summary = z.strictObject({
  total: z.number().int(),
  /** the counts are estimates (a large match): the total is the database's estimate, shared among the levels */
  totalIsEstimate: z.boolean(),
  bySeverity: z.record(Severity, z.number().int()),
  byPriority: z.record(Severity, z.number().int()),
})
export type Summary = z.infer<typeof Summary>

export const Factor = z.strictObject({
  code: z.string(),
  effect: z.enum(['raise', 'lower', 'none']),
  levels: z.number(),
  text: z.string(),
  sources: z.array(z.string()),
})
export type Factor = z.infer<typeof Factor>

export const Signals = z.looseObject({
  epss: z.looseObject({ score: z.number(), percentile: z.number().optional() }).optional(),
  kev: z.looseObject({ listed: z.boolean(), dateAdded: z.string().optional() }).optional(),
  exploitInTheWild: z.boolean().optional(),
  reachability: z
    .looseObject({
      function: z.string().optional(),
      dependency: z.string().optional(),
      applicable: z.boolean().optional(),
    })
    .optional(),
  fixAvailable: z.boolean().optional(),
  direct: z.boolean().optional(),
  testOnly: z.boolean().optional(),
})

/** One source's report of the issue, with its evidence and raw record. */
export const Occurrence = z.strictObject({
  id: z.string(),
  connectionId: z.string(),
  connectionName: z.string(),
  kind: z.string(),
  sourceKey: z.string(),
  severity: Severity,
  vendorSeverity: z.string(),
  cvss: z
    .looseObject({ score: z.number().optional(), vector: z.string().optional(), version: z.string().optional() })
    .nullable(),
  detectedAt: NullableIso,
  detectedAtSource: z.enum(['vendor', 'first_seen']),
  firstSeenAt: NullableIso,
  lastSeenAt: NullableIso,
  absentSince: NullableIso,
  state: z.enum(['present', 'absent', 'excluded']),
  vendorState: z.string(),
  title: z.string().nullable(),
  packagePurl: z.string(),
  packageVersion: z.string().nullable(),
  target: z.string(),
  evidence: z.unknown(),
  signals: Signals,
  vendorFactors: z.array(z.looseObject({ name: z.string(), text: z.string(), effect: z.string().optional() })),
  fixedVersions: z.array(z.string()),
  link: z.string().nullable(),
  raw: z.unknown(),
})
export type Occurrence = z.infer<typeof Occurrence>

export const VulnerabilityDetail = z.strictObject({
  ...Vulnerability.shape,
  explanation: z.string(),
  factors: z.array(Factor),
  occurrences: z.array(Occurrence),
})
export type VulnerabilityDetail = z.infer<typeof VulnerabilityDetail>

// ------------------------------------------------------------------ workflow

export const TimelineEntry = z.strictObject({
  /** a stored event's id, or `derived:…` for what is read from the sources (detections, first and last sight) */
  id: z.string(),
  at: Iso,
  type: z.string(),
  actor: z.string(),
  actorKind: z.enum(['user', 'token', 'sync', 'job', 'system', 'jira', 'pull_request', 'scanner']),
  detail: z.record(z.string(), z.unknown()),
  bulkId: z.string().nullable(),
})
export type TimelineEntry = z.infer<typeof TimelineEntry>
export const Timeline = z.strictObject({ items: z.array(TimelineEntry) })

export const Decision = z.strictObject({
  id: z.string(),
  kind: DecisionKind,
  scope: DecisionScope,
  issueId: z.string().nullable(),
  cve: z.string(),
  targetKey: z.string().nullable(),
  reason: z.string(),
  justification: z.string().nullable(),
  expiresAt: NullableIso,
  createdBy: z.string(),
  /** the user who made it (null for a token without a user): they, or an admin, may change or revoke it */
  createdById: z.string().nullable(),
  createdAt: Iso,
  endedAt: NullableIso,
  endReason: z.enum(['revoked', 'expired', 'superseded']).nullable(),
  needsReview: z.boolean(),
  reviewReason: z.string().nullable(),
  /** issues it governs now */
  issues: z.number().int(),
  issuesNeedingReview: z.number().int(),
})
export type Decision = z.infer<typeof Decision>
export const DecisionEnvelope = z.strictObject({ decision: Decision })
export const DecisionList = z.strictObject({ items: z.array(Decision) })

export const BulkResult = z.strictObject({
  matched: z.number().int(),
  changed: z.number().int(),
  bulkId: z.string(),
})
export type BulkResult = z.infer<typeof BulkResult>

const SlaDays = z.number().int().min(1).max(3650).nullable()
export const SlaPolicyDoc = z.strictObject({
  basis: z.enum(['priority', 'severity']),
  days: z.strictObject({ critical: SlaDays, high: SlaDays, medium: SlaDays, low: SlaDays, info: SlaDays }),
  dueSoonDays: z.number().int().min(0).max(365),
  maxAcceptanceDays: z.number().int().min(1).max(3650),
})
export type SlaPolicyDoc = z.infer<typeof SlaPolicyDoc>

/** What saving a policy does (or would do, with dryRun) to the open issues' SLA states. */
export const SlaPolicyChange = z.strictObject({
  policy: SlaPolicyDoc,
  dryRun: z.boolean(),
  /** open issues whose SLA state changes, by from → to (`none`: no SLA) */
  moves: z.array(z.strictObject({ from: z.string(), to: z.string(), count: z.number().int() })),
  changed: z.number().int(),
})
export type SlaPolicyChange = z.infer<typeof SlaPolicyChange>
