import { type EpssValue, type KevValue, sameEpss, sameKev } from './feeds.ts'
import type { Prioritised } from './priority.ts'
import { type IssueStatus, type SlaLevel, type SlaPolicy, slaDueAfter, type TimelineDraft } from './workflow.ts'

/**
 * Why an issue's priority changed, for its timeline: the feeds were refreshed, the workspace's priority policy was
 * changed, a source started reporting it, what a scanner says about reachability changed, a source stopped
 * reporting it, or something else a scanner reports (its severity, its signals) changed.
 */
export const PRIORITY_CAUSES = [
  'feed_refresh',
  'policy_change',
  'new_source',
  'reachability_changed',
  'source_gone',
  'scanner_update',
] as const
export type PriorityCause = (typeof PRIORITY_CAUSES)[number]

const REACHABILITY = new Set([
  'function_reachable',
  'function_unreachable',
  'dependency_unreachable',
  'not_applicable',
  'test_only',
])

const reachability = (codes: readonly string[]) =>
  codes
    .filter((c) => REACHABILITY.has(c))
    .sort()
    .join(',')

/** What a sync's cause is judged from, before and after its recompute. */
export interface CauseEvidence {
  /** the connections that report the issue now */
  present: readonly string[]
  factorCodes: readonly string[]
  /** the feed values the priority was computed with */
  kev: KevValue | null
  epss?: EpssValue | null | undefined
  /**
   * what an issue keeps of the feed's EPSS value: the code of the factor it gave (`epss_high`, `epss_low`, `epss`;
   * null when the feed does not score it), i.e. which side of the policy's thresholds the score was on
   */
  epssBand?: string | null | undefined
}

/** The code of the factor the feed's EPSS score gave (factors from a scanner's own score name their sources). */
export const feedEpssBand = (factors: readonly { code: string; sources: readonly string[] }[]): string | null =>
  factors.find((f) => f.code.startsWith('epss') && f.sources.length === 0)?.code ?? null

/**
 * The cause of a priority change a sync's recompute made: a new source, then a change in reachability, a source gone,
 * feed values that changed since the issue was last computed (a sync ran before the refresh's own recompute; of EPSS
 * an issue keeps only the side of the thresholds its score was on), else
 * what a scanner reports changed.
 */
export const syncPriorityCause = (before: CauseEvidence, after: CauseEvidence): PriorityCause => {
  if (after.present.some((s) => !before.present.includes(s))) return 'new_source'
  if (reachability(before.factorCodes) !== reachability(after.factorCodes)) return 'reachability_changed'
  if (before.present.some((s) => !after.present.includes(s))) return 'source_gone'
  if (
    !sameKev(before.kev, after.kev) ||
    !sameEpss(before.epss ?? null, after.epss ?? null) ||
    (before.epssBand ?? null) !== (after.epssBand ?? null)
  )
    return 'feed_refresh'

  return 'scanner_update'
}

export interface ReprioritiseBefore {
  status: IssueStatus
  priority: SlaLevel
  slaDueAt: Date | null
  detectedAt: Date
}

/**
 * What a new priority (after a feed refresh or a policy change; the sources did not change) does to an issue (pure):
 * the due date the SLA policy gives it (an open issue's follows its priority; a closed one keeps its own) and, when
 * its level moved, the timeline entry with the cause.
 */
export const reprioritised = (
  before: ReprioritiseBefore,
  p: Prioritised,
  sla: SlaPolicy,
  cause: PriorityCause,
): { slaDueAt: Date | null; timeline: TimelineDraft[] } => ({
  slaDueAt: slaDueAfter(sla, before.status, before.slaDueAt, {
    severity: p.severity,
    priority: p.priority,
    detectedAt: before.detectedAt,
  }),
  timeline:
    p.priority === before.priority
      ? []
      : [{ type: 'priority', from: before.priority, to: p.priority, explanation: p.explanation, cause }],
})
