import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { startTestApp, type TestApp } from '../testing.ts'

const SECRET = 'sk-live-9f8e7d6c5b4a-super-secret-value'
let rows: TestRaw[] = []
const testConnector = createTestConnector(() => arrayDataset(rows), { pageSize: 7 })

const rec = (i: number, over: Partial<TestRaw> = {}): TestRaw => ({
  id: `f-${i}`,
  ids: [`CVE-2023-${String(20000 + i)}`],
  purl: `pkg:npm/pkg-${i % 5}@2.0.${i}`,
  repo: 'https://github.com/acme/web',
  severity: ['critical', 'high', 'medium', 'low'][i % 4]!,
  detectedAt: new Date(Date.UTC(2023, 5, 1 + (i % 20))).toISOString(),
  ...over,
})

describe.each(DRIVERS)('HTTP API on %s', (driver) => {
  let t: TestApp
  beforeAll(async () => {
    rows = Array.from({ length: 30 }, (_, i) => rec(i))
    t = await startTestApp({ driver, connectors: { test: testConnector as any } })
    // the repository the findings belong to
    const { seedRepositories } = await import('../sync/test-support.ts')
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'web-1' }])
  })
  afterAll(() => t?.close())

  it('answers health checks without authentication and everything else only with it', async () => {
    expect((await t.api('GET', '/healthz', undefined, { token: null })).status).toBe(200)
    const ready = await t.api('GET', '/readyz', undefined, { token: null })
    expect(ready.body).toEqual({ status: 'ready', database: driver })
    for (const path of [
      '/api/v1/connections',
      '/api/v1/vulnerabilities',
      '/api/v1/openapi.json',
      '/api/v1/syncs',
      '/api/v1/repositories',
      '/api/v1/unmatched',
    ]) {
      const r = await t.api('GET', path, undefined, { token: null })
      expect(r.status, path).toBe(401)
      expect(r.body.error.code).toBe('unauthenticated')
      expect(r.body.error.hint).toMatch(/Bearer/)
    }
    expect((await t.api('GET', '/api/v1/connections', undefined, { token: 'vs_nope' })).status).toBe(401)
  })

  it('lists the connector catalogue with the display data the web app shows (title, logo letters, description)', async () => {
    const r = await t.api('GET', '/api/v1/connectors')
    expect(r.status).toBe(200)
    const items = r.body.items as { kind: string; title: string; logoLetters: string; description: string }[]
    expect(items).toContainEqual(
      expect.objectContaining({
        kind: 'test',
        role: 'scanner',
        title: 'Test scanner',
        logoLetters: 'TS',
        description: 'A scanner defined in the tests',
      }),
    )
    expect(Object.fromEntries(items.map((c) => [c.kind, c.logoLetters]))).toMatchObject({
      ox: 'OX',
      endor: 'EL',
      jfrog: 'JF',
      github: 'GH',
      gitlab: 'GL',
    })
    for (const c of items) expect(c.title && c.description, c.kind).toBeTruthy()
  })

  it('refuses a connection whose check fails, says why, and stores nothing', async () => {
    const r = await t.api('POST', '/api/v1/connections', {
      kind: 'test',
      name: 'bad',
      config: {},
      secrets: { token: 'bad' },
    })
    expect(r.status).toBe(422)
    expect(r.body.error).toMatchObject({
      code: 'check_failed',
      message: 'the API token was rejected (HTTP 401): verify it is correct and has not expired',
    })
    expect((await t.api('GET', '/api/v1/connections')).body.items.filter((c: any) => c.kind === 'test')).toHaveLength(0)
    const invalid = await t.api('POST', '/api/v1/connections', { kind: 'nope', name: 'x', secrets: {} })
    expect(invalid.status).toBe(422)
    expect(invalid.body.error.hint).toMatch(/use one of/)
    const noSecret = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'x', config: {}, secrets: {} })
    expect(noSecret.status).toBe(422)
    expect(noSecret.body.error.message).toMatch(/secrets\.token/)
    const badJson = await fetch(`${t.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: '{oops',
    })
    expect(badJson.status).toBe(400)
    expect((await badJson.json()).error.code).toBe('invalid_json')
  })

  let connectionId = ''
  it('connects, runs the initial sync, and lists the deduplicated queue with the vendor detection times', async () => {
    const r = await t.api('POST', '/api/v1/connections', {
      kind: 'test',
      name: 'Scanner A',
      config: { label: 'a' },
      secrets: { token: SECRET },
    })
    expect(r.status).toBe(201)
    expect(r.body.connection).toMatchObject({
      kind: 'test',
      name: 'Scanner A',
      secretFields: ['token'],
      locations: null,
      scheduleCron: '0 */6 * * *',
    })
    expect(r.body.run).toMatchObject({ trigger: 'initial', status: 'queued' })
    connectionId = r.body.connection.id
    const run = await t.waitForRun(r.body.run.id)
    expect(run).toMatchObject({
      status: 'succeeded',
      counts: { fetched: 30, created: 30, unmatched: 0, resolved: 0, skipped: {} },
    })
    expect(run.startedAt).toBeTruthy()
    const list = await t.api('GET', '/api/v1/vulnerabilities?limit=10&sort=detectedAt')
    expect(list.status).toBe(200)
    expect(list.body.total).toBe(30)
    expect(list.body.items).toHaveLength(10)
    const first = list.body.items[0]
    expect(Object.keys(first).sort()).toEqual(
      [
        'aliases',
        'assignee',
        'cve',
        'decision',
        'sla',
        'stage',
        'detectedAt',
        'firstSeenAt',
        'fixedAt',
        'fixedVersions',
        'id',
        'lastSeenAt',
        'package',
        'priority',
        'repositoryId',
        'severity',
        'sources',
        'status',
        'target',
        'versions',
        // the prioritisation feeds
        'kev',
        'epss',
        // who owns the issue, and why
        'owner',
      ].sort(),
    )
    expect(first.detectedAt).toBe('2023-06-01T00:00:00.000Z')
    expect(first.target).toMatchObject({ kind: 'repository', name: 'acme/web', url: 'https://github.com/acme/web' })
    expect(first.sources).toEqual([{ kind: 'test', connectionId, connectionName: 'Scanner A', present: true }])
    // cursor paging walks the whole queue once
    const seen = new Set<string>()
    let cursor: string | null = null
    do {
      const page: any = await t.api(
        'GET',
        `/api/v1/vulnerabilities?limit=7&sort=detectedAt${cursor ? `&cursor=${cursor}` : ''}`,
      )
      for (const i of page.body.items) seen.add(i.id)
      cursor = page.body.nextCursor
    } while (cursor)
    expect(seen.size).toBe(30)
  })

  it('filters by source, severity, CVE, package and text, and counts per severity', async () => {
    const crit = await t.api('GET', '/api/v1/vulnerabilities?severity=critical&source=test')
    expect(crit.body.total).toBe(8)
    expect(crit.body.totalIsEstimate).toBe(false)
    expect(crit.body.items.every((i: any) => i.severity === 'critical')).toBe(true)
    expect((await t.api('GET', '/api/v1/vulnerabilities?source=ox')).body.total).toBe(0)
    expect((await t.api('GET', '/api/v1/vulnerabilities?cve=CVE-2023-20003')).body.total).toBe(1)
    expect((await t.api('GET', '/api/v1/vulnerabilities?package=pkg-1')).body.total).toBe(6)
    expect((await t.api('GET', '/api/v1/vulnerabilities?q=2002')).body.total).toBe(10)
    expect((await t.api('GET', '/api/v1/vulnerabilities?repository=acme/web')).body.total).toBe(30)
    const bad = await t.api('GET', '/api/v1/vulnerabilities?severity=urgent')
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toMatch(/unknown value "urgent"/)
    const sum = await t.api('GET', '/api/v1/vulnerabilities/summary')
    expect(sum.body.bySeverity).toEqual({ critical: 8, high: 8, medium: 7, low: 7, info: 0 })
    expect(sum.body).toMatchObject({ total: 30, totalIsEstimate: false })
    const csv = await t.api('GET', '/api/v1/vulnerabilities/export.csv?severity=low')
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
    expect(csv.text.trim().split('\n')).toHaveLength(8)
    // the owner columns come last
    expect(csv.text.split('\n')[0]).toMatch(
      /,fixed_versions,stage,.*,decision_expires_at,owner_team,application,owner_source,owner_reason$/,
    )
  })

  it('shows an issue with its occurrences, evidence and factors', async () => {
    const list = await t.api('GET', '/api/v1/vulnerabilities?cve=CVE-2023-20003')
    const d = await t.api('GET', `/api/v1/vulnerabilities/${list.body.items[0].id}`)
    expect(d.status).toBe(200)
    expect(d.body.occurrences).toHaveLength(1)
    expect(d.body.occurrences[0]).toMatchObject({
      kind: 'test',
      connectionName: 'Scanner A',
      detectedAtSource: 'vendor',
      state: 'present',
      evidence: { id: 'f-3' },
    })
    expect(d.body.occurrences[0].raw).toMatchObject({ id: 'f-3' })
    expect(typeof d.body.explanation).toBe('string')
    expect((await t.api('GET', '/api/v1/vulnerabilities/999999')).status).toBe(404)
  })

  it('re-syncs on demand without changing anything, and rejects a second name clash', async () => {
    const r = await t.api('POST', `/api/v1/connections/${connectionId}/syncs`)
    expect(r.status).toBe(202)
    expect(r.body.run.trigger).toBe('manual')
    const run = await t.waitForRun(r.body.run.id)
    expect(run.counts).toMatchObject({ fetched: 30, created: 0, updated: 0, unchanged: 30, resolved: 0 })
    const clash = await t.api('POST', '/api/v1/connections', {
      kind: 'test',
      name: 'scanner a',
      config: {},
      secrets: { token: 'x' },
    })
    expect(clash.status).toBe(409)
    const history = await t.api('GET', `/api/v1/syncs?connectionId=${connectionId}`)
    expect(history.body.items.map((x: any) => x.trigger)).toEqual(['manual', 'initial'])
  })

  it('patches locations and the schedule, validates them, and re-checks rotated secrets', async () => {
    const bad = await t.api('PATCH', `/api/v1/connections/${connectionId}`, { scheduleCron: 'every day' })
    expect(bad.status).toBe(422)
    const tooOften = await t.api('PATCH', `/api/v1/connections/${connectionId}`, { scheduleCron: '* * * * *' })
    expect(tooOften.body.error.message).toMatch(/more often than every 5 minutes/)
    const ok = await t.api('PATCH', `/api/v1/connections/${connectionId}`, {
      scheduleCron: '0 3 * * *',
      locations: ['p1'],
    })
    expect(ok.status).toBe(200)
    expect(ok.body.connection).toMatchObject({ scheduleCron: '0 3 * * *', locations: ['p1'] })
    expect(new Date(ok.body.connection.nextSyncAt).getUTCHours()).toBe(3)
    const rotateBad = await t.api('PATCH', `/api/v1/connections/${connectionId}`, { secrets: { token: 'bad' } })
    expect(rotateBad.status).toBe(422)
    expect(rotateBad.body.error.code).toBe('check_failed')
    const reset = await t.api('PATCH', `/api/v1/connections/${connectionId}`, { locations: null, scheduleCron: null })
    expect(reset.body.connection).toMatchObject({ locations: null, scheduleCron: '0 */6 * * *' })
  })

  it('enforces roles: a viewer reads, a member syncs, only an admin connects', async () => {
    const viewer = await t.api('POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' })
    expect(viewer.status).toBe(201)
    expect(viewer.body.token).toMatch(/^vs_/)
    const listed = await t.api('GET', '/api/v1/tokens')
    expect(JSON.stringify(listed.body)).not.toContain(viewer.body.token)
    expect(listed.body.items.find((x: any) => x.id === viewer.body.id)).toMatchObject({
      name: 'ci',
      role: 'viewer',
      prefix: viewer.body.token.slice(0, 7),
    })
    const v = viewer.body.token
    expect((await t.api('GET', '/api/v1/vulnerabilities', undefined, { token: v })).status).toBe(200)
    const denied = await t.api(
      'POST',
      '/api/v1/connections',
      { kind: 'test', name: 'v', secrets: { token: 'x' } },
      { token: v },
    )
    expect(denied.status).toBe(403)
    expect(denied.body.error.code).toBe('forbidden')
    expect((await t.api('POST', `/api/v1/connections/${connectionId}/syncs`, undefined, { token: v })).status).toBe(403)
    expect((await t.api('POST', '/api/v1/tokens', { role: 'admin' }, { token: v })).status).toBe(403)
  })

  it('publishes an OpenAPI document of every route', async () => {
    const r = await t.api('GET', '/api/v1/openapi.json')
    expect(r.body.openapi).toBe('3.1.0')
    for (const p of [
      '/api/v1/connections',
      '/api/v1/connections/{id}',
      '/api/v1/connections/{id}/syncs',
      '/api/v1/syncs/{id}',
      '/api/v1/vulnerabilities',
      '/api/v1/vulnerabilities/{id}',
      '/api/v1/unmatched',
      '/api/v1/unmatched/{key}/mapping',
      '/api/v1/tokens',
    ])
      expect(Object.keys(r.body.paths)).toContain(p)
  })

  it('never returns or logs a secret', async () => {
    const responses = [
      await t.api('GET', '/api/v1/connections'),
      await t.api('GET', `/api/v1/connections/${connectionId}`),
      await t.api('GET', '/api/v1/syncs'),
      await t.api('GET', '/api/v1/vulnerabilities?limit=500'),
      await t.api('GET', '/api/v1/audit'),
      await t.api('POST', `/api/v1/connections/${connectionId}/check`),
    ]
    for (const r of responses) expect(r.text).not.toContain(SECRET)
    const stored = await t.db.query<{ secrets_enc: string }>(`SELECT secrets_enc FROM connections WHERE id = $1`, [
      connectionId,
    ])
    expect(stored.rows[0]!.secrets_enc).not.toContain(SECRET)
    expect(stored.rows[0]!.secrets_enc).toMatch(/^v1\./)
    expect(t.logs.length).toBeGreaterThan(10)
    expect(t.logs.join('\n')).not.toContain(SECRET)
    expect(t.logs.join('\n')).not.toContain(t.token)
  })

  it('disconnects: syncing stops, findings stay', async () => {
    const del = await t.api('DELETE', `/api/v1/connections/${connectionId}`)
    expect(del.status).toBe(204)
    expect((await t.api('GET', `/api/v1/connections/${connectionId}`)).status).toBe(404)
    expect((await t.api('GET', '/api/v1/vulnerabilities')).body.total).toBe(30)
  })
})
