import { describe, expect, it } from 'vitest'
import {
  describeEpss,
  describeFeedEpss,
  type EpssValue,
  epssMark,
  type FeedEvidence,
  feedEvidence,
  feedKeys,
  formatPercentile,
  type KevValue,
  renderEpssMarks,
} from './feeds.ts'
import { prioritise, type SourceView } from './priority.ts'
import { renderFactors } from './priority-feeds.ts'
import { reprioritised, syncPriorityCause } from './priority-history.ts'
import { DEFAULT_PRIORITY_POLICY, type PriorityPolicy, priorityPolicyOf } from './priority-policy.ts'
import { DEFAULT_SLA_POLICY } from './workflow.ts'

const view = (kind: string, over: Partial<SourceView> = {}): SourceView => ({
  kind,
  severity: 'medium',
  signals: {},
  vendorFactors: [],
  present: true,
  ...over,
})
const KEV: KevValue = { dateAdded: '2024-05-02', dueDate: '2024-05-23', knownRansomware: true }
const EPSS: EpssValue = { score: 0.43, percentile: 0.9731, date: '2026-12-01' }
const feeds = (over: Partial<FeedEvidence> = {}): FeedEvidence => ({ kev: null, epss: null, kevLoaded: true, ...over })
const policy = (over: Partial<PriorityPolicy>): PriorityPolicy => priorityPolicyOf(over)

describe('the feeds judge every source the same way', () => {
  it('a JFrog-only issue whose CVE is in KEV ranks critical, and says why in the feed’s words', () => {
    const p = prioritise([view('jfrog', { severity: 'medium' })], { feeds: feeds({ kev: KEV }) })
    expect(p.priority).toBe('critical')
    expect(p.factors[0]).toMatchObject({
      code: 'kev',
      effect: 'raise',
      text: 'listed in CISA KEV since 2024-05-02 (known ransomware use)',
    })
    expect(p.explanation).toBe('Medium → Critical because listed in CISA KEV since 2024-05-02 (known ransomware use)')
  })

  it('the same CVE ranks the same whichever scanner found it', () => {
    const ctx = { feeds: feeds({ epss: EPSS }) }
    const jfrog = prioritise([view('jfrog', { severity: 'high' })], ctx)
    const endor = prioritise([view('endor', { severity: 'high', signals: { epss: { score: 0.43 } } })], ctx)
    expect(jfrog.priority).toBe('critical')
    expect(endor.priority).toBe(jfrog.priority)
    expect(jfrog.factors.find((f) => f.code === 'epss_high')?.text).toBe('EPSS 0.43 (97th percentile), 2026-12-01')
  })

  it('where a scanner disagrees with the feed the factor shows both, and the feed decides', () => {
    const p = prioritise(
      [
        view('endor', { signals: { epss: { score: 0.02 }, kev: { listed: false } } }),
        view('ox', { signals: { epss: { score: 0.4312 } } }),
      ],
      { feeds: feeds({ kev: { ...KEV, knownRansomware: false }, epss: EPSS }) },
    )
    expect(p.factors.find((f) => f.code === 'kev')?.text).toBe(
      'listed in CISA KEV since 2024-05-02; endor does not list it',
    )
    // ox agrees at the precision shown; endor does not
    expect(p.factors.find((f) => f.code === 'epss_high')?.text).toBe(
      'EPSS 0.43 (97th percentile), 2026-12-01; endor says 0.02',
    )
    // a scanner that says KEV without the feed listing it keeps its word, attributed, and the text says the feed does not
    const claim = prioritise([view('endor', { signals: { kev: { listed: true } } })], { feeds: feeds() })
    expect(claim.priority).toBe('critical')
    expect(claim.factors[0]).toMatchObject({
      text: 'listed as known exploited; not in the CISA KEV catalog',
      sources: ['endor'],
    })
  })

  it('without a feed entry the scanners’ own signals decide, as before the feeds', () => {
    const p = prioritise([view('endor', { signals: { epss: { score: 0.2, percentile: 0.95 } } })], {
      feeds: feeds(),
    })
    expect(p.priority).toBe('high')
    expect(p.factors[0]).toMatchObject({
      code: 'epss_high',
      text: 'EPSS 0.20 (95th percentile)',
      sources: ['endor'],
    })
    expect(prioritise([view('endor', { signals: { kev: { listed: true } } })]).factors[0]?.text).toBe(
      'listed as known exploited (CISA KEV)',
    )
  })

  it('every issue with an EPSS entry gets an EPSS factor, informational between the thresholds', () => {
    const p = prioritise([view('jfrog')], {
      feeds: feeds({ epss: { score: 0.02, percentile: 0.61, date: '2026-12-01' } }),
    })
    expect(p.priority).toBe('medium')
    expect(p.factors).toEqual([
      { code: 'epss', effect: 'none', levels: 0, text: 'EPSS 0.02 (61st percentile), 2026-12-01', sources: [] },
    ])
  })
})

describe('the priority policy', () => {
  const unreachableKev = [
    view('endor', { severity: 'high', signals: { reachability: { function: 'unreachable' }, testOnly: true } }),
  ]

  it('by default a KEV listing makes the issue critical and nothing lowers it', () => {
    const p = prioritise(unreachableKev, { feeds: feeds({ kev: KEV }) })
    expect(p.priority).toBe('critical')
    // the lowering factors are shown, but as not moving the priority
    expect(p.factors.filter((f) => f.effect === 'lower')).toEqual([])
    expect(p.explanation).toBe('High → Critical because listed in CISA KEV since 2024-05-02 (known ransomware use)')
  })

  it('can let lowering factors apply to KEV-listed issues, or make KEV raise one level, or only inform', () => {
    const ctx = { feeds: feeds({ kev: KEV }) }
    expect(prioritise(unreachableKev, { ...ctx, policy: policy({ neverLowerKev: false }) }).priority).toBe('medium')
    expect(prioritise(unreachableKev, { ...ctx, policy: policy({ kev: 'raise', neverLowerKev: true }) }).priority).toBe(
      'critical',
    )
    expect(prioritise([view('x', { severity: 'medium' })], { ...ctx, policy: policy({ kev: 'raise' }) }).priority).toBe(
      'high',
    )
    const none = prioritise([view('x', { severity: 'medium' })], { ...ctx, policy: policy({ kev: 'none' }) })
    expect(none.priority).toBe('medium')
    expect(none.factors[0]).toMatchObject({ code: 'kev', effect: 'none', levels: 0 })
  })

  it('chooses which factors may lower and by how many levels at most', () => {
    const views = [view('endor', { severity: 'critical', signals: unreachableKev[0]!.signals })]
    expect(prioritise(views).priority).toBe('medium')
    expect(prioritise(views, { policy: policy({ lowering: { factors: ['test_only'], maxLevels: 2 } }) }).priority).toBe(
      'high',
    )
    const capped = prioritise(views, {
      policy: policy({ lowering: { ...DEFAULT_PRIORITY_POLICY.lowering, maxLevels: 1 } }),
    })
    expect(capped.priority).toBe('high')
    expect(prioritise(views, { policy: policy({ lowering: { factors: [], maxLevels: 2 } }) }).explanation).toBe(
      'Critical: no factor changes it',
    )
  })

  it('sets the EPSS thresholds, and may let a low EPSS lower', () => {
    const low = { feeds: feeds({ epss: { score: 0.003, percentile: 0.12, date: '2026-12-01' } }) }
    expect(prioritise([view('jfrog', { severity: 'high' })], low).priority).toBe('high')
    const lowers = policy({ lowering: { factors: ['epss_low'], maxLevels: 1 } })
    const p = prioritise([view('jfrog', { severity: 'high' })], { ...low, policy: lowers })
    expect(p.priority).toBe('medium')
    expect(p.explanation).toBe('High → Medium because EPSS 0.003 (12th percentile), 2026-12-01: exploitation unlikely')
    const mid = { feeds: feeds({ epss: { score: 0.05, percentile: 0.9, date: '2026-12-01' } }) }
    expect(prioritise([view('jfrog')], mid).priority).toBe('medium')
    expect(prioritise([view('jfrog')], { ...mid, policy: policy({ epss: { high: 0.05, low: 0.001 } }) }).priority).toBe(
      'high',
    )
  })
})

describe('feed matching and wording', () => {
  it('matches an issue through its CVE and every CVE among its aliases', () => {
    expect(feedKeys('CVE-2024-0001', ['GHSA-abcd-efgh-ijkl', 'cve-2023-9999'])).toEqual([
      'CVE-2024-0001',
      'CVE-2023-9999',
    ])
    const kev = new Map([['CVE-2023-9999', KEV]])
    const epss = new Map([
      ['CVE-2024-0001', { ...EPSS, score: 0.1 }],
      ['CVE-2023-9999', EPSS],
    ])
    const e = feedEvidence(feedKeys('CVE-2024-0001', ['CVE-2023-9999']), kev, epss, true)
    expect(e.kev).toEqual(KEV)
    expect(e.epss?.score).toBe(0.43)
    expect(feedEvidence(['CVE-2024-0001'], kev, new Map(), false)).toEqual({ kev: null, epss: null, kevLoaded: false })
  })

  it('words scores and percentiles as people read them', () => {
    expect(formatPercentile(0.9731)).toBe('97th percentile')
    expect(formatPercentile(0.011)).toBe('1st percentile')
    expect(formatPercentile(0.125)).toBe('12th percentile')
    expect(formatPercentile(0.225)).toBe('22nd percentile')
    expect(formatPercentile(1)).toBe('100th percentile')
    expect(describeEpss(0.00043, 0.05, '2026-12-01')).toBe('EPSS 0.00043 (5th percentile), 2026-12-01')
    expect(describeEpss(0.972, undefined)).toBe('EPSS 0.97')
  })
})

describe('priority history', () => {
  it('names the cause of a change a sync made', () => {
    const before = { present: ['c1'], factorCodes: ['epss'], kev: null, epss: EPSS }
    expect(syncPriorityCause(before, { ...before, present: ['c1', 'c2'] })).toBe('new_source')
    expect(syncPriorityCause(before, { ...before, factorCodes: ['epss', 'function_unreachable'] })).toBe(
      'reachability_changed',
    )
    expect(syncPriorityCause({ ...before, present: ['c1', 'c2'] }, before)).toBe('source_gone')
    expect(syncPriorityCause(before, { ...before, kev: KEV })).toBe('feed_refresh')
    expect(syncPriorityCause(before, { ...before, epss: { ...EPSS, score: 0.5 } })).toBe('feed_refresh')
    expect(syncPriorityCause(before, { ...before, epss: { ...EPSS } })).toBe('scanner_update')
  })

  it('a new priority moves an open issue’s due date and records the change with its cause', () => {
    const detectedAt = new Date('2026-11-01T00:00:00Z')
    const p = prioritise([view('jfrog', { severity: 'medium' })], { feeds: feeds({ kev: KEV }) })
    const open = reprioritised(
      { status: 'open', priority: 'medium', slaDueAt: new Date('2027-01-30T00:00:00Z'), detectedAt },
      p,
      DEFAULT_SLA_POLICY,
      'feed_refresh',
    )
    expect(open.slaDueAt?.toISOString()).toBe('2026-11-08T00:00:00.000Z')
    expect(open.timeline).toEqual([
      { type: 'priority', from: 'medium', to: 'critical', explanation: p.explanation, cause: 'feed_refresh' },
    ])
    const closed = reprioritised(
      { status: 'fixed', priority: 'medium', slaDueAt: new Date('2027-01-30T00:00:00Z'), detectedAt },
      p,
      DEFAULT_SLA_POLICY,
      'policy_change',
    )
    expect(closed.slaDueAt?.toISOString()).toBe('2027-01-30T00:00:00.000Z')
    expect(
      reprioritised(
        { status: 'open', priority: 'critical', slaDueAt: null, detectedAt },
        p,
        DEFAULT_SLA_POLICY,
        'feed_refresh',
      ).timeline,
    ).toEqual([])
  })
})

describe('what an issue stores of the EPSS value', () => {
  const sources = [
    view('endor', { severity: 'high', signals: { epss: { score: 0.02 } } }),
    view('ox', { severity: 'high', signals: { epss: { score: 0.4312 } } }),
    view('a b=c', { severity: 'high', signals: { epss: { score: 0.0000123 } } }),
  ]

  it('the stored form holds a mark in place of the value; read with the value it is the text computed with it', () => {
    for (const epss of [EPSS, { score: 0.003, percentile: 0.12, date: '2026-12-02' }, { ...EPSS, score: 0.05 }]) {
      const ctx = { feeds: feeds({ epss }), policy: policy({ lowering: { factors: ['epss_low'], maxLevels: 1 } }) }
      const shown = prioritise(sources, ctx)
      const stored = prioritise(sources, { ...ctx, stored: true })
      expect(JSON.stringify(stored)).not.toMatch(/EPSS \d/)
      expect(stored.priority).toBe(shown.priority)
      expect(renderFactors(stored.factors, epss)).toEqual(shown.factors)
      expect(renderEpssMarks(stored.explanation, epss)).toBe(shown.explanation)
    }
  })

  it('a score that moves within its band stores the same; across a threshold it does not', () => {
    const at = (score: number, date: string) =>
      prioritise(sources, { feeds: feeds({ epss: { score, percentile: 0.5, date } }), stored: true })
    expect(at(0.2, '2026-12-01')).toEqual(at(0.31, '2026-12-02'))
    expect(at(0.2, '2026-12-01')).not.toEqual(at(0.09, '2026-12-02'))
    // a scanner's own score (no feed entry) is stored as it is: it changes only with a sync
    const own = prioritise(sources, { feeds: feeds(), stored: true })
    expect(own.factors.find((f) => f.code === 'epss_high')?.text).toBe('EPSS 0.43')
  })

  it('a mark whose CVE left the feed says so', () => {
    expect(renderEpssMarks(`${epssMark([['endor', 0.02]])}: exploitation unlikely`, null)).toBe(
      'EPSS: no longer scored by FIRST: exploitation unlikely',
    )
    expect(
      describeFeedEpss(EPSS, [
        ['endor', 0.43],
        ['ox', 0.2],
      ]),
    ).toBe('EPSS 0.43 (97th percentile), 2026-12-01; ox says 0.20')
  })
})
