import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'
import { expireDecisions } from './decisions.ts'

/**
 * The remediation workflow through the API, on both databases: assignment and stages, decisions with scope and
 * expiry, the sync's rules (a decision survives re-syncs, covers issues imported later, a fix wins, a fixed issue that
 * returns reopens), SLA from the scanners' detection time, bulk actions that change all or nothing, the timeline.
 */
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()

let rowsA: TestRaw[] = []
let rowsB: TestRaw[] = []
const scannerA = createTestConnector(() => arrayDataset(rowsA), { pageSize: 50 })
const scannerB = createTestConnector(() => arrayDataset(rowsB), { pageSize: 50 })

const row = (id: string, cve: string, over: Partial<TestRaw> = {}): TestRaw => ({
  id,
  ids: [cve],
  purl: 'pkg:npm/lodash@4.17.20',
  repo: 'https://github.com/acme/web',
  severity: 'critical',
  detectedAt: daysAgo(10),
  ...over,
})

describe.each(DRIVERS)('remediation workflow on %s', (driver) => {
  let t: TestApp
  let connA = ''
  let connB = ''
  let member = { id: '', token: '' }
  let member2 = { id: '', token: '' }
  let viewerToken = ''

  const sync = async (connectionId: string) => {
    const r = await t.api('POST', `/api/v1/connections/${connectionId}/syncs`)
    return t.waitForRun(r.body.run.id)
  }
  const issueOf = async (cve: string, repo = 'acme/web') => {
    const r = await t.api('GET', `/api/v1/vulnerabilities?cve=${cve}&repository=${repo}`)
    return r.body.items[0]
  }
  const asMember = (method: string, path: string, body?: unknown) => t.api(method, path, body, { token: member.token })

  beforeAll(async () => {
    rowsA = [
      row('a1', 'CVE-2024-0001'),
      row('a2', 'CVE-2024-0002', { severity: 'high', detectedAt: daysAgo(40) }),
      row('a3', 'CVE-2024-0003', { severity: 'medium', detectedAt: daysAgo(5) }),
      row('a4', 'CVE-2024-0004', { severity: 'low' }),
      row('a5', 'CVE-2024-0005', { repo: 'https://github.com/acme/api' }),
      row('a6', 'CVE-2024-0006', { severity: 'high', detectedAt: daysAgo(25) }),
    ]
    rowsB = []
    t = await startTestApp({
      driver,
      connectors: { test: scannerA as any, other: { ...scannerB, kind: 'other' } as any },
    })
    await seedRepositories(t.db, t.rt.workspaceId, [
      { fullName: 'acme/web', externalId: 'w1' },
      { fullName: 'acme/api', externalId: 'a1' },
      { fullName: 'acme/infra', externalId: 'i1' },
    ])
    for (const [who, role] of [
      ['mia', 'member'],
      ['max', 'member'],
    ] as const) {
      const u = await t.api('POST', '/api/v1/users', { username: who, password: 'member-password', role })
      const login = await fetch(`${t.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: who, password: 'member-password' }),
      })
      expect(login.status).toBe(200)
      // a member's own API token, for the API calls of this test
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!
      const host = new URL(t.url).host
      const tok = await t.api(
        'POST',
        '/api/v1/tokens',
        { name: `${who} token`, role: 'member' },
        { token: null, headers: { cookie, origin: `http://${host}` } },
      )
      // members cannot create tokens (admin only): create it as admin for that user instead
      expect(tok.status).toBe(403)
      const { generateToken, hashToken, tokenPrefix } = await import('../auth.ts')
      const { insertToken } = await import('@vulnsync/db')
      const token = generateToken()
      await insertToken(t.db, {
        workspaceId: t.rt.workspaceId,
        userId: u.body.user.id,
        name: `${who} token`,
        hash: hashToken(token),
        prefix: tokenPrefix(token),
        role: 'member',
      })
      if (who === 'mia') member = { id: u.body.user.id, token }
      else member2 = { id: u.body.user.id, token }
    }
    viewerToken = (await t.api('POST', '/api/v1/tokens', { name: 'viewer', role: 'viewer' })).body.token
    const a = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'A', secrets: { token: 'x' } })
    connA = a.body.connection.id
    await t.waitForRun(a.body.run.id)
    const b = await t.api('POST', '/api/v1/connections', { kind: 'other', name: 'B', secrets: { token: 'x' } })
    connB = b.body.connection.id
    await t.waitForRun(b.body.run.id)
  })
  afterAll(() => t?.close())

  it('new issues start at stage new, unassigned, with an SLA counted from the scanner detection time', async () => {
    const i = await issueOf('CVE-2024-0001')
    expect(i).toMatchObject({ status: 'open', stage: 'new', assignee: null, decision: null })
    // critical by default: 7 days from the detection 10 days ago → breached by 3 days
    expect(new Date(i.sla.dueAt).getTime()).toBe(new Date(i.detectedAt).getTime() + 7 * DAY)
    expect(i.sla.state).toBe('breached')
    expect(i.sla.daysLeft).toBe(-3)
    const med = await issueOf('CVE-2024-0003')
    expect(med.sla).toMatchObject({ state: 'ok', daysLeft: 85 })
    const high = await issueOf('CVE-2024-0006')
    expect(high.sla).toMatchObject({ state: 'due_soon', daysLeft: 5 })
  })

  it('assigns and moves stages, refusing unknown users and stages of closed issues, and records the timeline', async () => {
    const i = await issueOf('CVE-2024-0001')
    const r = await asMember('PATCH', `/api/v1/vulnerabilities/${i.id}`, { assigneeId: member.id, stage: 'triaged' })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ stage: 'triaged', assignee: { id: member.id, username: 'mia' } })
    const unknown = await asMember('PATCH', `/api/v1/vulnerabilities/${i.id}`, {
      assigneeId: '00000000-0000-4000-8000-000000000000',
    })
    expect(unknown.status).toBe(422)
    expect(unknown.body.error.message).toMatch(/^assigneeId: no active user/)
    const badStage = await asMember('PATCH', `/api/v1/vulnerabilities/${i.id}`, { stage: 'done' })
    expect(badStage.status).toBe(422)
    expect(badStage.body.error.message).toMatch(/body\.stage/)
    expect(
      (await t.api('PATCH', `/api/v1/vulnerabilities/${i.id}`, { stage: 'in_progress' }, { token: viewerToken }))
        .status,
    ).toBe(403)
    const tl = await t.api('GET', `/api/v1/vulnerabilities/${i.id}/timeline`)
    const types = tl.body.items.map((e: any) => e.type)
    expect(types).toEqual(expect.arrayContaining(['detected', 'source_added', 'assigned', 'stage']))
    const assigned = tl.body.items.find((e: any) => e.type === 'assigned')
    expect(assigned).toMatchObject({ actor: 'mia', actorKind: 'token', detail: { to: { username: 'mia' } } })
    const audit = await t.api('GET', '/api/v1/audit?limit=50')
    expect(audit.body.items.map((e: any) => e.action)).toEqual(
      expect.arrayContaining(['issue.assigned', 'issue.stage']),
    )
  })

  it('comments in markdown up to 10,000 characters', async () => {
    const i = await issueOf('CVE-2024-0001')
    const ok = await asMember('POST', `/api/v1/vulnerabilities/${i.id}/comments`, {
      body: 'Upgrade **lodash** to 4.17.21',
    })
    expect(ok.status).toBe(201)
    expect(ok.body.items.find((e: any) => e.type === 'comment').detail.body).toBe('Upgrade **lodash** to 4.17.21')
    const long = await asMember('POST', `/api/v1/vulnerabilities/${i.id}/comments`, { body: 'x'.repeat(10_001) })
    expect(long.status).toBe(422)
    expect(long.body.error.message).toMatch(/^body: a comment is at most 10,000 characters/)
  })

  it('refuses decisions that break the policy, naming the field, and records none', async () => {
    const i = await issueOf('CVE-2024-0002')
    const cases: [unknown, RegExp][] = [
      [{ issueId: i.id, kind: 'accepted', reason: 'low exposure' }, /^expiresAt: a risk acceptance needs an expiry/],
      [{ issueId: i.id, kind: 'accepted', reason: '   ', expiresAt: daysAgo(-10) }, /reason/],
      [
        { issueId: i.id, kind: 'accepted', reason: 'x', expiresAt: daysAgo(1) },
        /^expiresAt: the expiry must be in the future/,
      ],
      [
        { issueId: i.id, kind: 'accepted', reason: 'x', expiresAt: daysAgo(-91) },
        /^expiresAt: an acceptance may last at most 90 days/,
      ],
      [
        { issueId: i.id, kind: 'not_affected', reason: 'x', justification: 'because' },
        /^justification: a not_affected justification is one of/,
      ],
      [{ issueId: '99999999', kind: 'false_positive', reason: 'x' }, /^issueId: issue 99999999 does not exist/],
    ]
    for (const [body, message] of cases) {
      const r = await asMember('POST', '/api/v1/decisions', body)
      expect(r.status, JSON.stringify(body)).toBe(422)
      expect(r.body.error.message).toMatch(message)
    }
    expect((await t.api('GET', '/api/v1/decisions')).body.items).toEqual([])
    expect(
      (
        await t.api(
          'POST',
          '/api/v1/decisions',
          { issueId: i.id, kind: 'false_positive', reason: 'x' },
          { token: viewerToken },
        )
      ).status,
    ).toBe(403)
  })

  let acceptedId = ''
  it('a risk acceptance closes the issue, and every re-sync keeps it', async () => {
    const i = await issueOf('CVE-2024-0002')
    const r = await asMember('POST', '/api/v1/decisions', {
      issueId: i.id,
      kind: 'accepted',
      reason: 'compensating control: WAF rule 942100',
      expiresAt: daysAgo(-30),
    })
    expect(r.status).toBe(201)
    acceptedId = r.body.decision.id
    expect(r.body.decision).toMatchObject({
      kind: 'accepted',
      scope: 'issue',
      issues: 1,
      createdBy: 'mia',
      createdById: member.id,
    })
    const after = await issueOf('CVE-2024-0002')
    expect(after.status).toBe('accepted')
    expect(after.decision).toMatchObject({ id: acceptedId, kind: 'accepted', needsReview: false })
    expect(after.sla.metSla).toBe(false) // accepted after its due date
    const run = await sync(connA)
    expect(run.status).toBe('succeeded')
    expect((await issueOf('CVE-2024-0002')).status).toBe('accepted')
    expect((await t.api('GET', '/api/v1/vulnerabilities?status=accepted')).body.total).toBe(1)
    expect((await t.api('GET', '/api/v1/vulnerabilities?status=open')).body.items.map((x: any) => x.cve)).not.toContain(
      'CVE-2024-0002',
    )
  })

  it('a decision for a CVE everywhere covers issues imported after it', async () => {
    const i = await issueOf('CVE-2024-0005', 'acme/api')
    const r = await asMember('POST', '/api/v1/decisions', {
      issueId: i.id,
      kind: 'not_affected',
      reason: 'the vulnerable function is never called',
      justification: 'vulnerable_code_not_in_execute_path',
      scope: 'cve_everywhere',
    })
    expect(r.status).toBe(201)
    expect((await issueOf('CVE-2024-0005', 'acme/api')).status).toBe('not_affected')
    // the same CVE appears in another repository later
    rowsA.push(row('a7', 'CVE-2024-0005', { repo: 'https://github.com/acme/infra' }))
    await sync(connA)
    const later = await issueOf('CVE-2024-0005', 'acme/infra')
    expect(later.status).toBe('not_affected')
    expect(later.decision).toMatchObject({ id: r.body.decision.id, scope: 'cve_everywhere' })
  })

  it('a fix wins over a decision; the issue returning is still covered, while an undecided one reopens', async () => {
    // both disappear from the scanner
    const keep = rowsA.filter((x) => x.id !== 'a2' && x.id !== 'a4')
    const all = rowsA
    rowsA = keep
    const run = await sync(connA)
    expect(run.counts.issuesFixed).toBe(2)
    expect((await issueOf('CVE-2024-0002')).status).toBe('fixed')
    const fixed4 = await issueOf('CVE-2024-0004')
    expect(fixed4.status).toBe('fixed')
    expect(fixed4.sla.metSla).toBe(true) // low: 180 days
    // …and come back
    rowsA = all
    const back = await sync(connA)
    expect(back.counts.reopened).toBe(2) // two occurrences reopened
    expect((await issueOf('CVE-2024-0002')).status).toBe('accepted')
    const reopened = await issueOf('CVE-2024-0004')
    expect(reopened).toMatchObject({ status: 'open', stage: 'new' })
    const tl = await t.api('GET', `/api/v1/vulnerabilities/${reopened.id}/timeline`)
    const status = tl.body.items.filter((e: any) => e.type === 'status').map((e: any) => e.detail.reason)
    expect(status).toEqual(['fixed', 'reopened'])
    expect(tl.body.items.find((e: any) => e.type === 'status').detail.runId).toBeTruthy()
  })

  it('an expired acceptance reopens its issue at stage triaged and says so', async () => {
    await t.db.query(`UPDATE decisions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [acceptedId])
    const r = await expireDecisions(t.db, new Date())
    expect(r).toEqual({ expired: 1, reopened: 1 })
    const i = await issueOf('CVE-2024-0002')
    expect(i).toMatchObject({ status: 'open', stage: 'triaged', decision: null })
    const tl = await t.api('GET', `/api/v1/vulnerabilities/${i.id}/timeline`)
    expect(tl.body.items.find((e: any) => e.type === 'decision' && e.detail.action === 'expired')).toMatchObject({
      actor: 'expiry',
      actorKind: 'job',
    })
    const d = await t.api('GET', `/api/v1/decisions/${acceptedId}`)
    expect(d.body.decision).toMatchObject({ endReason: 'expired', issues: 0 })
  })

  it('a new scanner reporting a decided issue flags the decision for review; marking it reviewed clears it', async () => {
    const i = await issueOf('CVE-2024-0003')
    const d = await asMember('POST', '/api/v1/decisions', {
      issueId: i.id,
      kind: 'false_positive',
      reason: 'test fixture only',
    })
    rowsB = [row('b3', 'CVE-2024-0003', { severity: 'medium', detectedAt: daysAgo(5) })]
    await sync(connB)
    const after = await issueOf('CVE-2024-0003')
    expect(after.status).toBe('false_positive')
    expect(after.sources.map((s: any) => s.kind).sort()).toEqual(['other', 'test'])
    expect(after.decision.needsReview).toBe(true)
    expect((await t.api('GET', '/api/v1/vulnerabilities?needsReview=true')).body.items.map((x: any) => x.id)).toEqual([
      i.id,
    ])
    const listed = await t.api('GET', '/api/v1/decisions?needsReview=true')
    expect(listed.body.items.map((x: any) => x.id)).toEqual([d.body.decision.id])
    const reviewed = await asMember('PATCH', `/api/v1/decisions/${d.body.decision.id}`, { reviewed: true })
    expect(reviewed.body.decision.needsReview).toBe(false)
    expect((await issueOf('CVE-2024-0003')).decision.needsReview).toBe(false)
  })

  it('only its author or an admin revokes a decision; revoking reopens what it covered', async () => {
    const i = await issueOf('CVE-2024-0003')
    const other = await t.api('DELETE', `/api/v1/decisions/${i.decision.id}`, undefined, { token: member2.token })
    expect(other.status).toBe(403)
    expect(other.body.error.message).toMatch(/only an admin may revoke a decision someone else made/)
    const mine = await asMember('DELETE', `/api/v1/decisions/${i.decision.id}`)
    expect(mine.status).toBe(200)
    expect(mine.body.decision.endReason).toBe('revoked')
    expect(await issueOf('CVE-2024-0003')).toMatchObject({ status: 'open', stage: 'triaged', decision: null })
  })

  it('filters by assignee (me, none), stage, SLA state and decision, and sorts by due date', async () => {
    const mine = await t.api('GET', '/api/v1/vulnerabilities?assignee=me', undefined, { token: member.token })
    expect(mine.body.items.map((x: any) => x.cve)).toEqual(['CVE-2024-0001'])
    const none = await t.api('GET', '/api/v1/vulnerabilities?assignee=none&status=open')
    expect(none.body.items.every((x: any) => x.assignee === null)).toBe(true)
    expect(
      (await t.api('GET', '/api/v1/vulnerabilities?stage=triaged')).body.items.every((x: any) => x.stage === 'triaged'),
    ).toBe(true)
    const breached = await t.api('GET', '/api/v1/vulnerabilities?sla=breached')
    expect(breached.body.total).toBeGreaterThan(0)
    expect(breached.body.items.every((x: any) => x.status === 'open' && x.sla.state === 'breached')).toBe(true)
    const soon = await t.api('GET', '/api/v1/vulnerabilities?sla=due_soon')
    expect(soon.body.items.map((x: any) => x.cve)).toEqual(['CVE-2024-0006'])
    expect((await t.api('GET', '/api/v1/vulnerabilities?status=not_affected')).body.total).toBe(2)
    // dueAt: soonest first, walked with the cursor
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: any = await t.api(
        'GET',
        `/api/v1/vulnerabilities?sort=dueAt&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      seen.push(...page.body.items.map((x: any) => x.sla?.dueAt ?? 'none'))
      cursor = page.body.nextCursor
    } while (cursor)
    const total = (await t.api('GET', '/api/v1/vulnerabilities')).body.total
    expect(seen).toHaveLength(total)
    const dated = seen.filter((x) => x !== 'none')
    expect(dated).toEqual([...dated].sort())
    expect(seen.slice(dated.length).every((x) => x === 'none')).toBe(true)
  })

  it('a bulk action by filter changes every match with one timeline entry each, sharing the bulk id', async () => {
    const r = await asMember('POST', '/api/v1/vulnerabilities/bulk', {
      filter: { status: 'open', repository: 'acme/web' },
      action: { assigneeId: member2.id },
    })
    expect(r.status).toBe(200)
    const open = (await t.api('GET', '/api/v1/vulnerabilities?status=open&repository=acme/web')).body
    expect(r.body.matched).toBe(open.total)
    expect(open.items.every((x: any) => x.assignee?.username === 'max')).toBe(true)
    for (const x of open.items) {
      const tl = await t.api('GET', `/api/v1/vulnerabilities/${x.id}/timeline`)
      const e = tl.body.items.filter((y: any) => y.bulkId === r.body.bulkId)
      expect(e).toHaveLength(1)
      expect(e[0].type).toBe('assigned')
    }
  })

  it('a bulk action that fails half way changes nothing', async () => {
    const all = (await t.api('GET', '/api/v1/vulnerabilities?limit=500')).body.items
    const before = JSON.stringify(all.map((x: any) => [x.id, x.status, x.stage, x.assignee?.id ?? null]))
    // decisions one issue at a time: the fixed-and-gone issue (acme/infra removed below) refuses half way through
    rowsA = rowsA.filter((x) => x.id !== 'a7')
    await sync(connA)
    const refreshed = (await t.api('GET', '/api/v1/vulnerabilities?limit=500')).body.items
    const fixedOne = refreshed.find((x: any) => x.status === 'fixed')
    expect(fixedOne).toBeTruthy()
    const openOnes = refreshed.filter((x: any) => x.status === 'open').map((x: any) => x.id)
    const ids = [...openOnes.slice(0, 2), fixedOne.id, ...openOnes.slice(2)]
    const decisionsBefore = (await t.api('GET', '/api/v1/decisions?includeEnded=true')).body.items.length
    const r = await asMember('POST', '/api/v1/vulnerabilities/bulk', {
      ids,
      action: { decision: { kind: 'false_positive', reason: 'scanner noise' } },
    })
    expect(r.status).toBe(409)
    expect(r.body.error.message).toMatch(/nothing to decide/)
    expect((await t.api('GET', '/api/v1/decisions?includeEnded=true')).body.items.length).toBe(decisionsBefore)
    const after = (await t.api('GET', '/api/v1/vulnerabilities?limit=500')).body.items
    expect(after.filter((x: any) => x.status === 'false_positive')).toEqual([])
    // a stage move refused for one issue, and an unknown id: all or nothing, each named
    const stage = await asMember('POST', '/api/v1/vulnerabilities/bulk', { ids, action: { stage: 'in_progress' } })
    expect(stage.status).toBe(422)
    expect(stage.body.error.message).toMatch(/^stage: 1 of \d+ issue\(s\) refuse the move/)
    const unknown = await asMember('POST', '/api/v1/vulnerabilities/bulk', {
      ids: [...ids, '987654321'],
      action: { stage: 'triaged' },
    })
    expect(unknown.status).toBe(422)
    expect(unknown.body.error.message).toMatch(/^ids: 1 unknown issue id/)
    const none = await asMember('POST', '/api/v1/vulnerabilities/bulk', { action: { stage: 'triaged' } })
    expect(none.status).toBe(422)
    expect(
      JSON.stringify(
        (await t.api('GET', '/api/v1/vulnerabilities?limit=500')).body.items
          .filter((x: any) => openOnes.includes(x.id))
          .map((x: any) => x.stage),
      ),
    ).toBe(JSON.stringify(refreshed.filter((x: any) => openOnes.includes(x.id)).map((x: any) => x.stage)))
    expect(before.length).toBeGreaterThan(0)
  })

  it('the SLA policy: a dry run counts exactly what the save then changes; closed issues keep their due date', async () => {
    const current = await t.api('GET', '/api/v1/policies/sla')
    expect(current.body).toEqual({
      basis: 'priority',
      days: { critical: 7, high: 30, medium: 90, low: 180, info: null },
      dueSoonDays: 7,
      maxAcceptanceDays: 90,
    })
    const next = { ...current.body, days: { ...current.body.days, medium: 3, high: 60 } }
    expect((await asMember('PUT', '/api/v1/policies/sla', next)).status).toBe(403)
    const fixedBefore = (await t.api('GET', '/api/v1/vulnerabilities?status=fixed')).body.items[0]
    const dry = await t.api('PUT', '/api/v1/policies/sla?dryRun=true', next)
    expect(dry.status).toBe(200)
    expect(dry.body.dryRun).toBe(true)
    expect(dry.body.changed).toBeGreaterThan(0)
    expect((await t.api('GET', '/api/v1/policies/sla')).body).toEqual(current.body)
    const saved = await t.api('PUT', '/api/v1/policies/sla', next)
    expect(saved.body.moves).toEqual(dry.body.moves)
    expect(saved.body.changed).toBe(dry.body.changed)
    expect((await t.api('GET', '/api/v1/policies/sla')).body).toEqual(next)
    const med = await issueOf('CVE-2024-0003')
    expect(new Date(med.sla.dueAt).getTime()).toBe(new Date(med.detectedAt).getTime() + 3 * DAY)
    expect(med.sla.state).toBe('breached')
    const fixedAfter = (await t.api('GET', `/api/v1/vulnerabilities/${fixedBefore.id}`)).body
    expect(fixedAfter.sla.dueAt).toBe(fixedBefore.sla.dueAt)
    const bad = await t.api('PUT', '/api/v1/policies/sla', { ...next, dueSoonDays: -1 })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toMatch(/body\.dueSoonDays/)
    // a shorter maximum binds new acceptances
    await t.api('PUT', '/api/v1/policies/sla', { ...next, maxAcceptanceDays: 10 })
    const i = await issueOf('CVE-2024-0006')
    const tooLong = await asMember('POST', '/api/v1/decisions', {
      issueId: i.id,
      kind: 'accepted',
      reason: 'x',
      expiresAt: daysAgo(-20),
    })
    expect(tooLong.status).toBe(422)
    expect(tooLong.body.error.message).toMatch(/at most 10 days/)
  })
})
