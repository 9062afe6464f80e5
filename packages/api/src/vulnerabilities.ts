import { z } from 'zod'
import { NullableIso, paged, Severity } from './common.ts'

export const SourceRef = z.strictObject({
  kind: z.string(),
  connectionId: z.string(),
  connectionName: z.string(),
  /** false when this source no longer reports it */
  present: z.boolean(),
})
export type SourceRef = z.infer<typeof SourceRef>

export const IssueStatus = z.enum(['open', 'fixed', 'excluded'])

/** An item of the queue. */
export const Vulnerability = z.strictObject({
  id: z.string(),
  cve: z.string(),
  aliases: z.array(z.string()),
  package: z.strictObject({ purl: z.string(), name: z.string(), ecosystem: z.string() }),
  versions: z.array(z.string()),
  target: z.strictObject({ kind: z.string(), name: z.string(), url: z.string().nullable() }),
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
})
export type Vulnerability = z.infer<typeof Vulnerability>
export const VulnerabilityPage = paged(Vulnerability)
export type VulnerabilityPage = z.infer<typeof VulnerabilityPage>

export const Summary = z.strictObject({
  total: z.number().int(),
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
