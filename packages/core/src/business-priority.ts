import type { SeverityFactor } from './priority.ts'

/**
 * The application's business priority (0–100) as a severity factor (pure): at or above `raiseAtOrAbove` the issue's
 * priority goes up one level ("business-critical application"), at or below `lowerAtOrBelow` down one. The
 * thresholds are named defaults a workspace's priority policy can override (the `businessPriority` key of the
 * `priority` policy document); null turns a direction off.
 */
export interface BusinessPriorityThresholds {
  raiseAtOrAbove: number | null
  lowerAtOrBelow: number | null
}

export const DEFAULT_BUSINESS_PRIORITY_THRESHOLDS: BusinessPriorityThresholds = {
  raiseAtOrAbove: 90,
  lowerAtOrBelow: 10,
}

/** The application an issue belongs to, as the factor needs it. */
export interface BusinessContext {
  application: string
  businessPriority: number | null
  /** the tool that gave the priority ("OX"), null for an application made in vulnsync */
  sourceLabel: string | null
}

const shown = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1))

/** Which way the application moves the priority: 1 up, -1 down, 0 not at all. */
export const businessTier = (bp: number | null | undefined, t: BusinessPriorityThresholds): -1 | 0 | 1 => {
  if (bp === null || bp === undefined || !Number.isFinite(bp)) return 0
  if (t.raiseAtOrAbove !== null && bp >= t.raiseAtOrAbove) return 1
  if (t.lowerAtOrBelow !== null && bp <= t.lowerAtOrBelow) return -1
  return 0
}

export const businessPriorityFactor = (
  b: BusinessContext | null | undefined,
  t: BusinessPriorityThresholds = DEFAULT_BUSINESS_PRIORITY_THRESHOLDS,
): SeverityFactor | null => {
  if (!b || b.businessPriority === null) return null
  const tier = businessTier(b.businessPriority, t)
  if (tier === 0) return null
  const where = `${b.sourceLabel ? `${b.sourceLabel} ` : ''}business priority ${shown(b.businessPriority)}`
  return tier > 0
    ? {
        code: 'business_critical',
        effect: 'raise',
        levels: 1,
        text: `business-critical application (${where})`,
        sources: [],
      }
    : { code: 'business_low', effect: 'lower', levels: 1, text: `low-priority application (${where})`, sources: [] }
}
