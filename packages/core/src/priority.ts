import { type BusinessContext, businessPriorityFactor } from './business-priority.ts'
import { type FeedEvidence, NO_FEED_EVIDENCE } from './feeds.ts'
import type { FindingSignals, VendorFactor } from './finding.ts'
import { exploitFactors } from './priority-feeds.ts'
import { applyPriorityPolicy, DEFAULT_PRIORITY_POLICY, type PriorityPolicy } from './priority-policy.ts'
import { maxSeverity, type Severity } from './severity.ts'

/** One source's contribution to an issue, as the prioritisation sees it. */
export interface SourceView {
  kind: string
  severity: Severity
  signals: FindingSignals
  vendorFactors: VendorFactor[]
  /** absent occurrences (no longer reported) do not count towards the severity */
  present: boolean
  vendorState?: 'open' | 'dismissed' | 'excepted' | undefined
}

export interface SeverityFactor {
  code:
    | 'kev'
    | 'exploit_in_the_wild'
    | 'epss_high'
    | 'epss_low'
    | 'epss'
    | 'function_unreachable'
    | 'function_reachable'
    | 'dependency_unreachable'
    | 'not_applicable'
    | 'test_only'
    | 'fix_available'
    | 'no_fix'
    | 'transitive'
    | 'direct'
    | 'archived_repository'
    | 'vendor'
    | 'business_critical'
    | 'business_low'
  effect: 'raise' | 'lower' | 'none'
  /** levels moved by this factor (0 for informational ones) */
  levels: number
  text: string
  /** the scanners that gave the evidence */
  sources: string[]
}

export interface Prioritised {
  severity: Severity
  priority: Severity
  factors: SeverityFactor[]
  /** "Critical → High because the vulnerable function is unreachable (endor) and …" */
  explanation: string
}

const who = (views: SourceView[]): string[] => [...new Set(views.map((v) => v.kind))].sort()

/** What prioritisation knows besides the sources: the repository, the public feeds, the workspace's policy. */
export interface PriorityContext {
  archived?: boolean
  /** KEV and EPSS for the CVEs (feeds.ts); none when omitted */
  feeds?: FeedEvidence
  /** the workspace's priority policy; the default when omitted */
  policy?: PriorityPolicy
  /** the application, for the business-priority factor (the policy's `businessPriority` thresholds) */
  business?: BusinessContext | null
  /**
   * The form an issue stores: the feed's EPSS value (score, percentile, date) is left out of the factor text and the
   * sentence as a mark (`epssMark`) and joined when the issue is read (`renderEpssMarks`). Off: the text as read.
   */
  stored?: boolean
}

/**
 * Priority = the severity (the highest any present source gives) moved by explained factors, under the
 * workspace's priority policy. Pure and deterministic: the same inputs always give the same priority and sentence.
 */
export const prioritise = (sources: SourceView[], ctx: PriorityContext = {}): Prioritised => {
  const policy = ctx.policy ?? DEFAULT_PRIORITY_POLICY
  const live = sources.filter((s) => s.present)
  const views = live.length > 0 ? live : sources
  const severity = views.reduce<Severity>((acc, s) => maxSeverity(acc, s.severity), 'info')
  const factors: SeverityFactor[] = []
  const add = (f: SeverityFactor) => factors.push(f)

  for (const f of exploitFactors(views, ctx.feeds ?? NO_FEED_EVIDENCE, policy, ctx.stored === true)) add(f)
  const fnReach = views.filter((v) => v.signals.reachability?.function === 'reachable')
  const fnUnreach = views.filter((v) => v.signals.reachability?.function === 'unreachable')
  const depUnreach = views.filter((v) => v.signals.reachability?.dependency === 'unreachable')
  const notApplicable = views.filter((v) => v.signals.reachability?.applicable === false)
  if (fnReach.length)
    add({
      code: 'function_reachable',
      effect: 'none',
      levels: 0,
      text: 'the vulnerable function is reachable',
      sources: who(fnReach),
    })
  else if (fnUnreach.length)
    add({
      code: 'function_unreachable',
      effect: 'lower',
      levels: 1,
      text: 'the vulnerable function is unreachable',
      sources: who(fnUnreach),
    })
  else if (depUnreach.length)
    add({
      code: 'dependency_unreachable',
      effect: 'lower',
      levels: 1,
      text: 'the vulnerable dependency is not reachable from the code',
      sources: who(depUnreach),
    })
  if (notApplicable.length && !fnReach.length)
    add({
      code: 'not_applicable',
      effect: 'lower',
      levels: 1,
      text: 'the vulnerability is not applicable to how the component is used',
      sources: who(notApplicable),
    })
  const testOnly = views.filter((v) => v.signals.testOnly === true)
  if (testOnly.length && testOnly.length === views.length)
    add({ code: 'test_only', effect: 'lower', levels: 1, text: 'used only by tests', sources: who(testOnly) })
  if (ctx.archived)
    add({ code: 'archived_repository', effect: 'lower', levels: 1, text: 'the repository is archived', sources: [] })
  // a factor of the context rather than its sources: the application's business priority
  const business = businessPriorityFactor(ctx.business, policy.businessPriority)
  if (business) add(business)
  const fix = views.filter((v) => v.signals.fixAvailable === true)
  const noFix = views.filter((v) => v.signals.fixAvailable === false)
  if (fix.length)
    add({ code: 'fix_available', effect: 'none', levels: 0, text: 'a fixed version is available', sources: who(fix) })
  else if (noFix.length)
    add({ code: 'no_fix', effect: 'none', levels: 0, text: 'no fixed version yet', sources: who(noFix) })
  const direct = views.filter((v) => v.signals.direct === true)
  const transitive = views.filter((v) => v.signals.direct === false)
  if (direct.length)
    add({ code: 'direct', effect: 'none', levels: 0, text: 'a direct dependency', sources: who(direct) })
  else if (transitive.length)
    add({ code: 'transitive', effect: 'none', levels: 0, text: 'a transitive dependency', sources: who(transitive) })
  for (const v of views)
    for (const f of v.vendorFactors)
      add({ code: 'vendor', effect: f.effect ?? 'none', levels: 0, text: `${f.name}: ${f.text}`, sources: [v.kind] })

  const applied = applyPriorityPolicy(severity, factors, policy)
  const priority = applied.priority
  return { severity, priority, factors: applied.factors, explanation: explain(severity, priority, applied.factors) }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

export const explain = (severity: Severity, priority: Severity, factors: SeverityFactor[]): string => {
  const moving = factors.filter((f) => f.levels > 0 && f.effect !== 'none')
  const why = moving.map((f) => (f.sources.length ? `${f.text} (${f.sources.join(', ')})` : f.text))
  if (severity === priority) {
    return why.length ? `${cap(severity)}, unchanged: ${why.join(' and ')}` : `${cap(severity)}: no factor changes it`
  }
  return `${cap(severity)} → ${cap(priority)} because ${why.join(' and ')}`
}
