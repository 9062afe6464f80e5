import { describe, expect, it } from 'vitest'
import {
  DECISION_KINDS,
  DEFAULT_SLA_POLICY,
  type DecisionKind,
  evidenceOf,
  ISSUE_STATUSES,
  type IssueStatus,
  STAGES,
  type Stage,
  slaDueAt,
  slaState,
  syncIssue,
  transition,
  validateDecision,
  type WorkEvent,
  type WorkState,
} from './workflow.ts'

/** Every event the workflow knows, with each of its values. */
const EVENTS: WorkEvent[] = [
  ...(['open', 'fixed', 'excluded'] as const).map((evidence) => ({ type: 'sync' as const, evidence })),
  ...STAGES.map((stage) => ({ type: 'set_stage' as const, stage })),
  ...DECISION_KINDS.map((kind) => ({ type: 'decision_applied' as const, kind })),
  ...(['revoked', 'expired'] as const).flatMap((cause) =>
    [null, ...DECISION_KINDS].map((next) => ({ type: 'decision_ended' as const, cause, next })),
  ),
  { type: 'fix_proposed' },
  { type: 'fix_merged' },
  { type: 'fix_abandoned' },
]

/** Every consistent state: a decision-kind status only with a decision of that kind. */
const STATES: WorkState[] = ISSUE_STATUSES.flatMap((status) =>
  STAGES.flatMap((stage) =>
    [null, ...DECISION_KINDS]
      .filter((decision) => !DECISION_KINDS.includes(status as DecisionKind) || decision === status)
      .filter((decision) => status !== 'open' || decision === null)
      .map((decision) => ({ status, stage, decision })),
  ),
)

/** What the rules say, written independently of the implementation. */
const expected = (s: WorkState, e: WorkEvent): { status: IssueStatus; stage: Stage } | 'refused' => {
  const precedence = (ev: 'open' | 'fixed' | 'excluded', d: DecisionKind | null): IssueStatus =>
    ev === 'fixed' ? 'fixed' : ev === 'excluded' ? 'excluded' : (d ?? 'open')
  const ev = evidenceOf(s.status)
  switch (e.type) {
    case 'sync': {
      const status = precedence(e.evidence, s.decision)
      return { status, stage: s.status === 'fixed' && status === 'open' ? 'new' : s.stage }
    }
    case 'set_stage':
      return s.status === 'open' ? { status: 'open', stage: e.stage } : 'refused'
    case 'decision_applied':
      return { status: precedence(ev, e.kind), stage: s.stage }
    case 'decision_ended': {
      const status = precedence(ev, e.next)
      return {
        status,
        stage: DECISION_KINDS.includes(s.status as DecisionKind) && status === 'open' ? 'triaged' : s.stage,
      }
    }
    case 'fix_proposed':
      return { status: s.status, stage: s.status === 'open' && s.stage !== 'fix_merged' ? 'fix_proposed' : s.stage }
    case 'fix_merged':
      return { status: s.status, stage: s.status === 'open' ? 'fix_merged' : s.stage }
    case 'fix_abandoned':
      return {
        status: s.status,
        stage: s.status === 'open' && (s.stage === 'fix_proposed' || s.stage === 'fix_merged') ? 'triaged' : s.stage,
      }
  }
}

describe('the workflow transition function', () => {
  const pairs = STATES.flatMap((s) => EVENTS.map((e) => [s, e] as const))

  it(`covers every pair of state and event (${STATES.length} states × ${EVENTS.length} events)`, () => {
    expect(pairs.length).toBe(STATES.length * EVENTS.length)
    for (const [s, e] of pairs) {
      const r = transition(s, e)
      const want = expected(s, e)
      const where = `${JSON.stringify(s)} + ${JSON.stringify(e)}`
      if (want === 'refused') {
        expect(r.ok, where).toBe(false)
        continue
      }
      expect(r.ok, where).toBe(true)
      if (!r.ok) continue
      expect({ status: r.state.status, stage: r.state.stage }, where).toEqual(want)
      // the invariant: a decision-kind status only under a decision of that kind
      if (DECISION_KINDS.includes(r.state.status as DecisionKind)) expect(r.state.decision, where).toBe(r.state.status)
      // every change is reported, and only changes
      expect(r.changes.filter((c) => c.type === 'status').length, where).toBe(r.state.status === s.status ? 0 : 1)
      expect(r.changes.filter((c) => c.type === 'stage').length, where).toBe(r.state.stage === s.stage ? 0 : 1)
      expect(r.reopened, where).toBe(s.status === 'fixed' && r.state.status === 'open')
    }
  })

  it('a fix wins over every decision; a covered issue that returns is not reopened', () => {
    for (const kind of DECISION_KINDS) {
      const fixed = transition({ status: kind, stage: 'triaged', decision: kind }, { type: 'sync', evidence: 'fixed' })
      expect(fixed.ok && fixed.state.status).toBe('fixed')
      const back = transition({ status: 'fixed', stage: 'triaged', decision: kind }, { type: 'sync', evidence: 'open' })
      expect(back.ok && [back.state.status, back.reopened]).toEqual([kind, false])
    }
    const undecided = transition(
      { status: 'fixed', stage: 'fix_merged', decision: null },
      { type: 'sync', evidence: 'open' },
    )
    expect(undecided.ok && [undecided.state.status, undecided.state.stage, undecided.reopened]).toEqual([
      'open',
      'new',
      true,
    ])
  })

  it('refuses a stage move of an issue that is not open, with the reason', () => {
    const r = transition(
      { status: 'false_positive', stage: 'new', decision: 'false_positive' },
      { type: 'set_stage', stage: 'in_progress' },
    )
    expect(r).toEqual({
      ok: false,
      code: 'not_open',
      message: 'the issue is false positive: stages apply to open issues only',
    })
  })
})

describe('decisions and SLA', () => {
  const now = new Date('2026-12-01T00:00:00Z')
  const policy = { maxAcceptanceDays: 90 }
  it.each([
    [{ kind: 'accepted', reason: 'x' }, 'expiresAt'],
    [{ kind: 'accepted', reason: ' ', expiresAt: new Date('2026-12-10T00:00:00Z') }, 'reason'],
    [{ kind: 'accepted', reason: 'x', expiresAt: new Date('2026-11-30T00:00:00Z') }, 'expiresAt'],
    [{ kind: 'accepted', reason: 'x', expiresAt: new Date('2027-03-02T00:00:01Z') }, 'expiresAt'],
    [{ kind: 'not_affected', reason: 'x', justification: 'nope' }, 'justification'],
  ] as const)('refuses %o, naming %s', (d, field) => {
    expect(validateDecision(d as any, policy, now)?.field).toBe(field)
  })
  it('accepts an acceptance up to the maximum, and open-ended false positives', () => {
    expect(
      validateDecision({ kind: 'accepted', reason: 'x', expiresAt: new Date('2027-03-01T00:00:00Z') }, policy, now),
    ).toBeNull()
    expect(validateDecision({ kind: 'false_positive', reason: 'x' }, policy, now)).toBeNull()
    expect(
      validateDecision({ kind: 'not_affected', reason: 'x', justification: 'component_not_present' }, policy, now),
    ).toBeNull()
  })
  it('counts SLA from the detection time, days × 24 h, with states and days left', () => {
    const detected = new Date('2026-11-20T12:00:00Z')
    const due = slaDueAt(DEFAULT_SLA_POLICY, 'critical', detected)!
    expect(due.toISOString()).toBe('2026-11-27T12:00:00.000Z')
    expect(slaDueAt(DEFAULT_SLA_POLICY, 'info', detected)).toBeNull()
    expect(slaState({ dueSoonDays: 7 }, due, now)).toEqual({
      dueAt: due.toISOString(),
      state: 'breached',
      daysLeft: -3,
    })
    expect(slaState({ dueSoonDays: 7 }, due, new Date('2026-11-27T11:00:00Z')).state).toBe('due_soon')
    expect(slaState({ dueSoonDays: 7 }, due, new Date('2026-11-27T13:00:00Z')).daysLeft).toBe(-1)
    expect(slaState({ dueSoonDays: 7 }, due, new Date('2026-11-10T00:00:00Z'))).toMatchObject({
      state: 'ok',
      daysLeft: 18,
    })
  })
  it('a sync flags a decision for review when a new source reports the issue or its version changes', () => {
    const before = {
      status: 'accepted' as const,
      stage: 'triaged' as const,
      decision: 'accepted' as const,
      priority: 'high' as const,
      slaDueAt: null,
      closedAt: now,
      sources: ['c1'],
      versions: ['1.0.0'],
    }
    const after = {
      evidence: 'open' as const,
      priority: 'high' as const,
      severity: 'high' as const,
      explanation: '',
      detectedAt: now,
      fixedAt: null,
      sources: ['c1'],
      versions: ['1.0.0'],
    }
    expect(syncIssue(before, after, DEFAULT_SLA_POLICY, now).reviewNeeded).toBeNull()
    expect(syncIssue(before, { ...after, sources: ['c1', 'c2'] }, DEFAULT_SLA_POLICY, now).reviewNeeded).toMatchObject({
      reason: 'new_source',
    })
    expect(syncIssue(before, { ...after, versions: ['1.0.1'] }, DEFAULT_SLA_POLICY, now).reviewNeeded).toMatchObject({
      reason: 'version_changed',
    })
    const raised = syncIssue(
      { ...before, decision: null, status: 'open' },
      { ...after, priority: 'critical' },
      DEFAULT_SLA_POLICY,
      now,
    )
    expect(raised.timeline).toEqual([{ type: 'priority', from: 'high', to: 'critical', explanation: '' }])
    expect(raised.slaDueAt?.toISOString()).toBe(new Date(now.getTime() + 7 * 86_400_000).toISOString())
  })
})
