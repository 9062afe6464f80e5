import { createHmac } from 'node:crypto'
import { DRIVERS } from '@vulnsync/db/testing'
import { type JiraSimulator, startJiraSimulator } from '@vulnsync/simulators/jira/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'
import { runOutbound } from './job.ts'

/**
 * Jira Cloud two ways, end to end against the simulator: a ticket per fix for critical issues (ADF description, due
 * date from the SLA), closed in Jira → vulnsync follows through the workflow (actor jira), fixed by a sync → the
 * ticket moves to Done, vulnsync's own changes do not come back, a replayed or late webhook changes nothing, a
 * missed webhook is caught up by the reconciliation, 429s are waited out and an outage only delays the push.
 */
const DAY = 86_400_000
const WEBHOOK_SECRET = 'jira-webhook-secret-0123456789'

let rows: TestRaw[] = []
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
const row = (id: string, cve: string, purl: string, severity = 'critical'): TestRaw => ({
  id,
  ids: [cve],
  purl,
  repo: 'https://github.com/acme/web',
  severity,
  detectedAt: new Date(Date.now() - 2 * DAY).toISOString(),
})

describe.each(DRIVERS)('Jira Cloud two-way on %s', (driver) => {
  let t: TestApp
  let sim: JiraSimulator
  let scannerId = ''
  let jiraId = ''
  /** the runtime's clock runs with real time, plus what a test skips ahead */
  let skipped = 0

  const sync = async (connectionId: string) => {
    const r = await t.api('POST', `/api/v1/connections/${connectionId}/syncs`)
    return t.waitForRun(r.body.run.id)
  }
  const issueOf = async (cve: string) =>
    (await t.api('GET', `/api/v1/vulnerabilities?cve=${cve}&repository=acme/web`)).body.items[0]
  const ticketsOf = async (issueId: string) =>
    (await t.api('GET', `/api/v1/vulnerabilities/${issueId}/tickets`)).body.items as any[]
  /** outbound passes until nothing is left to do (the background job may run some of them too) */
  const settle = async () => {
    for (let k = 0; k < 5; k++) {
      await runOutbound(t.rt)
      await sim.settled()
    }
  }
  /**
   * Outbound passes until `done` holds, or 20 s passed (the assertions after it then say what is wrong): a pass finds
   * nothing to do while the background job holds the tracker (a slow machine stretches its retries of a 5xx)
   */
  const settleUntil = async (done: () => Promise<boolean>) => {
    const deadline = Date.now() + 20_000
    do {
      await runOutbound(t.rt)
      await sim.settled()
      if (await done()) return
      await new Promise((r) => setTimeout(r, 100))
    } while (Date.now() < deadline)
  }
  const timelineActors = async (issueId: string) =>
    (await t.api('GET', `/api/v1/vulnerabilities/${issueId}/timeline`)).body.items.map((e: any) => e.actorKind)
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const signed = (body: string) => ({
    'x-hub-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
  })

  beforeAll(async () => {
    rows = []
    sim = await startJiraSimulator()
    t = await startTestApp({ driver, connectors: { test: scanner as any }, now: () => new Date(Date.now() + skipped) })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'w1' }])
    const s = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
    scannerId = s.body.connection.id
    await t.waitForRun(s.body.run.id)
    const j = await t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name: 'Jira',
      config: {
        siteUrl: sim.url,
        projectKey: 'sec',
        minPriority: 'critical',
        acceptedResolutions: ["Won't Fix"],
        falsePositiveResolutions: ['Not a bug'],
      },
      secrets: { email: 'bot@acme.example', apiToken: 'jira-token', webhookSecret: WEBHOOK_SECRET },
    })
    expect(j.status, JSON.stringify(j.body)).toBe(201)
    expect(j.body.check.message).toMatch(/connected to Jira as vulnsync bot: Bug tickets can be created in SEC/)
    jiraId = j.body.connection.id
    // the tracker's first run is its reconciliation: nothing to read yet
    expect((await t.waitForRun(j.body.run.id)).status).toBe('succeeded')
    sim.addWebhook({ url: `${t.url}/api/v1/hooks/${jiraId}`, secret: WEBHOOK_SECRET, label: 'vulnsync' })
  })

  afterAll(async () => {
    await t?.close()
    await sim?.close()
  })

  it('refuses a check in the connector words when the project or the issue type is wrong', async () => {
    const bad = await t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name: 'Jira bad',
      config: { siteUrl: sim.url, projectKey: 'NOPE' },
      secrets: { email: 'bot@acme.example', apiToken: 'jira-token' },
    })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toBe(
      'project NOPE does not exist, or the account cannot browse it (HTTP 404): check the project key',
    )
    const type = await t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name: 'Jira type',
      config: { siteUrl: sim.url, projectKey: 'SEC', issueType: 'Epic' },
      secrets: { email: 'bot@acme.example', apiToken: 'jira-token' },
    })
    expect(type.body.error.message).toBe(
      'issues of type "Epic" cannot be created in project SEC; the account can create Bug, Task, Security',
    )
    const reader = await t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name: 'Jira reader',
      config: { siteUrl: sim.url, projectKey: 'SEC' },
      secrets: { email: 'reader@acme.example', apiToken: 'jira-reader' },
    })
    expect(reader.body.error.message).toBe(
      'the account cannot create any issue in project SEC: it lacks the Create Issues permission',
    )
    const token = await t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name: 'Jira token',
      config: { siteUrl: sim.url, projectKey: 'SEC' },
      secrets: { email: 'bot@acme.example', apiToken: 'wrong' },
    })
    expect(token.body.error.message).toMatch(/^Jira rejected the account email and API token \(HTTP 401\)/)
    expect(token.body.error.hint).toMatch(/id\.atlassian\.com/)
  })

  it('makes one ticket per fix for critical issues, with CVEs, priority and why, owner, SLA due date and a link back', async () => {
    rows = [
      row('a1', 'CVE-2024-1001', 'pkg:npm/lodash@4.17.20'),
      row('a2', 'CVE-2024-1002', 'pkg:npm/lodash@4.17.20'),
      row('a3', 'CVE-2024-1003', 'pkg:npm/minimist@1.2.0'),
      row('a4', 'CVE-2024-1004', 'pkg:npm/left-pad@1.0.0', 'high'),
    ]
    await sync(scannerId)
    await settleUntil(async () => (await ticketsOf((await issueOf('CVE-2024-1001')).id))[0]?.pending === false)
    const lodash = await issueOf('CVE-2024-1001')
    const [ticket] = await ticketsOf(lodash.id)
    expect(ticket).toMatchObject({ kind: 'jira', category: 'new', status: 'To Do', pending: false, issues: 2 })
    expect(ticket.key).toMatch(/^SEC-\d+$/)
    expect((await ticketsOf((await issueOf('CVE-2024-1002')).id))[0].key).toBe(ticket.key)
    // the high one is below the rule; the other critical package is a ticket of its own
    expect(await ticketsOf((await issueOf('CVE-2024-1004')).id)).toEqual([])
    expect(sim.issues.size).toBe(2)
    const j = sim.issue(ticket.key)
    expect(j.summary).toBe('2 vulnerabilities in lodash 4.17.20 (acme/web): CVE-2024-1001, CVE-2024-1002')
    expect(j.labels).toEqual(expect.arrayContaining(['vulnsync', 'cve-2024-1001', 'cve-2024-1002']))
    expect(j.priority).toBe('Highest')
    expect(j.duedate).toBe(lodash.sla.dueAt.slice(0, 10))
    const text = JSON.stringify(j.description)
    for (const s of [
      'CVE-2024-1001',
      'CVE-2024-1002',
      'Priority: ',
      'Owner: ',
      'unassigned',
      'SLA due: ',
      'Open in vulnsync',
    ])
      expect(text).toContain(s)
    expect(text).toContain(`/vulnerabilities/${lodash.id}`)
    expect((j.description as any).type).toBe('doc')
  })

  it('follows Jira: closed with a mapped resolution records that decision, with an expiry, as the actor jira', async () => {
    const lodash = await issueOf('CVE-2024-1001')
    const [ticket] = await ticketsOf(lodash.id)
    sim.humanChange(ticket.key, { status: 'Done', resolution: "Won't Fix" })
    await sim.settled()
    for (const cve of ['CVE-2024-1001', 'CVE-2024-1002']) {
      const i = await issueOf(cve)
      expect(i.status).toBe('accepted')
      expect(i.decision).toMatchObject({ kind: 'accepted', scope: 'issue' })
      expect(i.decision.reason).toBe(`Jira ${ticket.key} was closed as "Won't Fix"`)
      // 30 days (the connection's setting), within the policy's 90
      expect(Math.round((Date.parse(i.decision.expiresAt) - Date.now() - skipped) / DAY)).toBe(30)
      expect(await timelineActors(i.id)).toContain('jira')
    }
    expect((await ticketsOf(lodash.id))[0]).toMatchObject({ category: 'done', resolution: "Won't Fix" })
    // the closing does not bounce back: no transition from vulnsync follows
    const before = sim.issue(ticket.key).history.length
    await settle()
    expect(sim.issue(ticket.key).history.length).toBe(before)
  })

  it('a replayed or late webhook changes nothing; a forged one is refused', async () => {
    const lodash = await issueOf('CVE-2024-1001')
    const [ticket] = await ticketsOf(lodash.id)
    // the creation webhook (category To Do) is older than the closing: replaying it must not reopen anything
    const old = sim.deliveries.find((d) => d.key === ticket.key && d.event === 'jira:issue_created')!
    const replay = await post(`/api/v1/hooks/${jiraId}`, old.body, signed(old.body))
    expect(replay.status).toBe(200)
    expect(await replay.json()).toMatchObject({ result: 'stale' })
    expect((await issueOf('CVE-2024-1001')).status).toBe('accepted')
    // the same payload, unsigned, or signed with another secret
    expect((await post(`/api/v1/hooks/${jiraId}`, old.body)).status).toBe(401)
    expect((await post(`/api/v1/hooks/${jiraId}`, old.body, { 'x-hub-signature': 'sha256=00' })).status).toBe(401)
    // the secret in the URL works too (Jira webhooks without a secret)
    const viaUrl = await post(`/api/v1/hooks/${jiraId}/${WEBHOOK_SECRET}`, old.body)
    expect(await viaUrl.json()).toMatchObject({ result: 'stale' })

    // out of order and twice: "In Progress" then "Done" arrive newest first, each delivered twice
    const minimist = await issueOf('CVE-2024-1003')
    const [t2] = await ticketsOf(minimist.id)
    sim.webhookFaults.duplicate = true
    sim.hold()
    sim.humanChange(t2.key, { status: 'In Progress' })
    sim.humanChange(t2.key, { status: 'Done', resolution: 'Not a bug' })
    await sim.release({ order: 'reverse' })
    sim.webhookFaults.duplicate = false
    const after = await issueOf('CVE-2024-1003')
    expect(after.status).toBe('false_positive')
    // the older "In Progress" arrived after "Done": it did not move the stage back to work
    expect(after.stage).not.toBe('in_progress')
    const late = sim.deliveries.filter((d) => d.key === t2.key && d.body.includes('"In Progress"'))
    expect(late.length).toBeGreaterThanOrEqual(2)
  })

  it('a fix found by a sync moves the ticket to Done; the echo of that change does not come back', async () => {
    rows = [...rows, row('a5', 'CVE-2024-1005', 'pkg:npm/axios@0.21.0')]
    await sync(scannerId)
    await settleUntil(async () => (await ticketsOf((await issueOf('CVE-2024-1005')).id))[0]?.pending === false)
    const axios = await issueOf('CVE-2024-1005')
    const [ticket] = await ticketsOf(axios.id)
    expect(ticket.category).toBe('new')
    rows = rows.filter((r) => r.id !== 'a5')
    await sync(scannerId)
    expect((await issueOf('CVE-2024-1005')).status).toBe('fixed')
    await settleUntil(async () => {
      const [t] = await ticketsOf(axios.id)
      return t?.category === 'done' && t.pending === false
    })
    const j = sim.issue(ticket.key)
    expect(j.status).toBe('Done')
    expect(j.history.at(-1)).toMatchObject({ by: 'acc-vulnsync', to: 'Done' })
    expect(JSON.stringify(j.comments.at(-1)?.body)).toContain('fixed: no scanner reports it any more')
    expect((await ticketsOf(axios.id))[0]).toMatchObject({ category: 'done', pending: false })
    // vulnsync's own transition came back as a webhook: it changed nothing in vulnsync
    const echoes = sim.deliveries.filter((d) => d.key === ticket.key && d.body.includes('"acc-vulnsync"'))
    expect(echoes.length).toBeGreaterThan(0)
    expect(await timelineActors(axios.id)).not.toContain('jira')
    expect((await issueOf('CVE-2024-1005')).status).toBe('fixed')
  })

  it('catches up a change whose webhook never came, through the reconciliation run', async () => {
    const lodash = await issueOf('CVE-2024-1001')
    const [ticket] = await ticketsOf(lodash.id)
    sim.hold() // webhooks lost
    sim.humanChange(ticket.key, { status: 'To Do' }) // reopened in Jira
    const run = await sync(jiraId)
    expect(run.status).toBe('succeeded')
    expect(run.counts.updated).toBeGreaterThanOrEqual(1)
    for (const cve of ['CVE-2024-1001', 'CVE-2024-1002']) {
      const i = await issueOf(cve)
      // the acceptance Jira made is revoked; the issue is open again, back to triage
      expect(i.status).toBe('open')
      expect(i.stage).toBe('triaged')
      expect(i.decision).toBeNull()
    }
    // the lost deliveries arrive late: older than what the reconciliation took in, they change nothing
    await sim.release()
    expect((await issueOf('CVE-2024-1001')).status).toBe('open')
  })

  it('waits out 429 with Retry-After, and an outage leaves the change queued until Jira answers', async () => {
    sim.setFaults({ jiraRateLimitNext: 2, jiraRetryAfter: 1 })
    rows = [...rows, row('a6', 'CVE-2024-1006', 'pkg:npm/express@4.0.0')]
    await sync(scannerId)
    const express = await issueOf('CVE-2024-1006')
    await settleUntil(async () => (await ticketsOf(express.id))[0]?.pending === false)
    expect((await ticketsOf(express.id))[0]).toMatchObject({ pending: false, category: 'new' })
    expect(sim.stats.statuses[429]).toBeGreaterThanOrEqual(2)

    // Jira down: the fix cannot be told; it stays pending with the error, and nothing is lost
    sim.setFaults({ serverErrorNext: 1_000 })
    rows = rows.filter((r) => r.id !== 'a6')
    await sync(scannerId)
    await settleUntil(async () => ((await ticketsOf(express.id))[0]?.attempts ?? 0) >= 1)
    const pending = (await ticketsOf(express.id))[0]
    expect(pending.pending).toBe(true)
    expect(pending.attempts).toBeGreaterThanOrEqual(1)
    expect(pending.lastError).toMatch(/503/)
    sim.setFaults({})
    skipped += 60 * 60_000 // past the retry time
    await settleUntil(async () => (await ticketsOf(express.id))[0]?.category === 'done')
    const done = (await ticketsOf(express.id))[0]
    expect(done).toMatchObject({ pending: false, category: 'done', lastError: null })
    expect(sim.issue(done.key).status).toBe('Done')
  })

  it('makes tickets by hand from the detail page or a bulk action, for issues below the rule', async () => {
    const leftPad = await issueOf('CVE-2024-1004')
    const r = await t.api('POST', `/api/v1/trackers/${jiraId}/tickets`, { ids: [leftPad.id] })
    expect(r.status).toBe(200)
    expect(r.body.matched).toBe(1)
    expect(r.body.tickets[0].key).toMatch(/^SEC-\d+$/)
    expect(sim.issue(r.body.tickets[0].key).summary).toBe('CVE-2024-1004 in left-pad 1.0.0 (acme/web)')
    const notTracker = await t.api('POST', `/api/v1/trackers/${scannerId}/tickets`, { ids: [leftPad.id] })
    expect(notTracker.status).toBe(422)
  })
})
