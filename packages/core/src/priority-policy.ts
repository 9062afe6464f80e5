import { type BusinessPriorityThresholds, DEFAULT_BUSINESS_PRIORITY_THRESHOLDS } from './business-priority.ts'
import { type Severity, severityFromRank, severityRank } from './severity.ts'

/**
 * The workspace's priority policy: what a KEV listing does, the EPSS thresholds, which factors may lower an issue's
 * priority and by how many levels at most. `prioritise` applies it; it is stored per workspace (policies table).
 */

/** The factors that can lower a priority (each by one level), when the policy lets them. */
export const LOWERING_FACTORS = [
  'function_unreachable',
  'dependency_unreachable',
  'not_applicable',
  'test_only',
  'archived_repository',
  'epss_low',
] as const
export type LoweringFactor = (typeof LOWERING_FACTORS)[number]

/** What a listing in the KEV catalog does: make the issue critical, raise it one level, or only inform. */
export const KEV_ACTIONS = ['critical', 'raise', 'none'] as const
export type KevAction = (typeof KEV_ACTIONS)[number]

export interface PriorityPolicy {
  kev: KevAction
  /** a KEV-listed issue is never lowered, whatever else says it could be */
  neverLowerKev: boolean
  epss: {
    /** a score at or above raises the priority one level */
    high: number
    /** a score below means "exploitation unlikely" (lowers only when `epss_low` is among the lowering factors) */
    low: number
  }
  lowering: {
    factors: LoweringFactor[]
    /** the most levels all lowering factors together may take off (0: never lower) */
    maxLevels: number
  }
  /**
   * the application's business priority (0–100): at or above `raiseAtOrAbove` raises one level, at or below
   * `lowerAtOrBelow` lowers one (subject to `maxLevels` and `neverLowerKev`); null turns a direction off
   */
  businessPriority: BusinessPriorityThresholds
}

export const DEFAULT_PRIORITY_POLICY: PriorityPolicy = {
  kev: 'critical',
  neverLowerKev: true,
  epss: { high: 0.1, low: 0.005 },
  lowering: {
    factors: ['function_unreachable', 'dependency_unreachable', 'not_applicable', 'test_only', 'archived_repository'],
    maxLevels: 2,
  },
  businessPriority: DEFAULT_BUSINESS_PRIORITY_THRESHOLDS,
}

/** A saved (possibly partial, possibly older) policy document over the defaults. */
export const priorityPolicyOf = (saved: Partial<PriorityPolicy> | null | undefined): PriorityPolicy => ({
  ...DEFAULT_PRIORITY_POLICY,
  ...(saved ?? {}),
  epss: { ...DEFAULT_PRIORITY_POLICY.epss, ...(saved?.epss ?? {}) },
  lowering: { ...DEFAULT_PRIORITY_POLICY.lowering, ...(saved?.lowering ?? {}) },
  businessPriority: { ...DEFAULT_PRIORITY_POLICY.businessPriority, ...(saved?.businessPriority ?? {}) },
})

export const isLoweringFactor = (code: string): code is LoweringFactor =>
  (LOWERING_FACTORS as readonly string[]).includes(code)

/** The part of a factor the policy arithmetic reads. */
export interface RankedFactor {
  code: string
  effect: 'raise' | 'lower' | 'none'
  levels: number
}

/**
 * Applies the policy to the factors found (pure): lowering factors the policy does not allow, and any lowering of a
 * KEV-listed issue when `neverLowerKev` (whatever factor it comes from), become informational (a vendor's own
 * factors, which move nothing, keep the effect it gave them) (so the sentence never names a factor that did not
 * move the priority); then priority = severity + raises − lowerings (capped at `maxLevels`), or critical − lowerings
 * when the KEV action is `critical`.
 */
export const applyPriorityPolicy = <F extends RankedFactor>(
  severity: Severity,
  factors: F[],
  policy: PriorityPolicy,
): { priority: Severity; factors: F[] } => {
  const kevListed = factors.some((f) => f.code === 'kev')
  const kevCritical = factors.some((f) => f.code === 'kev' && f.effect === 'raise' && policy.kev === 'critical')
  const lowers = policy.lowering.maxLevels > 0 && !(kevListed && policy.neverLowerKev)
  const out = factors.map((f) =>
    f.effect === 'lower' &&
    f.levels > 0 &&
    (!lowers || (isLoweringFactor(f.code) && !policy.lowering.factors.includes(f.code)))
      ? { ...f, effect: 'none' as const, levels: 0 }
      : f,
  )
  const up = out
    .filter((f) => f.effect === 'raise' && !(kevCritical && f.code === 'kev'))
    .reduce((n, f) => n + f.levels, 0)
  const down = Math.min(
    policy.lowering.maxLevels,
    out.filter((f) => f.effect === 'lower').reduce((n, f) => n + f.levels, 0),
  )
  const rank = kevCritical ? 4 - down : severityRank(severity) + up - down
  return { priority: severityFromRank(rank), factors: out }
}
