import { randomUUID } from 'node:crypto'
import { DRIVERS } from '@vulnsync/db/testing'
import { type JiraSimulator, startJiraSimulator } from '@vulnsync/simulators/jira/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'
import { runOutbound } from './job.ts'

/**
 * A Jira ticket rule that names teams (issue 16 with the teams of issue 14): tickets for the issues those teams own
 * only, whether the issues were there before the rule (backfill), arrive later, or change owner; an unknown team is
 * refused (422 naming `config.teams`), and a team a rule names is not deleted from under it.
 */
let rows: TestRaw[] = []
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
const row = (id: string, cve: string, repo: string, pkg: string, severity = 'critical'): TestRaw => ({
  id,
  ids: [cve],
  purl: `pkg:npm/${pkg}@1.0.0`,
  repo: `https://github.com/acme/${repo}`,
  severity,
  detectedAt: new Date(Date.now() - 86_400_000).toISOString(),
})

describe.each(DRIVERS)('Jira ticket rules by team on %s', (driver) => {
  let t: TestApp
  let sim: JiraSimulator
  let scannerId = ''
  let jiraId = ''
  let payments = ''
  let web = ''
  let webRule = ''

  const sync = async () => {
    const r = await t.api('POST', `/api/v1/connections/${scannerId}/syncs`)
    expect((await t.waitForRun(r.body.run.id)).status).toBe('succeeded')
  }
  const settle = async () => {
    for (let k = 0; k < 4; k++) {
      await runOutbound(t.rt)
      await sim.settled()
    }
  }
  /** the CVEs with a ticket of the Jira connection, sorted */
  const ticketed = async () => {
    const all = (await t.api('GET', '/api/v1/vulnerabilities?limit=500')).body.items as any[]
    const out: string[] = []
    for (const i of all) {
      const tickets = (await t.api('GET', `/api/v1/vulnerabilities/${i.id}/tickets`)).body.items as any[]
      if (tickets.some((x) => x.connectionId === jiraId)) out.push(i.cve)
    }
    return out.sort()
  }
  const jira = (config: Record<string, unknown>, name = 'Jira') =>
    t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name,
      config: { siteUrl: sim.url, projectKey: 'SEC', minPriority: 'high', ...config },
      secrets: { email: 'bot@acme.example', apiToken: 'jira-token' },
    })

  beforeAll(async () => {
    rows = [
      row('p1', 'CVE-2026-2001', 'api', 'lodash'),
      row('w1', 'CVE-2026-2002', 'web', 'minimist'),
      row('p-low', 'CVE-2026-2003', 'api', 'left-pad', 'low'),
    ]
    sim = await startJiraSimulator()
    t = await startTestApp({ driver, connectors: { test: scanner as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [
      { fullName: 'acme/api', externalId: 'r1' },
      { fullName: 'acme/web', externalId: 'r2' },
    ])
    const s = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
    scannerId = s.body.connection.id
    await t.waitForRun(s.body.run.id)
    payments = (await t.api('POST', '/api/v1/teams', { name: 'Payments' })).body.id
    web = (await t.api('POST', '/api/v1/teams', { name: 'Web' })).body.id
    const api = await t.api('POST', '/api/v1/ownership-rules', {
      match: { repository: 'acme/api', image: null, path: null },
      teamId: payments,
    })
    expect(api.status, JSON.stringify(api.body)).toBe(201)
    const w = await t.api('POST', '/api/v1/ownership-rules', {
      match: { repository: 'acme/web', image: null, path: null },
      teamId: web,
    })
    webRule = w.body.id
    const owners = (await t.api('GET', '/api/v1/vulnerabilities?limit=500')).body.items.map((i: any) => [
      i.cve,
      i.owner.team?.name,
    ])
    expect(Object.fromEntries(owners)).toEqual({
      'CVE-2026-2001': 'Payments',
      'CVE-2026-2002': 'Web',
      'CVE-2026-2003': 'Payments',
    })
  })

  afterAll(async () => {
    await t?.close()
    await sim?.close()
  })

  it('refuses a rule naming a team that does not exist, or not by its id, before asking Jira anything', async () => {
    const ghost = randomUUID()
    const unknown = await jira({ teams: [payments, ghost] })
    expect(unknown.status).toBe(422)
    expect(unknown.body.error.message).toBe(`config.teams: team ${ghost} does not exist`)
    expect(unknown.body.error.hint).toMatch(/GET \/api\/v1\/teams/)
    const byName = await jira({ teams: ['Payments'] })
    expect(byName.status).toBe(422)
    expect(byName.body.error.message).toMatch(/config\.teams\.0: a team is named by its id/)
    expect((await t.api('GET', '/api/v1/connections')).body.items.some((c: any) => c.kind === 'jira')).toBe(false)
  })

  it("tickets the chosen team's issues only: those there before (backfill), new ones, and those it comes to own", async () => {
    const j = await jira({ teams: [payments], backfill: true })
    expect(j.status, JSON.stringify(j.body)).toBe(201)
    jiraId = j.body.connection.id
    expect(j.body.connection.config.teams).toEqual([payments])
    await t.waitForRun(j.body.run.id)
    await settle()
    // backfill: Payments' critical issue; the low one is under the priority, Web's is another team's
    expect(await ticketed()).toEqual(['CVE-2026-2001'])

    // new issues: Payments' gets a ticket, Web's does not
    rows = [...rows, row('p2', 'CVE-2026-2004', 'api', 'express'), row('w2', 'CVE-2026-2005', 'web', 'qs')]
    await sync()
    await settle()
    expect(await ticketed()).toEqual(['CVE-2026-2001', 'CVE-2026-2004'])

    // the owner changes: acme/web's issues are now Payments', and the next pass tickets them
    const moved = await t.api('PATCH', `/api/v1/ownership-rules/${webRule}`, { teamId: payments })
    expect(moved.status, JSON.stringify(moved.body)).toBe(200)
    await settle()
    expect(await ticketed()).toEqual(['CVE-2026-2001', 'CVE-2026-2002', 'CVE-2026-2004', 'CVE-2026-2005'])
    expect(sim.issues.size).toBe(4)
  })

  it('refuses a change naming an unknown team, and keeps a named team from being deleted', async () => {
    const ghost = randomUUID()
    const bad = await t.api('PATCH', `/api/v1/connections/${jiraId}`, { config: { teams: [ghost] } })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toBe(`config.teams: team ${ghost} does not exist`)
    const del = await t.api('DELETE', `/api/v1/teams/${payments}`)
    expect(del.status).toBe(409)
    expect(del.body.error.message).toBe('the ticket rule of "Jira" names this team')
    expect(del.body.error.hint).toMatch(/Only these teams/)
    // Web is named by no rule of a tracker: it goes (its ownership rule first)
    expect((await t.api('DELETE', `/api/v1/teams/${web}`)).status).toBe(204)
    const ok = await t.api('PATCH', `/api/v1/connections/${jiraId}`, { config: { teams: [] } })
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(ok.body.connection.config.teams).toEqual([])
    expect((await t.api('DELETE', `/api/v1/teams/${payments}`)).status).toBe(409) // an ownership rule names it
  })
})
