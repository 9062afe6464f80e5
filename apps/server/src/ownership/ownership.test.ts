import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { saveCodeowners } from '@vulnsync/db'
import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * Ownership through the public API, on both databases: the CODEOWNERS matching table as the queue shows it, the
 * order of the sources, recomputation after a rule change (and its preview), the business-priority factor, the
 * default assignee, and the input refused.
 */

const PAY_CODEOWNERS = [
  '# pay-api owners',
  '*                       @acme/platform',
  '/services/pay/          @acme/payments',
  '*.md                    @alice',
  'docs/*                  @acme/docs',
  '**/logs                 @acme/sec',
  '/services/pay/vendor/',
  'payments-team /services/legacy/',
].join('\n')

const WEB_CODEOWNERS = ['* @acme/platform', '[Frontend] @acme/web', '/src/', '[Docs]', '*.md @acme/docs'].join('\n')

const PAY = 'https://github.com/acme/pay-api'
const WEB = 'https://github.com/acme/web'
const INFRA = 'https://github.com/acme/infra'

let n = 0
const finding = (repo: string, manifest: string | undefined, o: Partial<TestRaw> = {}): TestRaw => {
  n++
  return {
    id: `f${n}`,
    ids: [`CVE-2026-${String(1000 + n)}`],
    purl: `pkg:npm/p${n}@1.0.0`,
    repo,
    severity: 'high',
    detectedAt: '2026-01-01T00:00:00Z',
    manifest,
    ...o,
  }
}

/** manifest path → the team CODEOWNERS gives, and the line that decides */
const PAY_TABLE: [string, string, string][] = [
  ['package.json', 'Platform', '.github/CODEOWNERS line 2 `*                       @acme/platform`'],
  ['services/pay/package.json', 'Payments', '.github/CODEOWNERS line 3 `/services/pay/          @acme/payments`'],
  ['services/pay/api/go.mod', 'Payments', 'line 3'],
  ['services/payroll/package.json', 'Platform', 'line 2'],
  ['docs/package.json', 'Docs', 'line 5 `docs/*                  @acme/docs`'],
  ['docs/site/package.json', 'Platform', 'line 2'],
  ['build/logs/requirements.txt', 'Sec', 'line 6 `**/logs                 @acme/sec`'],
  ['web/README.md', 'Payments', 'team Payments (through alice, a member), .github/CODEOWNERS line 4'],
]
const WEB_TABLE: [string, string, string][] = [
  ['src/app/package.json', 'Web', 'CODEOWNERS [Frontend] line 3 `/src/`'],
  ['src/README.md', 'Docs', 'CODEOWNERS [Docs] line 5 `*.md @acme/docs`'],
  ['package.json', 'Platform', 'CODEOWNERS line 1 `* @acme/platform`'],
]

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vulnsync.mjs')

describe.each(DRIVERS)('ownership on %s', (driver) => {
  let t: TestApp
  let rows: TestRaw[] = []
  const scanner = createTestConnector(() => arrayDataset(rows))
  const teams: Record<string, string> = {}
  const users: Record<string, string> = {}
  let repoIds: Record<string, string> = {}
  let connectionId = ''

  const sync = async () => {
    const r = await t.api('POST', `/api/v1/connections/${connectionId}/syncs`)
    expect(r.status).toBeLessThan(300)
    const run = await t.waitForRun(r.body.run.id)
    expect(run.status).toBe('succeeded')
    return run
  }
  const issueOf = async (manifest: string, repo: string) => {
    const f = rows.find((r) => r.manifest === manifest && r.repo === repo)!
    const q = await t.api('GET', `/api/v1/vulnerabilities?cve=${f.ids[0]}`)
    expect(q.body.items).toHaveLength(1)
    return q.body.items[0]
  }

  beforeAll(async () => {
    t = await startTestApp({ driver, connectors: { test: scanner as any } })
    for (const u of ['alice', 'bob@acme.example', 'carol']) {
      const r = await t.api('POST', '/api/v1/users', { username: u, password: 'long-enough-password', role: 'member' })
      users[u] = r.body.user.id
    }
    const seeded = await seedRepositories(t.db, t.rt.workspaceId, [
      { fullName: 'acme/pay-api', externalId: '1', webUrl: PAY },
      { fullName: 'acme/web', externalId: '2', webUrl: WEB },
      { fullName: 'acme/infra', externalId: '3', webUrl: INFRA },
    ])
    repoIds = Object.fromEntries(seeded.repos.map((r) => [r.full_name, String(r.id)]))
    await saveCodeowners(t.db, {
      workspaceId: t.rt.workspaceId,
      connectionId: seeded.scm.id,
      now: new Date(),
      rows: [
        { externalId: '1', codeowners: { path: '.github/CODEOWNERS', dialect: 'github', content: PAY_CODEOWNERS } },
        { externalId: '2', codeowners: { path: 'CODEOWNERS', dialect: 'gitlab', content: WEB_CODEOWNERS } },
      ],
    })
    for (const [name, o] of [
      ['Payments', { memberIds: [users.alice], defaultAssigneeId: users.alice }],
      ['Platform', { memberIds: [users['bob@acme.example']] }],
      ['Web', {}],
      ['Docs', {}],
      ['Sec', {}],
    ] as const) {
      const r = await t.api('POST', '/api/v1/teams', { name, ...o })
      expect(r.status).toBe(201)
      teams[name] = r.body.id
    }
    rows = [
      ...PAY_TABLE.map(([m]) => finding(PAY, m)),
      finding(PAY, 'services/pay/vendor/package.json'),
      ...WEB_TABLE.map(([m]) => finding(WEB, m)),
      finding(INFRA, 'package.json', { owners: ['@acme/sec'] }),
      finding(INFRA, 'api/pom.xml', { owners: ['bob@acme.example'] }),
      finding(INFRA, 'tools/go.mod'),
      finding(INFRA, 'bank/package.json', {
        owners: ['nobody'],
        app: { key: 'app-1', name: 'Bank-Website', priority: 97 },
      }),
    ]
    const c = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'scanner', secrets: { token: 'x' } })
    connectionId = c.body.connection.id
    expect((await t.waitForRun(c.body.run.id)).status).toBe('succeeded')
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  it('CODEOWNERS matching table (GitHub): each issue is owned by the last matching line, with file, line and pattern', async () => {
    for (const [manifest, team, line] of PAY_TABLE) {
      const i = await issueOf(manifest, PAY)
      expect(i.owner.source, manifest).toBe('codeowners')
      expect(i.owner.team?.name, manifest).toBe(team)
      expect(i.owner.reason, manifest).toContain(line)
      expect(i.owner.reason, manifest).toContain(`matched \`${manifest}\``)
    }
    expect((await issueOf('services/pay/package.json', PAY)).owner.reason).toBe(
      'team Payments, .github/CODEOWNERS line 3 `/services/pay/          @acme/payments`, matched `services/pay/package.json`',
    )
  })

  it('CODEOWNERS matching table (GitLab sections): the last section naming a known team speaks', async () => {
    for (const [manifest, team, line] of WEB_TABLE) {
      const i = await issueOf(manifest, WEB)
      expect(i.owner.team?.name, manifest).toBe(team)
      expect(i.owner.reason, manifest).toContain(line)
    }
  })

  it('reports the bad CODEOWNERS lines on the repository, and the sync did not fail', async () => {
    const o = await t.api('GET', `/api/v1/repositories/${repoIds['acme/pay-api']}/ownership`)
    expect(o.status).toBe(200)
    expect(o.body.codeowners).toMatchObject({ path: '.github/CODEOWNERS', dialect: 'github', lines: 8 })
    expect(o.body.codeowners.errors).toEqual([
      {
        line: 8,
        text: 'payments-team /services/legacy/',
        message: 'owner "/services/legacy/" is not an @user, an @org/team or an email address',
      },
    ])
  })

  it('falls to the scanner, then to the default team, in that order', async () => {
    expect((await issueOf('package.json', INFRA)).owner).toMatchObject({
      source: 'scanner',
      team: { name: 'Sec' },
      reason: 'team Sec, Test scanner owner @acme/sec',
    })
    expect((await issueOf('api/pom.xml', INFRA)).owner.reason).toBe(
      'team Platform (through bob@acme.example, a member), Test scanner owner bob@acme.example',
    )
    const unowned = await issueOf('tools/go.mod', INFRA)
    expect(unowned.owner).toMatchObject({ team: null, source: 'default' })
    // a last matching line without owners leaves CODEOWNERS silent: no owner until the repository has a default team
    expect((await issueOf('services/pay/vendor/package.json', PAY)).owner.team).toBeNull()
    const d = await t.api('PUT', `/api/v1/repositories/${repoIds['acme/pay-api']}/default-team`, { teamId: teams.Web })
    expect(d.status).toBe(200)
    expect((await issueOf('services/pay/vendor/package.json', PAY)).owner).toMatchObject({
      source: 'default',
      team: { name: 'Web' },
      reason: 'team Web, default team of repository acme/pay-api',
    })
    // the Unowned view
    const none = await t.api('GET', '/api/v1/vulnerabilities?team=none&sort=cve')
    expect(none.body.items.map((i: any) => i.cve)).toEqual([
      unowned.cve,
      (await issueOf('bank/package.json', INFRA)).cve,
    ])
  })

  it('brings the scanner application with its business priority, and raises the priority of its issues', async () => {
    const i = await issueOf('bank/package.json', INFRA)
    expect(i.owner.application?.name).toBe('Bank-Website')
    expect(i.priority).toBe('critical')
    const d = await t.api('GET', `/api/v1/vulnerabilities/${i.id}`)
    expect(d.body.explanation).toBe(
      'High → Critical because business-critical application (Test scanner business priority 97)',
    )
    expect(d.body.factors.find((f: any) => f.code === 'business_critical')).toMatchObject({
      effect: 'raise',
      levels: 1,
    })
    const apps = await t.api('GET', '/api/v1/applications')
    expect(apps.body.items).toHaveLength(1)
    expect(apps.body.items[0]).toMatchObject({
      name: 'Bank-Website',
      businessPriority: 97,
      origin: 'scanner',
      issues: { open: 1, byPriority: { critical: 1 } },
    })
    // the scanner sets its application's priority: vulnsync refuses to change it
    const p = await t.api('PATCH', `/api/v1/applications/${apps.body.items[0].id}`, { businessPriority: 10 })
    expect(p.status).toBe(409)
    expect(p.body.error.message).toMatch(/^businessPriority: /)
    // a new priority upstream moves the issue back on the next sync
    rows = rows.map((r) => (r.app ? { ...r, app: { ...r.app, priority: 50 } } : r))
    await sync()
    const after = await issueOf('bank/package.json', INFRA)
    expect(after.priority).toBe('high')
    expect(after.owner.reason).toContain('Bank-Website (Test scanner business priority 50)')
  })

  it('a rule wins over CODEOWNERS at once, its preview says how many issues move and to whom, and deleting it moves them back', async () => {
    const body = { match: { path: 'services/pay/**' }, teamId: teams.Sec }
    const preview = await t.api('POST', '/api/v1/ownership-rules/preview', body)
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({
      issues: 3,
      moves: [
        { from: { team: { name: 'Payments' } }, to: { team: { name: 'Sec' } }, issues: 2 },
        { from: { team: { name: 'Web' } }, to: { team: { name: 'Sec' } }, issues: 1 },
      ],
    })
    expect(preview.body.sample[0].reason).toMatch(
      /^team Sec, ownership rule 1 \(path services\/pay\/\*\*\), matched `services\/pay\//,
    )
    // nothing was saved
    expect((await issueOf('services/pay/package.json', PAY)).owner.team.name).toBe('Payments')

    const saved = await t.api('POST', '/api/v1/ownership-rules', body)
    expect(saved.status).toBe(201)
    expect(saved.body).toMatchObject({ position: 1, team: { name: 'Sec' }, match: { path: 'services/pay/**' } })
    const moved = await t.api('GET', `/api/v1/vulnerabilities?team=${teams.Sec}&limit=100`)
    expect(moved.body.items.filter((i: any) => i.owner.source === 'rule')).toHaveLength(3)

    // a rule placed before it takes precedence
    const first = await t.api('POST', '/api/v1/ownership-rules', {
      match: { repository: 'acme/pay-*', path: '**/go.mod' },
      teamId: teams.Docs,
      position: 1,
    })
    expect(first.body.position).toBe(1)
    expect((await t.api('GET', '/api/v1/ownership-rules')).body.items.map((r: any) => r.position)).toEqual([1, 2])
    expect((await issueOf('services/pay/api/go.mod', PAY)).owner.reason).toBe(
      'team Docs, ownership rule 1 (repository acme/pay-*, path **/go.mod), matched repository acme/pay-api, `services/pay/api/go.mod`',
    )
    // moving it after the other one changes who answers
    await t.api('PATCH', `/api/v1/ownership-rules/${first.body.id}`, { position: 2 })
    expect((await issueOf('services/pay/api/go.mod', PAY)).owner.team.name).toBe('Sec')

    for (const id of [saved.body.id, first.body.id])
      expect((await t.api('DELETE', `/api/v1/ownership-rules/${id}`)).status).toBe(204)
    expect((await issueOf('services/pay/package.json', PAY)).owner).toMatchObject({
      source: 'codeowners',
      team: { name: 'Payments' },
    })
  })

  it("a user's application with a low business priority, given by a rule, lowers the priority of its issues", async () => {
    const app = await t.api('POST', '/api/v1/applications', {
      name: 'Sandbox',
      businessPriority: 5,
      repositoryIds: [repoIds['acme/web']],
    })
    expect(app.status).toBe(201)
    // the application lists acme/web: its issues belong to it
    const web = await issueOf('package.json', WEB)
    expect(web.owner.application).toEqual({ id: app.body.id, name: 'Sandbox' })
    expect(web.priority).toBe('medium')
    // a rule gives it infra's go.mod too
    await t.api('POST', '/api/v1/ownership-rules', { match: { path: 'tools/**' }, applicationId: app.body.id })
    const tools = await issueOf('tools/go.mod', INFRA)
    expect(tools.owner.application?.name).toBe('Sandbox')
    expect(tools.priority).toBe('medium')
    const detail = await t.api('GET', `/api/v1/vulnerabilities/${tools.id}`)
    expect(detail.body.explanation).toBe('High → Medium because low-priority application (business priority 5)')
    // priority 60: no factor any more
    await t.api('PATCH', `/api/v1/applications/${app.body.id}`, { businessPriority: 60 })
    expect((await issueOf('tools/go.mod', INFRA)).priority).toBe('high')
    const listed = await t.api('GET', `/api/v1/applications/${app.body.id}`)
    expect(listed.body).toMatchObject({
      businessPriority: 60,
      repositories: [
        { fullName: 'acme/web', listed: true, openIssues: 3 },
        { fullName: 'acme/infra', listed: false, openIssues: 1 },
      ],
      rules: 1,
    })
  })

  it("applies a team's default assignee to its new issues, with a timeline entry, and never over a person's choice", async () => {
    const i = await issueOf('services/pay/package.json', PAY)
    expect(i.assignee).toEqual({ id: users.alice, username: 'alice' })
    const tl = await t.api('GET', `/api/v1/vulnerabilities/${i.id}/timeline`)
    expect(tl.body.items.find((e: any) => e.type === 'assigned')).toMatchObject({
      actorKind: 'sync',
      detail: { to: { username: 'alice' }, reason: 'the default assignee of team Payments' },
    })
    // a person assigns it elsewhere; a later sync that changes the issue leaves that alone
    await t.api('PATCH', `/api/v1/vulnerabilities/${i.id}`, { assigneeId: users.carol })
    rows = rows.map((r) => (r.manifest === 'services/pay/package.json' ? { ...r, severity: 'critical' } : r))
    await sync()
    const after = await issueOf('services/pay/package.json', PAY)
    expect(after.severity).toBe('critical')
    expect(after.assignee.username).toBe('carol')
    // issues of other teams got nobody
    expect((await issueOf('package.json', PAY)).assignee).toBeNull()
  })

  it('shows teams with members, repositories, open issues by priority and SLA breaches', async () => {
    const list = await t.api('GET', '/api/v1/teams')
    const pay = list.body.items.find((x: any) => x.name === 'Payments')
    expect(pay).toMatchObject({
      slug: 'payments',
      members: [{ username: 'alice' }],
      defaultAssignee: { username: 'alice' },
      repositories: [{ fullName: 'acme/pay-api', listed: false }],
    })
    expect(pay.issues.open).toBe(3)
    expect(pay.issues.byPriority.critical + pay.issues.byPriority.high).toBe(3)
    expect(pay.issues.slaBreaches).toBe(3) // detected on 2026-01-01: past every SLA
    const web = list.body.items.find((x: any) => x.name === 'Web')
    expect(web.repositories[0]).toMatchObject({ fullName: 'acme/pay-api', listed: true })
  })

  it("the CLI lists a team's issues with their owner (by slug, or none), and the teams with their counts", async () => {
    const cli = async (...args: string[]) =>
      (
        await run(process.execPath, [BIN, ...args], {
          env: { ...process.env, VULNSYNC_URL: t.url.replace(/\/+$/, ''), VULNSYNC_TOKEN: t.token },
        })
      ).stdout
    const pay = JSON.parse(await cli('vulns', '--team', 'payments', '--json'))
    expect(pay.total).toBe(3)
    for (const i of pay.items) expect(i.owner.team.name).toBe('Payments')
    const table = await cli('vulns', '--team', 'Payments')
    // the queue table's columns since the workflow (stage, assignee, SLA): OWNER, then DETECTED
    expect(table.split('\n')[0]).toMatch(/CVE\s+PRIORITY\s+STAGE.*SOURCES\s+OWNER\s+DETECTED\s*$/)
    const lines = table.trim().split('\n')
    expect(lines.slice(1, -1)).toHaveLength(3)
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/ Payments +(20\d\d-\d\d-\d\d|-)\s*$/)
    const none = JSON.parse(await cli('vulns', '--team', 'none', '--json'))
    for (const i of none.items) expect(i.owner.team).toBeNull()
    const teamsOut = await cli('teams')
    expect(teamsOut).toMatch(/^payments\s+Payments\s+1\s+3\s+\d+\/\d+\/\d+\/\d+\/\d+\s+3\s*$/m)
    expect(teamsOut).toMatch(new RegExp(`teams; ${none.total} open issues unowned`))
    const unknown = await run(process.execPath, [BIN, 'vulns', '--team', 'nope'], {
      env: { ...process.env, VULNSYNC_URL: t.url.replace(/\/+$/, ''), VULNSYNC_TOKEN: t.token },
    }).catch((e) => e)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no team "nope"')
  })

  it('renaming a team slug re-resolves CODEOWNERS handles at once', async () => {
    await t.api('PATCH', `/api/v1/teams/${teams.Docs}`, { slug: 'writers' })
    // `docs/*  @acme/docs` names no team now: the last matching line is silent, so the default team answers
    expect((await issueOf('docs/package.json', PAY)).owner).toMatchObject({ source: 'default', team: { name: 'Web' } })
    await t.api('PATCH', `/api/v1/teams/${teams.Docs}`, { slug: 'docs' })
    expect((await issueOf('docs/package.json', PAY)).owner.team.name).toBe('Docs')
  })

  it('refuses invalid globs, unknown teams and clashing names with a 4xx naming the field', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/api/v1/ownership-rules', { match: { path: 'services/[ab]/**' }, teamId: teams.Web }, 422, /^match\.path: /],
      ['/api/v1/ownership-rules', { match: { repository: '!acme/*' }, teamId: teams.Web }, 422, /^match\.repository: /],
      ['/api/v1/ownership-rules', { match: {}, teamId: teams.Web }, 422, /^match: /],
      [
        '/api/v1/ownership-rules',
        { match: { path: '**' }, teamId: '00000000-0000-4000-8000-000000000000' },
        422,
        /^teamId: team .* does not exist/,
      ],
      ['/api/v1/ownership-rules', { match: { path: '**' } }, 422, /^teamId: /],
      ['/api/v1/ownership-rules/preview', { match: { image: 'a//b' }, teamId: teams.Web }, 422, /^match\.image: /],
      ['/api/v1/teams', { name: 'payments' }, 409, /^name: /],
      ['/api/v1/teams', { name: 'Billing', slug: 'sec' }, 409, /^slug: /],
      ['/api/v1/teams', { name: 'Billing', slug: 'Not A Slug' }, 422, /^slug: /],
      ['/api/v1/teams', { name: 'Billing', memberIds: ['00000000-0000-4000-8000-000000000000'] }, 422, /^memberIds: /],
      ['/api/v1/applications', { name: 'X', businessPriority: 101 }, 422, /businessPriority/],
    ]
    for (const [url, body, status, message] of cases) {
      const r = await t.api('POST', url, body)
      expect(r.status, JSON.stringify(body)).toBe(status)
      expect(r.body.error.message, JSON.stringify(body)).toMatch(message)
    }
    // a team a rule names cannot be deleted
    const rule = await t.api('POST', '/api/v1/ownership-rules', { match: { path: 'x/**' }, teamId: teams.Web })
    const del = await t.api('DELETE', `/api/v1/teams/${teams.Web}`)
    expect(del.status).toBe(409)
    expect(del.body.error.message).toMatch(/ownership rule \d+ names this team/)
    await t.api('DELETE', `/api/v1/ownership-rules/${rule.body.id}`)
  })

  it('editing a saved rule (previewed with its id) and moving it up and down move the issues at once, with the rule number in the reason', async () => {
    const rules = async () =>
      (await t.api('GET', '/api/v1/ownership-rules')).body.items.map((r: any) => [r.position, r.id])
    const before = (await rules()).length // the Sandbox rule of an earlier test
    const a = await t.api('POST', '/api/v1/ownership-rules', { match: { path: 'services/pay/**' }, teamId: teams.Sec })
    const b = await t.api('POST', '/api/v1/ownership-rules', { match: { path: 'services/**' }, teamId: teams.Docs })
    expect([a.body.position, b.body.position]).toEqual([before + 1, before + 2])
    expect((await issueOf('services/pay/package.json', PAY)).owner.team.name).toBe('Sec')

    // the edit, previewed first as the rule would be: the go.mod falls through to the next rule
    const edit = { match: { path: 'services/pay/*.json' }, teamId: teams.Platform }
    const preview = await t.api('POST', '/api/v1/ownership-rules/preview', { ...edit, id: a.body.id })
    expect(preview.status).toBe(200)
    expect(preview.body.moves).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          from: expect.objectContaining({ team: expect.objectContaining({ name: 'Sec' }) }),
          to: expect.objectContaining({ team: expect.objectContaining({ name: 'Platform' }) }),
          issues: 1,
        }),
        expect.objectContaining({
          from: expect.objectContaining({ team: expect.objectContaining({ name: 'Sec' }) }),
          to: expect.objectContaining({ team: expect.objectContaining({ name: 'Docs' }) }),
          issues: 2,
        }),
      ]),
    )
    expect((await issueOf('services/pay/package.json', PAY)).owner.team.name).toBe('Sec') // nothing saved
    const edited = await t.api('PATCH', `/api/v1/ownership-rules/${a.body.id}`, edit)
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({
      id: a.body.id,
      position: before + 1,
      match: { repository: null, image: null, path: 'services/pay/*.json' },
      team: { name: 'Platform' },
      application: null,
    })
    expect((await issueOf('services/pay/package.json', PAY)).owner.reason).toBe(
      `team Platform, ownership rule ${before + 1} (path services/pay/*.json), matched \`services/pay/package.json\``,
    )
    expect((await issueOf('services/pay/api/go.mod', PAY)).owner).toMatchObject({
      source: 'rule',
      team: { name: 'Docs' },
    })

    // move the broader rule up: it answers first now
    const up = await t.api('PATCH', `/api/v1/ownership-rules/${b.body.id}`, { position: before + 1 })
    expect(up.body.position).toBe(before + 1)
    expect((await rules()).slice(before)).toEqual([
      [before + 1, b.body.id],
      [before + 2, a.body.id],
    ])
    expect((await issueOf('services/pay/package.json', PAY)).owner.team.name).toBe('Docs')
    // and the edited rule to the very top: positions stay 1..n, and the reasons name the new numbers
    await t.api('PATCH', `/api/v1/ownership-rules/${a.body.id}`, { position: 1 })
    expect((await rules()).map((r: any) => r[0])).toEqual(Array.from({ length: before + 2 }, (_, i) => i + 1))
    expect((await rules())[0][1]).toBe(a.body.id)
    expect((await issueOf('services/pay/package.json', PAY)).owner.reason).toMatch(
      /^team Platform, ownership rule 1 \(path services\/pay\/\*\.json\)/,
    )
    expect((await issueOf('services/pay/api/go.mod', PAY)).owner.reason).toMatch(
      new RegExp(`^team Docs, ownership rule ${before + 2} \\(path services/\\*\\*\\)`),
    )
    // the audit log keeps what it was and what it became
    const log = await t.api('GET', '/api/v1/audit?limit=1')
    expect(log.body.items[0]).toMatchObject({
      action: 'ownership_rule.update',
      target: a.body.id,
      detail: { before: { position: before + 2 }, after: { position: 1 } },
    })

    // refused, naming the field, and nothing changed
    const n = before + 2
    for (const [body, message] of [
      [{ position: 0 }, /^body\.position: must be 1 or more/],
      [{ position: 1.5 }, /^body\.position: must be a whole number/],
      [{ position: 'first' }, /^body\.position: must be a whole number/],
      [{ position: n + 1 }, new RegExp(`^position: ${n + 1} is past the last rule; there are ${n} rules`)],
      [{}, /send at least one of match, teamId, applicationId or position/],
      [{ teamId: null, applicationId: null }, /^teamId: /],
      [{ match: { path: 'a/[b]' } }, /^match\.path: /],
    ] as const) {
      const r = await t.api('PATCH', `/api/v1/ownership-rules/${a.body.id}`, body)
      expect(r.status, JSON.stringify(body)).toBe(422)
      expect(r.body.error.message, JSON.stringify(body)).toMatch(message)
    }
    expect((await rules())[0][1]).toBe(a.body.id)
    const gone = await t.api('PATCH', '/api/v1/ownership-rules/00000000-0000-4000-8000-000000000000', { position: 1 })
    expect(gone.status).toBe(404)
    const viewer = (await t.api('POST', '/api/v1/tokens', { name: 'rules-viewer', role: 'viewer' })).body.token
    const denied = await t.api('PATCH', `/api/v1/ownership-rules/${a.body.id}`, { position: 2 }, { token: viewer })
    expect(denied.status).toBe(403)

    for (const id of [a.body.id, b.body.id])
      expect((await t.api('DELETE', `/api/v1/ownership-rules/${id}`)).status).toBe(204)
    expect((await rules()).map((r: any) => r[0])).toEqual(Array.from({ length: before }, (_, i) => i + 1))
    expect((await issueOf('services/pay/package.json', PAY)).owner.source).toBe('codeowners')
  })

  it('the CSV export carries the owner team, application, source and reason of each issue', async () => {
    const res = await fetch(`${t.url}/api/v1/vulnerabilities/export.csv?sort=cve`, {
      headers: { authorization: `Bearer ${t.token}` },
    })
    expect(res.status).toBe(200)
    const table = parseCsv(await res.text())
    const head = table[0]!
    expect(head.slice(-4)).toEqual(['owner_team', 'application', 'owner_source', 'owner_reason'])
    const col = (row: string[], name: string) => row[head.indexOf(name)]
    const byCve = new Map(table.slice(1).map((row) => [col(row, 'cve'), row]))
    const queue = await t.api('GET', '/api/v1/vulnerabilities?limit=500')
    expect(byCve.size).toBe(queue.body.total)
    for (const i of queue.body.items) {
      const row = byCve.get(i.cve)!
      expect(col(row, 'owner_team'), i.cve).toBe(i.owner.team?.name ?? '')
      expect(col(row, 'application'), i.cve).toBe(i.owner.application?.name ?? '')
      expect(col(row, 'owner_source'), i.cve).toBe(i.owner.source)
      expect(col(row, 'owner_reason'), i.cve).toBe(i.owner.reason)
    }
    const pay = byCve.get((await issueOf('services/pay/package.json', PAY)).cve)!
    expect(pay.slice(-4)).toEqual([
      'Payments',
      '',
      'codeowners',
      'team Payments, .github/CODEOWNERS line 3 `/services/pay/          @acme/payments`, matched `services/pay/package.json`',
    ])
    const bank = byCve.get((await issueOf('bank/package.json', INFRA)).cve)!
    expect(col(bank, 'application')).toBe('Bank-Website')
    // the filters apply: the unowned view
    const none = parseCsv(
      await (
        await fetch(`${t.url}/api/v1/vulnerabilities/export.csv?team=none`, {
          headers: { authorization: `Bearer ${t.token}` },
        })
      ).text(),
    )
    expect(none.length).toBeGreaterThan(1)
    for (const row of none.slice(1)) expect(col(row, 'owner_team')).toBe('')
  })

  it("the priority policy's business-priority thresholds: a dry run counts what the save does, and null turns a direction off", async () => {
    const policy = (await t.api('GET', '/api/v1/policies/priority')).body
    expect(policy.businessPriority).toEqual({ raiseAtOrAbove: 90, lowerAtOrBelow: 10 })
    // Bank-Website's scanner priority is 50 by now: raising at 50 makes its high issue critical
    const bank = await issueOf('bank/package.json', INFRA)
    expect(bank.priority).toBe('high')
    const next = { ...policy, businessPriority: { raiseAtOrAbove: 50, lowerAtOrBelow: null } }
    const dry = await t.api('PUT', '/api/v1/policies/priority?dryRun=true', next)
    expect(dry.status).toBe(200)
    expect((await issueOf('bank/package.json', INFRA)).priority).toBe('high')
    const saved = await t.api('PUT', '/api/v1/policies/priority', next)
    expect(saved.status).toBe(200)
    expect(saved.body.moves).toEqual(dry.body.moves)
    expect(saved.body.moves).toContainEqual(expect.objectContaining({ from: 'high', to: 'critical' }))
    const after = await t.api('GET', `/api/v1/vulnerabilities/${bank.id}`)
    expect(after.body.priority).toBe('critical')
    expect(after.body.explanation).toBe(
      'High → Critical because business-critical application (Test scanner business priority 50)',
    )
    const timeline = (await t.api('GET', `/api/v1/vulnerabilities/${bank.id}/timeline`)).body.items
    expect(timeline.filter((e: any) => e.type === 'priority').at(-1)).toMatchObject({
      detail: { from: 'high', to: 'critical', cause: 'policy_change' },
    })
    // the lowering threshold must stay below the raising one
    const bad = await t.api('PUT', '/api/v1/policies/priority', {
      ...policy,
      businessPriority: { raiseAtOrAbove: 40, lowerAtOrBelow: 60 },
    })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toMatch(/businessPriority\.lowerAtOrBelow/)
    // back to the defaults: the issue is high again
    await t.api('PUT', '/api/v1/policies/priority', policy)
    expect((await issueOf('bank/package.json', INFRA)).priority).toBe('high')
  })
})

/** RFC 4180: quoted cells may hold commas, quotes (doubled) and line breaks */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else if (c !== '\r') cell += c
  }
  if (cell || row.length) rows.push([...row, cell])
  return rows
}
