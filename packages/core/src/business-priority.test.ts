import { describe, expect, it } from 'vitest'
import { businessPriorityFactor, businessTier, DEFAULT_BUSINESS_PRIORITY_THRESHOLDS } from './business-priority.ts'
import { aggregateIssue, type SourceRow } from './issue-aggregate.ts'
import { DEFAULT_PRIORITY_POLICY } from './priority-policy.ts'

const row = (o: Partial<SourceRow> = {}): SourceRow => ({
  kind: 'ox',
  severity: 'high',
  signals: {},
  vendor_factors: [],
  vendor_state: 'open',
  state: 'present',
  detected_at: new Date('2026-01-01T00:00:00Z'),
  first_seen_at: new Date('2026-01-01T00:00:00Z'),
  last_seen_at: new Date('2026-01-02T00:00:00Z'),
  absent_since: null,
  package_version: '1.0.0',
  fixed_versions: [],
  aliases: [],
  archived: null,
  ...o,
})

describe("the application's business priority as a severity factor", () => {
  it('raises the priority of a business-critical application one level, with its words', () => {
    const agg = aggregateIssue([row()], {
      business: { application: 'Bank-Website', businessPriority: 97, sourceLabel: 'OX' },
    })
    expect(agg.priority).toBe('critical')
    expect(agg.factors).toContainEqual({
      code: 'business_critical',
      effect: 'raise',
      levels: 1,
      text: 'business-critical application (OX business priority 97)',
      sources: [],
    })
    expect(agg.explanation).toBe('High → Critical because business-critical application (OX business priority 97)')
  })

  it('lowers a low-priority application one level, within the cap on lowering', () => {
    const agg = aggregateIssue([row({ signals: { reachability: { function: 'unreachable', applicable: false } } })], {
      business: { application: 'Sandbox', businessPriority: 4.157, sourceLabel: 'OX' },
    })
    // three lowering factors, at most two levels down
    expect(agg.priority).toBe('low')
    expect(agg.factors.find((f) => f.code === 'business_low')?.text).toBe(
      'low-priority application (OX business priority 4.2)',
    )
  })

  it('leaves the priority alone between the thresholds, without an application or a priority', () => {
    for (const business of [
      { application: 'Shop', businessPriority: 50, sourceLabel: null },
      { application: 'Shop', businessPriority: null, sourceLabel: null },
      null,
    ]) {
      const agg = aggregateIssue([row()], { business })
      expect(agg.priority).toBe('high')
      expect(agg.factors.some((f) => f.code.startsWith('business'))).toBe(false)
    }
  })

  it('takes its thresholds from the policy, and a null threshold turns that direction off', () => {
    expect(DEFAULT_BUSINESS_PRIORITY_THRESHOLDS).toEqual({ raiseAtOrAbove: 90, lowerAtOrBelow: 10 })
    expect(businessTier(90, DEFAULT_BUSINESS_PRIORITY_THRESHOLDS)).toBe(1)
    expect(businessTier(89.9, DEFAULT_BUSINESS_PRIORITY_THRESHOLDS)).toBe(0)
    expect(businessTier(10, DEFAULT_BUSINESS_PRIORITY_THRESHOLDS)).toBe(-1)
    const strict = { raiseAtOrAbove: 99, lowerAtOrBelow: null }
    expect(businessPriorityFactor({ application: 'A', businessPriority: 97, sourceLabel: null }, strict)).toBeNull()
    expect(businessPriorityFactor({ application: 'A', businessPriority: 0, sourceLabel: null }, strict)).toBeNull()
    expect(
      aggregateIssue([row()], {
        business: { application: 'A', businessPriority: 99, sourceLabel: null },
        policy: { ...DEFAULT_PRIORITY_POLICY, businessPriority: strict },
      }).explanation,
    ).toBe('High → Critical because business-critical application (business priority 99)')
  })
})
