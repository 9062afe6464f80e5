import {
  type BusinessContext,
  type BusinessPriorityThresholds,
  businessPriorityFactor,
  DEFAULT_BUSINESS_PRIORITY_THRESHOLDS,
} from './business-priority.ts'
import type { FindingSignals, VendorFactor } from './finding.ts'
import { prioritise, type SourceView } from './priority.ts'
import { type Severity, severityRank } from './severity.ts'
import type { Evidence } from './workflow.ts'

/** One source's occurrence of an issue, as the issue's aggregate needs it. */
export interface SourceRow {
  kind: string
  severity: Severity
  signals: FindingSignals
  vendor_factors: VendorFactor[]
  vendor_state: 'open' | 'dismissed' | 'excepted'
  state: 'present' | 'absent' | 'excluded'
  detected_at: Date
  first_seen_at: Date
  last_seen_at: Date
  absent_since: Date | null
  package_version: string | null
  fixed_versions: string[]
  aliases: string[]
  archived: boolean | null
}

/**
 * An issue's aggregate over its sources' occurrences (pure): severity, priority and factors, what the evidence says
 * (`status`: open while any source reports it; excluded when none does and a source's location is deselected; else
 * fixed), dates, versions, fixed versions and aliases.
 */
export const aggregateIssue = (
  g: SourceRow[],
  ctx: { business?: BusinessContext | null; thresholds?: BusinessPriorityThresholds } = {},
) => {
  const views: SourceView[] = g.map((r) => ({
    kind: r.kind,
    severity: r.severity,
    signals: r.signals,
    vendorFactors: r.vendor_factors,
    present: r.state === 'present',
    vendorState: r.vendor_state,
  }))
  const p = prioritise(views, {
    archived: g.some((r) => r.archived === true),
    extra: [businessPriorityFactor(ctx.business, ctx.thresholds ?? DEFAULT_BUSINESS_PRIORITY_THRESHOLDS)],
  })
  const present = g.filter((r) => r.state === 'present')
  const open = present.length > 0
  // fixed only when every source verified it gone; a source whose location was deselected proves nothing
  const excluded = !open && g.some((r) => r.state === 'excluded')
  const status: Evidence = open ? 'open' : excluded ? 'excluded' : 'fixed'
  const ms = (d: Date | null) => (d ? new Date(d).getTime() : 0)
  const fixedAt =
    status !== 'fixed' ? null : new Date(Math.max(...g.map((r) => ms(r.absent_since) || ms(r.last_seen_at))))
  return {
    severity: p.severity,
    severity_rank: severityRank(p.severity),
    priority: p.priority,
    priority_rank: severityRank(p.priority),
    factors: p.factors,
    explanation: p.explanation,
    status,
    detected_at: new Date(Math.min(...g.map((r) => ms(r.detected_at)))).toISOString(),
    first_seen_at: new Date(Math.min(...g.map((r) => ms(r.first_seen_at)))).toISOString(),
    last_seen_at: new Date(Math.max(...g.map((r) => ms(r.last_seen_at)))).toISOString(),
    fixed_at: fixedAt?.toISOString() ?? null,
    versions: [...new Set((open ? present : g).map((r) => r.package_version).filter((v): v is string => !!v))].sort(),
    fixed_versions: [...new Set(g.flatMap((r) => r.fixed_versions))].sort(),
    aliases: [...new Set(g.flatMap((r) => r.aliases))].sort(),
  }
}
