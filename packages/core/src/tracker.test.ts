import { describe, expect, it } from 'vitest'
import {
  ruleMatches,
  type TicketIssue,
  type TicketRules,
  ticketContent,
  ticketGroupKey,
  wantedCategory,
} from './tracker.ts'

const issue = (over: Partial<TicketIssue> = {}): TicketIssue => ({
  id: '1',
  cve: 'CVE-2026-0001',
  aliases: [],
  packageName: 'lodash',
  packageKey: 'pkg:npm/lodash',
  versions: ['4.17.20'],
  fixedVersions: ['4.17.21'],
  targetName: 'acme/web',
  targetUrl: 'https://github.com/acme/web',
  severity: 'high',
  priority: 'high',
  explanation: '',
  status: 'open',
  stage: 'new',
  owner: null,
  slaDueAt: null,
  sources: ['ox'],
  evidence: [],
  url: 'https://vulnsync.example/vulnerabilities/1',
  ...over,
})

describe('ticket grouping', () => {
  it('puts the issues one upgrade fixes into one ticket, unless one ticket per CVE is chosen', () => {
    const a = { id: '1', targetKey: 'repo:1', packageKey: 'pkg:npm/lodash' }
    const b = { id: '2', targetKey: 'repo:1', packageKey: 'pkg:npm/lodash' }
    const other = { id: '3', targetKey: 'repo:2', packageKey: 'pkg:npm/lodash' }
    expect(ticketGroupKey(a, 'fix')).toBe(ticketGroupKey(b, 'fix'))
    expect(ticketGroupKey(a, 'fix')).not.toBe(ticketGroupKey(other, 'fix'))
    expect(ticketGroupKey(a, 'issue')).not.toBe(ticketGroupKey(b, 'issue'))
  })
})

describe('ticket rules', () => {
  const rules = (over: Partial<TicketRules> = {}): TicketRules => ({
    minPriority: 'high',
    repositories: [],
    teams: [],
    grouping: 'fix',
    backfill: false,
    ...over,
  })
  it('picks open issues at or above the priority, in the chosen repositories only', () => {
    const at = { priority: 'high' as const, targetName: 'acme/web', status: 'open' as const, ownerTeamId: null }
    expect(ruleMatches(rules(), at)).toBe(true)
    expect(ruleMatches(rules(), { ...at, priority: 'critical' })).toBe(true)
    expect(ruleMatches(rules(), { ...at, priority: 'medium' })).toBe(false)
    expect(ruleMatches(rules(), { ...at, status: 'accepted' })).toBe(false)
    expect(ruleMatches(rules({ repositories: ['ACME/Web'] }), at)).toBe(true)
    expect(ruleMatches(rules({ repositories: ['acme/api'] }), at)).toBe(false)
  })
  it("picks a team's issues only when the rule names teams, and never an issue no team owns", () => {
    const payments = '6f1c1f0e-0000-4000-8000-000000000001'
    const web = '6f1c1f0e-0000-4000-8000-000000000002'
    const at = { priority: 'high' as const, targetName: 'acme/web', status: 'open' as const, ownerTeamId: payments }
    expect(ruleMatches(rules(), at)).toBe(true)
    expect(ruleMatches(rules({ teams: [payments] }), at)).toBe(true)
    expect(ruleMatches(rules({ teams: [web, payments] }), at)).toBe(true)
    expect(ruleMatches(rules({ teams: [web] }), at)).toBe(false)
    expect(ruleMatches(rules({ teams: [payments] }), { ...at, ownerTeamId: null })).toBe(false)
    // every criterion holds at once: the team's issue in another repository is not picked
    expect(ruleMatches(rules({ teams: [payments], repositories: ['acme/api'] }), at)).toBe(false)
    expect(ruleMatches(rules({ teams: [payments] }), { ...at, priority: 'low' })).toBe(false)
  })
  it('picks nothing by itself when tickets are made by hand only', () => {
    expect(
      ruleMatches(rules({ minPriority: null }), {
        priority: 'critical',
        targetName: 'acme/web',
        status: 'open',
        ownerTeamId: null,
      }),
    ).toBe(false)
  })
})

describe('the category vulnsync wants a ticket in', () => {
  const i = (status: TicketIssue['status'], stage: TicketIssue['stage'] = 'new', cve = 'CVE-2026-0001') => ({
    cve,
    status,
    stage,
  })
  it('is done once every issue of the ticket is closed, saying why', () => {
    const w = wantedCategory([i('fixed'), i('accepted', 'new', 'CVE-2026-0002')], 'new', false)
    expect(w?.category).toBe('done')
    expect(w?.why).toContain('fixed: no scanner reports it any more')
    expect(w?.why).toContain('risk accepted in vulnsync')
    expect(wantedCategory([i('fixed')], 'done', false)).toBeNull()
  })
  it('stays open while one issue of the group is open', () => {
    expect(wantedCategory([i('fixed'), i('open', 'new', 'CVE-2026-0002')], 'new', false)).toBeNull()
  })
  it('reopens a done ticket only when vulnsync reopened an issue (not when Jira closed it with work left)', () => {
    expect(wantedCategory([i('open', 'triaged')], 'done', false)).toBeNull()
    const w = wantedCategory([i('open', 'triaged')], 'done', true)
    expect(w).toMatchObject({ category: 'new' })
    expect(w?.why).toBe('reopened in vulnsync: CVE-2026-0001 is open again')
  })
  it('starts progress when work on an open issue started, and never moves a ticket back from progress', () => {
    expect(wantedCategory([i('open', 'in_progress')], 'new', false)?.category).toBe('indeterminate')
    expect(wantedCategory([i('open', 'fix_proposed')], 'new', false)?.category).toBe('indeterminate')
    expect(wantedCategory([i('open', 'triaged')], 'new', false)).toBeNull()
    expect(wantedCategory([i('open', 'triaged')], 'indeterminate', false)).toBeNull()
    expect(wantedCategory([], 'new', false)).toBeNull()
  })
})

describe('ticket content', () => {
  it('names the one CVE, the package, its versions and the target', () => {
    const c = ticketContent([issue()], 'https://vulnsync.example/q')
    expect(c.summary).toBe('CVE-2026-0001 in lodash 4.17.20 (acme/web)')
    expect(c.labels).toEqual(['vulnsync', 'cve-2026-0001'])
  })
  it('takes the priority and due date of the most urgent open issue of a group', () => {
    const c = ticketContent(
      [
        issue({ id: '1', cve: 'CVE-2026-0003', priority: 'medium', slaDueAt: new Date('2027-02-01T00:00:00Z') }),
        issue({ id: '2', cve: 'CVE-2026-0001', priority: 'critical', slaDueAt: new Date('2027-01-10T12:00:00Z') }),
        // closed: neither its priority nor its (earlier) due date counts
        issue({
          id: '3',
          cve: 'CVE-2026-0002',
          priority: 'critical',
          status: 'fixed',
          slaDueAt: new Date('2026-12-01T00:00:00Z'),
        }),
        issue({ id: '4', cve: 'CVE-2026-0004', priority: 'low' }),
      ],
      'https://vulnsync.example/q',
    )
    expect(c.priority).toBe('critical')
    expect(c.dueDate).toBe('2027-01-10')
    expect(c.summary).toBe(
      '4 vulnerabilities in lodash 4.17.20 (acme/web): CVE-2026-0001, CVE-2026-0002, CVE-2026-0003, …',
    )
  })
  it('keeps the summary within Jira’s 255 characters', () => {
    const long = 'x'.repeat(300)
    const c = ticketContent([issue({ packageName: long })], 'https://vulnsync.example/q')
    expect(c.summary.length).toBe(250)
    expect(c.summary.endsWith('…')).toBe(true)
  })
})
