import { DRIVERS } from '@vulnsync/db/testing'
import { type FeedsSimulator, startFeedsSimulator } from '@vulnsync/simulators/feeds/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * The prioritisation feeds through the API, on both databases: refreshes as jobs, what every issue of every source
 * gets from them, refusals that keep the data in use, incremental recomputes, the priority policy with its dry run,
 * and the priority history.
 */
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()

// CVEs outside the simulator's generated universe (numbers from 1000 up), so their scores are what the tests set
const KEV_ONLY = 'CVE-2026-90001' // in KEV, found by a scanner that sends no exploit signal at all
const HOT = 'CVE-2026-90002' // EPSS 0.43 in the feed; the other scanner says 0.02
const COLD = 'CVE-2026-90003' // EPSS 0.003
const MID = 'CVE-2026-90004' // EPSS 0.05
const UNSCORED = 'CVE-2026-90005'
const RANSOM = 'CVE-2026-90006'

// percentiles pinned: the generated universe's daily drift moves every other rank
const EPSS = {
  rows: 2000,
  scores: {
    [HOT]: { score: 0.43, percentile: 0.97312 },
    [COLD]: { score: 0.003, percentile: 0.4 },
    [MID]: { score: 0.05, percentile: 0.89 },
    [RANSOM]: { score: 0.2, percentile: 0.95 },
  },
}
const KEV = {
  add: [
    { cveID: KEV_ONLY, dateAdded: '2024-05-02', dueDate: '2024-05-23' },
    { cveID: RANSOM, dateAdded: '2024-06-01', dueDate: '2024-06-22', knownRansomware: true },
  ],
}

let rows: TestRaw[] = []
let otherRows: TestRaw[] = []
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
const other = createTestConnector(() => arrayDataset(otherRows), { pageSize: 50 })

const row = (id: string, cve: string, over: Partial<TestRaw> = {}): TestRaw => ({
  id,
  ids: [cve],
  purl: 'pkg:npm/lodash@4.17.20',
  repo: 'https://github.com/acme/web',
  severity: 'medium',
  detectedAt: daysAgo(10),
  ...over,
})

describe.each(DRIVERS)('prioritisation feeds on %s', (driver) => {
  let t: TestApp
  let sim: FeedsSimulator
  let scannerId = ''

  const feed = async (name: string) =>
    (await t.api('GET', '/api/v1/feeds')).body.items.find((f: any) => f.name === name)
  /** asks for a refresh (202) and waits until the job has recorded its outcome */
  const refresh = async (name: 'kev' | 'epss') => {
    const before = await feed(name)
    const r = await t.api('POST', `/api/v1/feeds/${name}/refresh`)
    expect(r.status).toBe(202)
    expect(r.body.feed.refreshing).toBe(true)
    const deadline = Date.now() + 60_000
    for (;;) {
      const f = await feed(name)
      if (f.lastRefreshAt && f.lastRefreshAt !== before.lastRefreshAt && !f.refreshing) return f
      if (Date.now() > deadline) throw new Error(`the ${name} refresh did not finish: ${JSON.stringify(f)}`)
      await new Promise((res) => setTimeout(res, 100))
    }
  }
  const issueOf = async (cve: string, repo = 'acme/web') =>
    (await t.api('GET', `/api/v1/vulnerabilities?cve=${cve}&repository=${repo}`)).body.items[0]
  const detailOf = async (cve: string, repo = 'acme/web') =>
    (await t.api('GET', `/api/v1/vulnerabilities/${(await issueOf(cve, repo)).id}`)).body
  const priorityHistory = async (cve: string, repo = 'acme/web') =>
    (await t.api('GET', `/api/v1/vulnerabilities/${(await issueOf(cve, repo)).id}/timeline`)).body.items.filter(
      (e: any) => e.type === 'priority',
    )
  const sync = async (id: string) => t.waitForRun((await t.api('POST', `/api/v1/connections/${id}/syncs`)).body.run.id)

  beforeAll(async () => {
    sim = await startFeedsSimulator({ kev: KEV, epss: EPSS })
    rows = [
      row('s1', KEV_ONLY),
      row('s2', HOT, { severity: 'high' }),
      row('s2b', HOT, { severity: 'high', repo: 'https://github.com/acme/api' }),
      row('s3', COLD, { severity: 'high' }),
      row('s4', MID),
      row('s5', UNSCORED, { severity: 'low', epss: 0.3 }),
      row('s6', RANSOM, { severity: 'low', reachable: 'unreachable' }),
    ]
    otherRows = [row('o2', HOT, { severity: 'high', epss: 0.02 })]
    t = await startTestApp({
      driver,
      connectors: { test: scanner as any, other: { ...other, kind: 'other' } as any },
      env: { VULNSYNC_KEV_URL: sim.kevUrl, VULNSYNC_EPSS_URL: sim.epssUrl },
    })
    await seedRepositories(t.db, t.rt.workspaceId, [
      { fullName: 'acme/web', externalId: 'w1' },
      { fullName: 'acme/api', externalId: 'a1' },
    ])
    const a = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 'x' } })
    scannerId = a.body.connection.id
    await t.waitForRun(a.body.run.id)
    const b = await t.api('POST', '/api/v1/connections', { kind: 'other', name: 'Other', secrets: { token: 'x' } })
    await t.waitForRun(b.body.run.id)
  })
  afterAll(async () => {
    await t?.close()
    await sim?.close()
  })

  it('lists both feeds before any load, with the configured URLs', async () => {
    const r = await t.api('GET', '/api/v1/feeds')
    expect(r.status).toBe(200)
    expect(r.body.items.map((f: any) => [f.name, f.url, f.entries, f.lastRefreshAt, f.lastError])).toEqual([
      ['epss', sim.epssUrl, 0, null, null],
      ['kev', sim.kevUrl, 0, null, null],
    ])
    // before the feeds, the scanner's own signals decide
    expect((await issueOf(KEV_ONLY)).priority).toBe('medium')
    expect((await issueOf(KEV_ONLY)).kev).toBeNull()
  })

  it('a refresh runs as a job; every issue of every source then gets KEV and EPSS', async () => {
    const kev = await refresh('kev')
    expect(kev).toMatchObject({
      entries: 1406,
      feedDate: '2025-08-25',
      version: '2025.08.25',
      lastError: null,
      loadedFrom: sim.kevUrl,
    })
    expect(kev.lastOutcome).toMatchObject({ status: 'loaded', entries: 1406, previousEntries: 0, changedCves: 1406 })
    const epss = await refresh('epss')
    expect(epss).toMatchObject({ entries: 2004, feedDate: '2026-12-01', version: 'v2025.03.14', lastError: null })

    // a scanner that sends no exploit signal: the CVE is in KEV, so it ranks critical, in the feed's words
    const k = await detailOf(KEV_ONLY)
    expect(k.priority).toBe('critical')
    expect(k.kev).toEqual({ dateAdded: '2024-05-02', dueDate: '2024-05-23', knownRansomware: false })
    expect(k.explanation).toBe('Medium → Critical because listed in CISA KEV since 2024-05-02')
    // known ransomware use, and never lowered although unreachable
    const r = await detailOf(RANSOM)
    expect(r.priority).toBe('critical')
    expect(r.factors[0].text).toBe('listed in CISA KEV since 2024-06-01 (known ransomware use)')
    // EPSS from the feed for every source; a scanner that disagrees is shown beside it
    const hot = await detailOf(HOT)
    expect(hot.priority).toBe('critical')
    expect(hot.epss).toMatchObject({ score: 0.43, date: '2026-12-01' })
    const epssFactor = hot.factors.find((f: any) => f.code === 'epss_high')
    expect(epssFactor.text).toBe('EPSS 0.43 (97th percentile), 2026-12-01; other says 0.02')
    expect(hot.occurrences.find((o: any) => o.kind === 'other').signals.epss).toEqual({ score: 0.02 })
    // a CVE the feed does not score keeps the scanner's own score
    const u = await detailOf(UNSCORED)
    expect(u.epss).toBeNull()
    expect(u.priority).toBe('medium')
    expect(u.factors[0]).toMatchObject({ code: 'epss_high', text: 'EPSS 0.30', sources: ['test'] })
    // the change is on the timeline, with its cause
    expect(await priorityHistory(KEV_ONLY)).toEqual([
      expect.objectContaining({
        actor: 'feeds',
        actorKind: 'job',
        detail: expect.objectContaining({ from: 'medium', to: 'critical', cause: 'feed_refresh' }),
      }),
    ])
  })

  it('filters the queue by KEV and by EPSS', async () => {
    const kev = await t.api('GET', '/api/v1/vulnerabilities?kev=true')
    expect(kev.body.items.map((i: any) => i.cve).sort()).toEqual([KEV_ONLY, RANSOM])
    const notKev = await t.api('GET', '/api/v1/vulnerabilities?kev=false')
    expect(notKev.body.total).toBe(5)
    const hot = await t.api('GET', '/api/v1/vulnerabilities?epssMin=0.1')
    expect(hot.body.items.map((i: any) => i.cve).sort()).toEqual([HOT, HOT, RANSOM])
    expect((await t.api('GET', '/api/v1/vulnerabilities?epssMin=2')).status).toBe(400)
  })

  it('refuses an implausible, truncated or missing download and keeps the data in use, saying why', async () => {
    const before = await detailOf(HOT)
    sim.setFaults({ epssTiny: 10 })
    const tiny = await refresh('epss')
    expect(tiny.entries).toBe(2004)
    expect(tiny.lastError).toEqual({
      code: 'implausible',
      message: 'the FIRST EPSS file has 10 entries, fewer than half of the 2,004 in use: kept the 2,004 entries in use',
    })
    expect(tiny.lastOutcome).toMatchObject({ status: 'refused', entries: 10, changedCves: 0 })
    sim.setFaults({ epssTruncate: true })
    expect((await refresh('epss')).lastError).toMatchObject({ code: 'truncated' })
    sim.setFaults({ epssMissing: true })
    const missing = await refresh('epss')
    expect(missing.lastError.code).toBe('not_found')
    expect(missing.lastError.message).toMatch(/HTTP 404: kept the 2,004 entries in use$/)
    expect(missing.lastOutcome.status).toBe('failed')
    sim.setFaults({ kevTruncate: true })
    expect((await refresh('kev')).lastError).toMatchObject({ code: 'not_json' })
    sim.setFaults({})
    expect((await feed('kev')).entries).toBe(1406)
    const after = await detailOf(HOT)
    expect(after.epss).toEqual(before.epss)
    expect(after.priority).toBe(before.priority)
    // and a good file afterwards loads again
    expect((await refresh('epss')).lastError).toBeNull()
  })

  it('recomputes only the issues of the CVEs whose values changed', async () => {
    const all = (await t.api('GET', '/api/v1/vulnerabilities?limit=100')).body.items
    const stamp = async () =>
      new Map(
        (await t.db.query<{ id: number; updated_at: Date }>(`SELECT id, updated_at FROM issues`)).rows.map((r) => [
          String(r.id),
          new Date(r.updated_at).getTime(),
        ]),
      )
    const before = await stamp()
    // the next day: only HOT's score moves (the generated universe moves too, but no issue has those CVEs)
    sim.setEpss({ ...EPSS, scores: { ...EPSS.scores, [HOT]: { score: 0.05, percentile: 0.89 } }, day: 1 })
    const f = await refresh('epss')
    expect(f.feedDate).toBe('2026-12-02')
    expect(f.lastOutcome.changedCves).toBeGreaterThan(1500)
    // HOT's two issues, nothing else
    expect(f.lastOutcome.issuesExamined).toBe(2)
    expect(f.lastOutcome.moves).toEqual([{ from: 'critical', to: 'high', count: 2, open: 2 }])
    const after = await stamp()
    const touched = all.filter((i: any) => after.get(i.id) !== before.get(i.id)).map((i: any) => i.cve)
    expect(touched).toEqual([HOT, HOT])
    const hot = await detailOf(HOT)
    expect(hot.priority).toBe('high')
    expect(hot.epss).toMatchObject({ score: 0.05, date: '2026-12-02' })
    // an unchanged score keeps the date it was first published with
    expect((await detailOf(MID)).epss.date).toBe('2026-12-01')
    expect((await priorityHistory(HOT)).at(-1).detail).toMatchObject({
      from: 'critical',
      to: 'high',
      cause: 'feed_refresh',
    })
    // a listing removed from KEV goes back to what the scanners say
    sim.setKev({ add: [KEV.add[1]!] })
    const kev = await refresh('kev')
    expect(kev.lastOutcome).toMatchObject({ changedCves: 1, issuesExamined: 1 })
    expect((await issueOf(KEV_ONLY)).priority).toBe('medium')
  })

  it('a score that moves within its band rewrites no issue; the issue shows the new score when read', async () => {
    const stamp = async () =>
      (await t.db.query<{ id: number; updated_at: Date }>(`SELECT id, updated_at FROM issues ORDER BY id`)).rows.map(
        (r) => [r.id, new Date(r.updated_at).getTime()],
      )
    const before = await stamp()
    const hotHistory = await priorityHistory(HOT)
    // the day after: COLD moves from 0.003 to 0.0045 (still under the 0.005 threshold), MID from 0.05 to 0.06
    sim.setEpss({
      ...EPSS,
      scores: {
        ...EPSS.scores,
        [HOT]: { score: 0.05, percentile: 0.89 },
        [COLD]: { score: 0.0045, percentile: 0.45 },
        [MID]: { score: 0.06, percentile: 0.9 },
      },
      day: 2,
    })
    const f = await refresh('epss')
    expect(f.lastOutcome.changedCves).toBeGreaterThan(1500)
    expect(f.lastOutcome.issuesExamined).toBe(0)
    expect(await stamp()).toEqual(before)
    const cold = await detailOf(COLD)
    expect(cold.epss).toEqual({ score: 0.0045, percentile: 0.45, date: '2026-12-03' })
    expect(cold.factors.find((x: any) => x.code === 'epss_low')).toMatchObject({
      effect: 'none',
      text: 'EPSS 0.0045 (45th percentile), 2026-12-03: exploitation unlikely',
    })
    expect((await issueOf(MID)).epss).toEqual({ score: 0.06, percentile: 0.9, date: '2026-12-03' })
    // the history keeps the sentence as it read when the level moved, with the value of the day
    expect(await priorityHistory(HOT)).toEqual(hotHistory)
    expect(hotHistory[0].detail.explanation).toBe(
      'High → Critical because EPSS 0.43 (97th percentile), 2026-12-01; other says 0.02',
    )
    // the filter reads the feed's current scores
    const filtered = await t.api('GET', '/api/v1/vulnerabilities?epssMin=0.004')
    expect(filtered.body.items.map((i: any) => i.cve).sort()).toEqual([HOT, HOT, COLD, MID, RANSOM].sort())
    expect(filtered.body.total).toBe(5)
  })

  it('the priority policy: a dry run counts exactly what the save then does, and each move is on the timeline', async () => {
    const policy = (await t.api('GET', '/api/v1/policies/priority')).body
    expect(policy).toEqual({
      kev: 'critical',
      neverLowerKev: true,
      epss: { high: 0.1, low: 0.005 },
      lowering: {
        factors: [
          'function_unreachable',
          'dependency_unreachable',
          'not_applicable',
          'test_only',
          'archived_repository',
        ],
        maxLevels: 2,
      },
      businessPriority: { raiseAtOrAbove: 90, lowerAtOrBelow: 10 },
    })
    // EPSS ≥ 0.05 raises; a low EPSS may lower; KEV only raises one level and may be lowered
    const next = {
      ...policy,
      kev: 'raise',
      neverLowerKev: false,
      epss: { high: 0.05, low: 0.005 },
      lowering: { ...policy.lowering, factors: [...policy.lowering.factors, 'epss_low'] },
    }
    const levels = async () =>
      new Map((await t.api('GET', '/api/v1/vulnerabilities?limit=100')).body.items.map((i: any) => [i.id, i.priority]))
    const before = await levels()
    const dry = await t.api('PUT', '/api/v1/policies/priority?dryRun=true', next)
    expect(dry.status).toBe(200)
    expect(dry.body.dryRun).toBe(true)
    expect(await levels()).toEqual(before)
    expect((await t.api('GET', '/api/v1/policies/priority')).body).toEqual(policy)
    const saved = await t.api('PUT', '/api/v1/policies/priority', next)
    expect(saved.body.dryRun).toBe(false)
    expect(saved.body.moves).toEqual(dry.body.moves)
    expect(saved.body.changed).toBe(dry.body.changed)
    const after = await levels()
    const moved = new Map<string, number>()
    for (const [id, from] of before) {
      const to = after.get(id)
      if (to !== from) moved.set(`${from}>${to}`, (moved.get(`${from}>${to}`) ?? 0) + 1)
    }
    expect(Object.fromEntries(moved)).toEqual(
      Object.fromEntries(dry.body.moves.map((m: any) => [`${m.from}>${m.to}`, m.count])),
    )
    // HOT and MID (0.05) now raise, COLD (0.003) lowers, RANSOM (KEV, unreachable) is raised one and lowered one
    expect(Object.fromEntries(moved)).toEqual({
      'high>critical': 2,
      'medium>high': 1,
      'high>medium': 1,
      'critical>low': 1,
    })
    expect((await priorityHistory(COLD)).at(-1)).toMatchObject({
      actorKind: 'token',
      detail: { from: 'high', to: 'medium', cause: 'policy_change' },
    })
    const bad = await t.api('PUT', '/api/v1/policies/priority', { ...next, epss: { high: 0.01, low: 0.5 } })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toMatch(/epss\.low/)
    await t.api('PUT', '/api/v1/policies/priority', policy)
  })

  it('records why a sync moved a priority: reachability changed, a new source', async () => {
    rows = rows.map((r) => (r.id === 's4' ? { ...r, reachable: 'unreachable' as const } : r))
    await sync(scannerId)
    expect((await issueOf(MID)).priority).toBe('low')
    expect((await priorityHistory(MID)).at(-1)).toMatchObject({
      actorKind: 'sync',
      detail: { from: 'medium', to: 'low', cause: 'reachability_changed' },
    })
    otherRows = [...otherRows, row('o3', COLD, { severity: 'critical' })]
    const otherId = (await t.api('GET', '/api/v1/connections')).body.items.find((c: any) => c.kind === 'other').id
    await sync(otherId)
    expect((await priorityHistory(COLD)).at(-1).detail).toMatchObject({
      from: 'high',
      to: 'critical',
      cause: 'new_source',
    })
  })

  it('PATCH changes where a feed comes from and whether it is downloaded', async () => {
    const mirror = `${sim.url}/mirror/known_exploited_vulnerabilities.json`
    const p = await t.api('PATCH', '/api/v1/feeds/kev', { url: mirror })
    expect(p.body.feed).toMatchObject({ url: mirror, defaultUrl: sim.kevUrl })
    const failed = await refresh('kev')
    expect(failed.lastError.code).toBe('not_found')
    await t.api('PATCH', '/api/v1/feeds/kev', { url: null, enabled: false })
    const off = await t.api('POST', '/api/v1/feeds/kev/refresh')
    expect(off.status).toBe(409)
    expect(off.body.error.code).toBe('feed_disabled')
    expect((await feed('kev')).nextRefreshAt).toBeNull()
    const reset = await t.api('PATCH', '/api/v1/feeds/kev', { enabled: true })
    expect(reset.body.feed).toMatchObject({ url: sim.kevUrl, enabled: true })
    expect((await t.api('PATCH', '/api/v1/feeds/kev', { url: 'file:///etc/passwd' })).status).toBe(422)
    expect((await t.api('PATCH', '/api/v1/feeds/nvd', { enabled: true })).status).toBe(400)
  })
})
