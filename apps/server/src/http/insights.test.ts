import { INSIGHT_MEASURE_VALUES, Insight } from '@vulnsync/api'
import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * GET /api/v1/insights/{measure} through the server, on both databases: authentication and roles, the window's
 * validation (400 for a malformed date, 422 for a reversed or too long window and for a filter a snapshot measure
 * cannot apply, 404 listing the measures), CSV in both spellings, and the snapshot (and the coverage) a sync takes.
 */
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()
let rows: TestRaw[] = []
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
const row = (id: string, cve: string, severity: string, ago: number): TestRaw => ({
  id,
  ids: [cve],
  purl: 'pkg:npm/lodash@4.17.20',
  repo: 'https://github.com/acme/web',
  severity,
  detectedAt: daysAgo(ago),
})

describe.each(DRIVERS)('insights API on %s', (driver) => {
  let t: TestApp
  let conn = ''
  let viewer = ''
  const sync = async () => t.waitForRun((await t.api('POST', `/api/v1/connections/${conn}/syncs`)).body.run.id)

  beforeAll(async () => {
    rows = [
      row('a1', 'CVE-2024-0001', 'critical', 20),
      row('a2', 'CVE-2024-0002', 'critical', 3),
      row('a3', 'CVE-2024-0003', 'high', 40),
      row('a4', 'CVE-2024-0004', 'low', 10),
    ]
    t = await startTestApp({ driver, connectors: { test: scanner as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'w1' }])
    viewer = (await t.api('POST', '/api/v1/tokens', { name: 'viewer', role: 'viewer' })).body.token
    const c = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 'x' } })
    conn = c.body.connection.id
    await t.waitForRun(c.body.run.id)
  })
  afterAll(() => t?.close())

  it('a sync takes today’s snapshot; a viewer reads the open issues by priority', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const snap = await t.db.query<{ origin: string }>(
      `SELECT origin FROM insight_snapshot_days WHERE workspace_id = $1 AND day = $2::date`,
      [t.rt.workspaceId, today],
    )
    expect(snap.rows).toEqual([{ origin: 'sync' }])
    // and rebuilt what the connection covers (scanner overlap): its one repository and ecosystem
    const cover = await t.db.query(`SELECT target_key, ecosystem FROM issue_coverage WHERE connection_id = $1`, [conn])
    expect(cover.rows).toHaveLength(1)
    const r = await t.api('GET', '/api/v1/insights/open-by-priority', undefined, { token: viewer })
    expect(r.status, r.text).toBe(200)
    expect(Insight.safeParse(r.body).success).toBe(true)
    expect(r.body.window.interval).toBe('week')
    expect(r.body.window.to).toBe(today)
    const last = r.body.series.at(-1)
    expect(last).toMatchObject({ asOf: today, critical: 2, high: 1, low: 1, total: 4 })
    // earlier weeks have no snapshot on a new install until the daily job rebuilds them
    expect(r.body.series[0].asOf).toBeNull()
  })

  it('the daily job rebuilds the history from the issue dates once', async () => {
    // the sync's snapshot is there, so the job's first run today has nothing to do …
    await t.tick()
    await t.db.query(`DELETE FROM insight_snapshot_days WHERE workspace_id = $1`, [t.rt.workspaceId])
    await t.db.query(`DELETE FROM insight_snapshots WHERE workspace_id = $1`, [t.rt.workspaceId])
    // … and with no history at all it rebuilds the 40 days since the earliest detection
    const { keepDailyHistory } = await import('../insights/history.ts')
    await keepDailyHistory(t.rt)
    const r = await t.api('GET', '/api/v1/insights/open-by-priority?interval=day&from=' + daysAgo(45).slice(0, 10))
    expect(r.status, r.text).toBe(200)
    const totals = r.body.series.map((p: any) => p.total)
    // 45 days ago nothing, then a3 (40 days ago), a1 (20), a4 (10: open at the end of that day, not the day before), a2 (3)
    expect(totals[0]).toBe(0)
    expect(totals.at(-1)).toBe(4)
    expect(Math.max(...totals)).toBe(4)
    expect(r.body.series.at(-12).total).toBe(2)
    expect(r.body.series.at(-11).total).toBe(3)
  })

  it('new versus fixed counts the fix of a sync that no longer reports an issue', async () => {
    rows = rows.filter((x) => x.id !== 'a4')
    await sync()
    const r = await t.api('GET', '/api/v1/insights/new-vs-fixed?interval=week')
    expect(r.status, r.text).toBe(200)
    const last = r.body.series.at(-1)
    expect(last.fixed).toBe(1)
    const h = await t.api('GET', '/api/v1/insights/headline')
    expect(h.body.series[0]).toMatchObject({ openCritical: 2, fixedThisWeek: 1, fixedInWindow: 1 })
    // the queue's filters apply
    const high = await t.api('GET', '/api/v1/insights/headline?priority=high')
    expect(high.body.series[0]).toMatchObject({ openCritical: 0, fixedThisWeek: 0 })
  })

  it('every measure answers and matches its schema', async () => {
    expect(INSIGHT_MEASURE_VALUES).toHaveLength(7)
    for (const m of INSIGHT_MEASURE_VALUES) {
      const r = await t.api('GET', `/api/v1/insights/${m}?interval=month&from=2025-01-01`)
      expect(r.status, `${m}: ${r.text}`).toBe(200)
      const parsed = Insight.safeParse(r.body)
      expect(parsed.success, `${m}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true)
      expect(r.body.measure).toBe(m)
    }
  })

  it('refuses what it cannot answer, in words', async () => {
    expect((await t.api('GET', '/api/v1/insights/open-by-priority', undefined, { token: null })).status).toBe(401)
    const unknown = await t.api('GET', '/api/v1/insights/velocity')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toContain('open-by-priority, new-vs-fixed, time-to-fix, sla')
    const reversed = await t.api('GET', '/api/v1/insights/sla?from=2026-03-01&to=2026-02-01')
    expect(reversed.status).toBe(422)
    expect(reversed.body.error.code).toBe('invalid_window')
    const long = await t.api('GET', '/api/v1/insights/new-vs-fixed?from=2025-01-01&to=2025-12-31&interval=day')
    expect(long.status).toBe(422)
    expect(long.body.error.message).toMatch(/at most 120 days/)
    const filter = await t.api('GET', '/api/v1/insights/open-by-priority?severity=high')
    expect(filter.status).toBe(422)
    expect(filter.body.error.message).toMatch(/cannot filter by severity/)
    expect((await t.api('GET', '/api/v1/insights/sla?from=2026-02-30')).status).toBe(400)
    expect((await t.api('GET', '/api/v1/insights/sla?interval=year')).status).toBe(400)
  })

  it('exports the series as CSV, by format=csv or a .csv name', async () => {
    for (const path of ['/api/v1/insights/open-by-priority?format=csv', '/api/v1/insights/open-by-priority.csv']) {
      const r = await t.api('GET', path, undefined, { token: viewer })
      expect(r.status, r.text).toBe(200)
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/)
      const lines = r.text.trim().split('\n')
      expect(lines[0]).toBe('bucket,asOf,critical,high,medium,low,info,total')
      expect(lines.length).toBeGreaterThan(10)
    }
    const overlap = await t.api('GET', '/api/v1/insights/time-to-fix.csv')
    expect(overlap.text.split('\n')[0]).toBe('group,key,label,fixed,medianDays,p90Days')
  })
})
