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

/** The cause of a priority change a sync made, from the issue's present sources and factor codes before and after. */
export const syncPriorityCause = (
  before: { present: readonly string[]; factorCodes: readonly string[] },
  after: { present: readonly string[]; factorCodes: readonly string[] },
): PriorityCause => {
  if (after.present.some((s) => !before.present.includes(s))) return 'new_source'
  if (reachability(before.factorCodes) !== reachability(after.factorCodes)) return 'reachability_changed'
  if (before.present.some((s) => !after.present.includes(s))) return 'source_gone'
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
