import type { Occurrence, Severity, Vulnerability, VulnerabilityDetail } from '@vulnsync/api'
import type { IssueDetailRow, IssueRow, OccurrenceRow } from '@vulnsync/db'
import { iso } from './time.ts'

export const presentIssue = (i: IssueRow): Vulnerability => ({
  id: String(i.id),
  cve: i.cve,
  aliases: i.aliases,
  package: { purl: i.package_key, name: i.package_name, ecosystem: i.ecosystem },
  versions: i.versions,
  target: { kind: i.target_kind, name: i.target_name, url: i.target_url },
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

export const presentIssueDetail = (i: IssueDetailRow, occurrences: OccurrenceRow[]): VulnerabilityDetail => ({
  ...presentIssue(i),
  explanation: i.explanation,
  factors: i.factors as VulnerabilityDetail['factors'],
  occurrences: occurrences.map(presentOccurrence),
})
