import { UpstreamError } from '@vulnsync/core'
import { type Db, getRun, refreshCoverage, rematchUnmatched } from '@vulnsync/db'
import { createTestDb, DRIVERS, quietTestDb } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConnectionForRun, type EngineOptions, executeRun, ShutdownError } from './engine.ts'
import { confirmHeldRun } from './resolution.ts'
import { arrayDataset, createTestConnector, type TestConnectorOptions, type TestRaw } from './test-connector.ts'
import { neverAborted, newRun, seedConnection, seedRepositories, seedWorkspace, silentLogger } from './test-support.ts'

const rec = (i: number, over: Partial<TestRaw> = {}): TestRaw => ({
  id: `f-${i}`,
  ids: [`CVE-2024-${String(10000 + i)}`],
  purl: `pkg:npm/lib-${i % 7}@1.0.${i % 3}`,
  repo: 'https://github.com/acme/api',
  severity: ['critical', 'high', 'medium', 'low'][i % 4]!,
  detectedAt: new Date(Date.UTC(2024, 0, 1 + (i % 28))).toISOString(),
  ...over,
})

const issues = (db: Db, ws: string) =>
  db
    .query<any>(
      `SELECT i.*, (SELECT json_agg(s.kind ORDER BY s.kind) FROM issue_sources s WHERE s.issue_id = i.id) AS kinds
         FROM issues i WHERE workspace_id = $1 ORDER BY cve, package_key, target_key`,
      [ws],
    )
    .then((r) => r.rows)

describe.each(DRIVERS)('ingest engine on %s', (driver) => {
  let db: Db
  let opts: EngineOptions
  beforeAll(async () => {
    db = await createTestDb(driver)
    opts = { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 40 }
  })
  afterAll(() => db?.close())

  const setup = async (repos = ['acme/api']) => {
    const ws = await seedWorkspace(db)
    const { repos: rows } = await seedRepositories(
      db,
      ws,
      repos.map((fullName, i) => ({ fullName, externalId: `${ws}-${i}` })),
    )
    return { ws, repos: rows }
  }

  /** one sync of `rows` through the test connector (with options `o`), in a new run */
  const syncRows = async (conn: ConnectionForRun, rows: TestRaw[], o?: TestConnectorOptions) =>
    executeRun(
      opts,
      createTestConnector(() => arrayDataset(rows), o),
      conn,
      await newRun(db, conn),
      neverAborted,
    )

  /** a copy of `r` whose serialisation (JSON.stringify calls toJSON) runs `onSerialise` */
  const watchSerialising = (r: TestRaw, onSerialise: () => TestRaw): TestRaw =>
    Object.defineProperty({ ...r }, 'toJSON', { enumerable: false, value: onSerialise })

  it('imports every CVE-bearing record, counts the rest by reason, and keeps the vendor detection time', async () => {
    const { ws } = await setup()
    const rows = [
      ...Array.from({ length: 100 }, (_, i) => rec(i)),
      rec(200, { ids: ['GHSA-aaaa-bbbb-cccc'] }),
      rec(201, { bad: true }),
      rec(202, { severity: 'weird' }),
    ]
    const conn = await seedConnection(db, ws)
    const runId = await newRun(db, conn, 'initial')
    const out = await executeRun(
      opts,
      createTestConnector(() => arrayDataset(rows), { pageSize: 33 }),
      conn,
      runId,
      neverAborted,
    )
    expect(out.status).toBe('succeeded')
    expect(out.counts).toMatchObject({
      fetched: 103,
      created: 100,
      updated: 0,
      unchanged: 0,
      resolved: 0,
      unmatched: 0,
    })
    expect(out.counts.skipped).toEqual({ no_cve: 1, invalid_record: 2 })
    const all = await issues(db, ws)
    expect(all).toHaveLength(100)
    const one = all.find((i: any) => i.cve === 'CVE-2024-10005')
    expect(new Date(one.detected_at).toISOString()).toBe(rec(5).detectedAt)
    expect(new Date(one.first_seen_at).getTime()).toBeGreaterThan(new Date(one.detected_at).getTime())
    const run = await getRun(db, runId)
    expect(run?.status).toBe('succeeded')
    expect(run?.cursor).toBeNull()
  })

  it('changes nothing when the same sync runs twice', async () => {
    const { ws } = await setup()
    const rows = Array.from({ length: 90 }, (_, i) => rec(i))
    const conn = await seedConnection(db, ws)
    const connector = createTestConnector(() => arrayDataset(rows))
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    const before = await issues(db, ws)
    const occBefore = await db.query(
      `SELECT id, content_hash, issue_id, state, detected_at FROM occurrences WHERE connection_id = $1 ORDER BY id`,
      [conn.id],
    )
    const second = await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    expect(second.counts).toMatchObject({
      fetched: 90,
      created: 0,
      updated: 0,
      unchanged: 90,
      reopened: 0,
      resolved: 0,
    })
    const after = await issues(db, ws)
    const strip = (xs: any[]) => xs.map(({ last_seen_at, updated_at, ...rest }) => rest)
    expect(strip(after)).toEqual(strip(before))
    const occAfter = await db.query(
      `SELECT id, content_hash, issue_id, state, detected_at FROM occurrences WHERE connection_id = $1 ORDER BY id`,
      [conn.id],
    )
    expect(occAfter.rows).toEqual(occBefore.rows)
  })

  it('marks unchanged re-runs seen in place: every occurrence stays on its page and the table never grows', async () => {
    // a re-run that moved every row to a new page grew the table by a copy of itself each time, until a VACUUM, which
    // PGlite has to run itself (migration 0018, maintenance.ts)
    // no auto-analyze of what the tests before wrote may hold a snapshot that keeps the marks' dead versions unpruned
    await quietTestDb(db)
    const { ws } = await setup()
    const rows = Array.from({ length: 120 }, (_, i) => rec(i))
    const conn = await seedConnection(db, ws)
    const connector = createTestConnector(() => arrayDataset(rows))
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    // the page of each row version: the block number of its ctid, "(block,offset)"
    const pages = async () => {
      const { rows: r } = await db.query<{ id: number; page: string; last_seen_run_id: string }>(
        `SELECT id, split_part(trim(both '()' FROM ctid::text), ',', 1) AS page, last_seen_run_id
           FROM occurrences WHERE connection_id = $1 ORDER BY id`,
        [conn.id],
      )
      return r
    }
    const size = async () =>
      Number((await db.query<{ n: string }>(`SELECT pg_relation_size('occurrences') AS n`)).rows[0]!.n)
    const onPages = (xs: { id: number; page: string }[]) => xs.map(({ id, page }) => ({ id, page }))
    const before = await pages()
    const sizeBefore = await size()
    // three syncs: the second and third find the space of the marks before them free again (pruned in the page)
    for (let sync = 0; sync < 3; sync++) {
      const rerun = await newRun(db, conn)
      const out = await executeRun(opts, connector, conn, rerun, neverAborted)
      expect(out.counts).toMatchObject({ unchanged: 120, created: 0, updated: 0 })
      const after = await pages()
      // every row was written again (its mark) ...
      expect(after.map((r) => r.last_seen_run_id)).toEqual(after.map(() => rerun))
      // ... as a new version on the page it was on (a heap-only update: no index entry written), so nothing grew
      expect(onPages(after)).toEqual(onPages(before))
      expect(await size()).toBe(sizeBefore)
    }
  })

  it('merges the same CVE in the same package and repository from two connections into one issue with two sources', async () => {
    const { ws } = await setup()
    const a = await seedConnection(db, ws, { name: 'scanner-a' })
    const b = await seedConnection(db, ws, { name: 'scanner-b', kind: 'other' })
    const fromA = [
      rec(1, { id: 'a-1', purl: 'pkg:npm/lodash@4.17.20', detectedAt: '2024-03-01T00:00:00.000Z', severity: 'high' }),
    ]
    const fromB = [
      rec(1, {
        id: 'b-xyz',
        purl: 'pkg:npm/Lodash@4.17.20',
        repo: 'git@github.com:ACME/api.git',
        detectedAt: '2024-02-01T00:00:00.000Z',
        severity: 'critical',
      }),
    ]
    await executeRun(
      opts,
      createTestConnector(() => arrayDataset(fromA)),
      a,
      await newRun(db, a),
      neverAborted,
    )
    const out = await executeRun(
      opts,
      { ...createTestConnector(() => arrayDataset(fromB)), kind: 'other' } as any,
      b,
      await newRun(db, b),
      neverAborted,
    )
    expect(out.counts.created).toBe(1)
    const all = await issues(db, ws)
    expect(all).toHaveLength(1)
    expect(all[0].kinds).toEqual(['other', 'test'])
    // detectedAt is the earliest source detection; severity the highest
    expect(new Date(all[0].detected_at).toISOString()).toBe('2024-02-01T00:00:00.000Z')
    expect(all[0].severity).toBe('critical')
    expect(all[0].package_key).toBe('pkg:npm/lodash')
  })

  it('keeps one issue when a still-vulnerable version is bumped, and folds GHSA aliases onto the CVE', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    let rows = [rec(1, { purl: 'pkg:npm/minimist@1.2.0', ids: ['CVE-2021-44906', 'GHSA-xvch-5gv4-984h'] })]
    const connector = createTestConnector(() => arrayDataset(rows))
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    const [first] = await issues(db, ws)
    expect(first.aliases).toEqual(['GHSA-xvch-5gv4-984h'])
    rows = [rec(1, { purl: 'pkg:npm/minimist@1.2.5', ids: ['CVE-2021-44906', 'GHSA-xvch-5gv4-984h'] })]
    const out = await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    expect(out.counts).toMatchObject({ updated: 1, created: 0, resolved: 0 })
    const after = await issues(db, ws)
    expect(after).toHaveLength(1)
    expect(after[0].id).toBe(first.id)
    expect(after[0].versions).toEqual(['1.2.5'])
  })

  it('marks absent only after a complete run, fixes the issue, and reopens it when it comes back', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    let rows = Array.from({ length: 10 }, (_, i) => rec(i))
    const connector = createTestConnector(() => arrayDataset(rows))
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    rows = rows.slice(0, 9)
    const out = await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    expect(out.counts).toMatchObject({ resolved: 1, unchanged: 9 })
    let gone = (await issues(db, ws)).find((i: any) => i.cve === 'CVE-2024-10009')
    expect(gone.status).toBe('fixed')
    expect(gone.fixed_at).not.toBeNull()
    rows = Array.from({ length: 10 }, (_, i) => rec(i))
    const back = await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    expect(back.counts).toMatchObject({ reopened: 1, unchanged: 9, resolved: 0 })
    gone = (await issues(db, ws)).find((i: any) => i.cve === 'CVE-2024-10009')
    expect(gone.status).toBe('open')
    expect(gone.fixed_at).toBeNull()
  })

  it('never resolves anything when a run fails part-way', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = Array.from({ length: 100 }, (_, i) => rec(i))
    await syncRows(conn, rows)
    const err = new UpstreamError({ kind: 'auth', host: 'scanner.test', status: 401, message: 'token revoked' })
    const failing = createTestConnector(() => arrayDataset(rows), { failAfter: { records: 30, error: err } })
    const runId = await newRun(db, conn)
    const out = await executeRun(opts, failing, conn, runId, neverAborted)
    expect(out.status).toBe('partial')
    expect(out.error).toMatchObject({ code: 'auth', message: 'token revoked' })
    expect(out.error?.hint).toMatch(/Reconnect/)
    expect(out.counts.resolved).toBe(0)
    const open = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM occurrences WHERE connection_id = $1 AND state = 'present'`,
      [conn.id],
    )
    expect(open.rows[0]!.n).toBe(100)
    const failedEarly = createTestConnector(() => arrayDataset(rows), { failAfter: { records: 0, error: err } })
    const out2 = await executeRun(opts, failedEarly, conn, await newRun(db, conn), neverAborted)
    expect(out2.status).toBe('failed')
  })

  it('holds a run whose findings collapse implausibly instead of resolving them, until a user confirms', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    let rows = Array.from({ length: 120 }, (_, i) => rec(i))
    const connector = createTestConnector(() => arrayDataset(rows))
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    rows = []
    const runId = await newRun(db, conn)
    const out = await executeRun(opts, connector, conn, runId, neverAborted)
    expect(out.status).toBe('held')
    expect(out.counts.resolved).toBe(0)
    expect(out.counts.wouldResolve).toBe(120)
    expect(out.error?.code).toBe('suspicious_drop')
    expect((await issues(db, ws)).every((i: any) => i.status === 'open')).toBe(true)
    const counts = await confirmHeldRun(db, (await getRun(db, runId))!, conn, { role: 'scanner' }, new Date())
    expect(counts.resolved).toBe(120)
    expect((await issues(db, ws)).every((i: any) => i.status === 'fixed')).toBe(true)
  })

  it('resumes an interrupted run from its checkpoint and loses nothing', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = Array.from({ length: 200 }, (_, i) => rec(i))
    const connector = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    // second run: the process is told to stop during page 3
    const ac = new AbortController()
    const stopping = createTestConnector(() => arrayDataset(rows), {
      pageSize: 50,
      onPage: (p) => {
        if (p === 2) ac.abort(new ShutdownError())
      },
    })
    const runId = await newRun(db, conn)
    const out = await executeRun(opts, stopping, conn, runId, ac.signal)
    expect(out.status).toBe('queued')
    const mid = await getRun(db, runId)
    expect(mid?.cursor).toEqual({ next: 100 })
    // the next attempt of the same run resumes at record 100 and resolves nothing it already saw
    let firstPage = -1
    const resumed = createTestConnector(() => arrayDataset(rows), {
      pageSize: 50,
      onPage: (p) => {
        if (firstPage < 0) firstPage = p
      },
    })
    const done = await executeRun(opts, resumed, conn, runId, neverAborted)
    expect(done.status).toBe('succeeded')
    expect(done.counts).toMatchObject({ fetched: 200, unchanged: 200, resolved: 0 })
    expect((await getRun(db, runId))?.attempts).toBe(2)
  })

  it('keeps findings of an unknown repository as unmatched and queues them when the repository appears', async () => {
    const { ws } = await setup(['acme/api'])
    const conn = await seedConnection(db, ws)
    const rows = [
      rec(1),
      rec(2, { repo: 'https://github.com/acme/payments.git' }),
      rec(3, { repo: 'git@github.com:acme/payments.git' }),
    ]
    const out = await syncRows(conn, rows)
    expect(out.counts.unmatched).toBe(2)
    expect(await issues(db, ws)).toHaveLength(1)
    await seedRepositories(db, ws, [{ fullName: 'acme/payments', externalId: `${ws}-pay` }])
    const joined = await rematchUnmatched(db, ws, new Date())
    expect(joined).toBe(2)
    const all = await issues(db, ws)
    expect(all).toHaveLength(3)
    expect(all.filter((i: any) => i.target_name === 'acme/payments')).toHaveLength(2)
  })

  it('writes in batches while it reads, without holding the tenant in memory', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = Array.from({ length: 400 }, (_, i) => rec(i))
    const seenMidway: number[] = []
    const connector = createTestConnector(() => arrayDataset(rows), {
      pageSize: 100,
      onPage: async (p) => {
        if (p === 3) {
          const { rows: r } = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM occurrences WHERE connection_id = $1`,
            [conn.id],
          )
          seenMidway.push(r[0]!.n)
        }
      },
    })
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    // by the fourth page most of the first three are committed (one batch may still be in flight), long before the end
    expect(seenMidway[0]).toBeGreaterThanOrEqual(200)
    expect(seenMidway[0]).toBeLessThanOrEqual(300)
  })

  it('analyses the tables it grows coarsely while it writes, and in full once the run ends', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = Array.from({ length: 4000 }, (_, i) => rec(i, { ids: [`CVE-2023-${String(100000 + i)}`] }))
    // the bounds of the CVE histogram: at most 11 at statistics target 10, up to 101 at the default 100
    const bounds = async () =>
      (
        await db.query<{ n: number | null }>(
          `SELECT array_length(histogram_bounds::text::text[], 1) AS n FROM pg_stats
            WHERE schemaname = 'public' AND tablename = 'issues' AND attname = 'cve'`,
        )
      ).rows[0]?.n ?? null
    const midway: (number | null)[] = []
    const connector = createTestConnector(() => arrayDataset(rows), {
      pageSize: 100,
      onPage: async (p) => {
        if (p === 30) midway.push(await bounds())
      },
    })
    const out = await executeRun({ ...opts, batchSize: 400 }, connector, conn, await newRun(db, conn), neverAborted)
    expect(out.counts.created).toBe(4000)
    // by 3,000 read, the batches analysed the issues at least once (the first time at about 1,400 rows); PGlite only:
    // on PostgreSQL autovacuum may analyse the table in full meanwhile
    if (driver === 'pglite') expect(midway[0]).toBeLessThanOrEqual(11)
    expect(await bounds()).toBe(101)
  })

  it('does not resolve the findings of a location that could not be read completely', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    let rows = [rec(1, { scope: 'p1' }), rec(2, { scope: 'p2' })]
    const connector = createTestConnector(() => arrayDataset(rows))
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    rows = []
    const partialRead = createTestConnector(() => arrayDataset(rows), { incompleteScopes: ['p2'] })
    const out = await executeRun(
      { ...opts, collapse: { minMissing: 1000, ratio: 1 } },
      partialRead,
      conn,
      await newRun(db, conn),
      neverAborted,
    )
    expect(out.status).toBe('succeeded')
    expect(out.counts.resolved).toBe(1)
    const states = await db.query<{ scope: string; state: string }>(
      `SELECT scope, state FROM occurrences WHERE connection_id = $1 ORDER BY scope`,
      [conn.id],
    )
    expect(states.rows).toEqual([
      { scope: 'p1', state: 'absent' },
      { scope: 'p2', state: 'present' },
    ])
  })

  it('resolves only the scopes a scope-resolving connector declared complete (a vanished location is kept)', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    let rows = [rec(1, { scope: 'repo-a' }), rec(2, { scope: 'repo-a' }), rec(3, { scope: 'repo-b' })]
    await executeRun(
      opts,
      createTestConnector(() => arrayDataset(rows), { completeScopes: ['repo-a', 'repo-b'] }),
      conn,
      await newRun(db, conn),
      neverAborted,
    )
    // repo-b is no longer readable: the connector does not list it; repo-a lost one finding
    rows = [rec(1, { scope: 'repo-a' })]
    const out = await executeRun(
      { ...opts, collapse: { minMissing: 1000, ratio: 1 } },
      createTestConnector(() => arrayDataset(rows), { completeScopes: ['repo-a'] }),
      conn,
      await newRun(db, conn),
      neverAborted,
    )
    expect(out.counts.resolved).toBe(1)
    const states = await db.query<{ source_key: string; state: string }>(
      `SELECT source_key, state FROM occurrences WHERE connection_id = $1 ORDER BY source_key`,
      [conn.id],
    )
    expect(states.rows).toEqual([
      { source_key: 'f-1', state: 'present' },
      { source_key: 'f-2', state: 'absent' },
      { source_key: 'f-3', state: 'present' },
    ])
  })

  it('fans a record with several CVEs out to one occurrence each and keeps its raw record once', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = [
      rec(1, { id: 'multi', ids: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'GHSA-abcd-efgh-ijkl'] }),
    ]
    const out = await syncRows(conn, rows)
    expect(out.counts).toMatchObject({ fetched: 1, created: 3 })
    const occ = await db.query<{ cve: string; aliases: string[] }>(
      `SELECT cve, aliases FROM occurrences WHERE connection_id = $1 ORDER BY cve`,
      [conn.id],
    )
    expect(occ.rows.map((o) => o.cve)).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003'])
    expect(occ.rows.every((o) => o.aliases.includes('GHSA-abcd-efgh-ijkl'))).toBe(true)
    const raw = await db.query<{ raw: TestRaw }>(`SELECT raw FROM source_records WHERE connection_id = $1`, [conn.id])
    expect(raw.rows).toHaveLength(1)
    expect(raw.rows[0]!.raw.id).toBe('multi')
  })

  it("keeps another scanner's first detection of an issue when one scanner's sync rewrites the issue", async () => {
    const { ws } = await setup()
    const [a, b] = [await seedConnection(db, ws), await seedConnection(db, ws)]
    const sync = async (conn: ConnectionForRun, rows: TestRaw[]) => {
      await syncRows(conn, rows)
      // what the end of every sync does (snapshotAfterSync)
      await refreshCoverage(db, ws, conn.id)
    }
    const detections = () =>
      db
        .query<{ connection_id: string; detected_at: Date | null }>(
          `SELECT s.connection_id, s.detected_at FROM issue_sources s JOIN issues i ON i.id = s.issue_id
            WHERE i.workspace_id = $1 ORDER BY s.connection_id`,
          [ws],
        )
        .then((r) => new Map(r.rows.map((x) => [x.connection_id, x.detected_at?.toISOString() ?? null])))
    // both report the same finding, detected on different days: one issue with two sources
    await sync(a, [rec(1, { detectedAt: '2024-03-01T00:00:00.000Z' })])
    await sync(b, [rec(1, { detectedAt: '2024-03-05T00:00:00.000Z' })])
    expect(await detections()).toEqual(
      new Map([
        [a.id, '2024-03-01T00:00:00.000Z'],
        [b.id, '2024-03-05T00:00:00.000Z'],
      ]),
    )
    // a's finding changes: its sync recomputes the issue, which writes both source rows again
    await sync(a, [rec(1, { detectedAt: '2024-03-01T00:00:00.000Z', severity: 'low' })])
    expect(await detections()).toEqual(
      new Map([
        [a.id, '2024-03-01T00:00:00.000Z'],
        [b.id, '2024-03-05T00:00:00.000Z'],
      ]),
    )
  })

  it('makes a record its JSON text once a sync, for its digest and for the raw record it stores', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    // each record counts how often it is serialised (JSON.stringify calls toJSON)
    const serialised = new Map<string, number>()
    const counted = (r: TestRaw): TestRaw =>
      watchSerialising(r, () => {
        serialised.set(r.id, (serialised.get(r.id) ?? 0) + 1)
        return r
      })
    const records = [
      rec(1, { ids: ['CVE-2024-0201', 'CVE-2024-0202', 'CVE-2024-0203'] }),
      ...Array.from({ length: 59 }, (_, i) => rec(i + 2)),
    ]
    const sync = (rows: TestRaw[]) => syncRows(conn, rows.map(counted))
    const stored = () =>
      db
        .query<{ source_key: string; raw: TestRaw }>(
          `SELECT source_key, raw FROM source_records WHERE connection_id = $1 ORDER BY source_key`,
          [conn.id],
        )
        .then((r) => new Map(r.rows.map((x) => [x.source_key, x.raw])))

    expect((await sync(records)).counts).toMatchObject({ fetched: 60, created: 62 })
    expect([...serialised.values()]).toEqual(Array(60).fill(1))
    expect((await stored()).get('f-1')).toEqual(records[0])

    serialised.clear()
    expect((await sync(records)).counts).toMatchObject({ fetched: 60, unchanged: 62, updated: 0 })
    expect([...serialised.values()]).toEqual(Array(60).fill(1))

    // one record changed: its new text replaces the old
    serialised.clear()
    const changed = records.map((r) => (r.id === 'f-7' ? { ...r, severity: 'critical' } : r))
    expect((await sync(changed)).counts).toMatchObject({ unchanged: 61, updated: 1 })
    expect([...serialised.values()]).toEqual(Array(60).fill(1))
    const after = await stored()
    expect(after.get('f-7')).toEqual(changed[6])
    expect(after.get('f-1')).toEqual(records[0])
  })

  it('does not map a record read again as it was stored, and maps it whenever its occurrences are not what it gave', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const mapped: string[] = []
    const sync = async (rows: TestRaw[]) => {
      const c = createTestConnector(() => arrayDataset(rows))
      return executeRun(
        opts,
        {
          ...c,
          map: (raw, ctx) => {
            mapped.push(raw.id)
            return c.map(raw, ctx)
          },
        },
        conn,
        await newRun(db, conn),
        neverAborted,
      )
    }
    const occurrence = async (cve: string) =>
      (
        await db.query<{ state: string; last_seen_run_id: string }>(
          `SELECT state, last_seen_run_id FROM occurrences WHERE connection_id = $1 AND cve = $2`,
          [conn.id, cve],
        )
      ).rows[0]!
    const mappedIn = async (rows: TestRaw[]) => {
      mapped.length = 0
      const out = await sync(rows)
      expect(out.status).toBe('succeeded')
      return { counts: out.counts, mapped: [...mapped].sort() }
    }
    const three = rec(1, { ids: ['CVE-2024-0401', 'CVE-2024-0402', 'CVE-2024-0403'] })
    const records = [three, ...Array.from({ length: 59 }, (_, i) => rec(i + 2)), rec(99, { purl: 'not a package URL' })]

    // first sync: every record mapped; the one whose finding cannot be used is skipped
    let r = await mappedIn(records)
    expect(r.counts).toMatchObject({ fetched: 61, created: 62, skipped: { invalid_record: 1 } })
    expect(r.mapped).toHaveLength(61)

    // read again as they were: marked seen, not mapped, except the one that keeps no digest (its skip is counted again)
    r = await mappedIn(records)
    expect(r.counts).toMatchObject({
      fetched: 61,
      unchanged: 62,
      created: 0,
      updated: 0,
      skipped: { invalid_record: 1 },
    })
    expect(r.mapped).toEqual(['f-99'])
    const { rows: seen } = await db.query<{ n: number }>(
      `SELECT count(DISTINCT last_seen_run_id)::int AS n FROM occurrences WHERE connection_id = $1`,
      [conn.id],
    )
    expect(seen[0]!.n).toBe(1)

    // one record changed: only it is mapped
    const changed = records.map((x) => (x.id === 'f-7' ? { ...x, severity: 'critical' } : x))
    r = await mappedIn(changed)
    expect(r.counts).toMatchObject({ unchanged: 61, updated: 1 })
    expect(r.mapped).toEqual(['f-7', 'f-99'])

    // a record gives one CVE fewer: the one it no longer gives is resolved, and stays so while the record is unchanged
    const two = { ...three, ids: ['CVE-2024-0401', 'CVE-2024-0402'] }
    const fewer = changed.map((x) => (x.id === 'f-1' ? two : x))
    r = await mappedIn(fewer)
    expect(r.counts).toMatchObject({ unchanged: 61, resolved: 1 })
    expect(r.mapped).toEqual(['f-1', 'f-99'])
    expect((await occurrence('CVE-2024-0403')).state).toBe('absent')
    // it was mapped while the dropped CVE was still present: its digest was not kept, so it is mapped once more
    r = await mappedIn(fewer)
    expect(r.counts).toMatchObject({ unchanged: 61, resolved: 0, reopened: 0 })
    expect(r.mapped).toEqual(['f-1', 'f-99'])
    r = await mappedIn(fewer)
    expect(r.counts).toMatchObject({ unchanged: 61, resolved: 0, reopened: 0 })
    expect(r.mapped).toEqual(['f-99'])
    expect((await occurrence('CVE-2024-0403')).state).toBe('absent')

    // a record that went away and comes back as it was: mapped, and its occurrence reopened
    r = await mappedIn(fewer.filter((x) => x.id !== 'f-9'))
    expect(r.counts).toMatchObject({ unchanged: 60, resolved: 1 })
    r = await mappedIn(fewer)
    expect(r.counts).toMatchObject({ unchanged: 60, reopened: 1 })
    expect(r.mapped).toEqual(['f-9', 'f-99'])
    expect((await occurrence(rec(9).ids[0]!)).state).toBe('present')
    const fixedThenOpen = (await issues(db, ws)).find((i: any) => i.cve === rec(9).ids[0])
    expect(fixedThenOpen.status).toBe('open')
  })

  it('writes the version read last when a sync reads a record twice, even when the earlier one is as stored', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const records = Array.from({ length: 20 }, (_, i) => rec(i))
    await syncRows(conn, records)
    const severity = async () =>
      (
        await db.query<{ severity: string }>(
          `SELECT severity FROM occurrences WHERE connection_id = $1 AND source_key = 'f-3'`,
          [conn.id],
        )
      ).rows[0]!.severity
    const other = { ...records[3]!, severity: records[3]!.severity === 'low' ? 'critical' : 'low' }
    // a changed version first, the stored one after it: the stored one wins, though it was marked seen by its digest
    const back = [...records.slice(0, 3), other, ...records.slice(4), records[3]!]
    expect((await syncRows(conn, back)).counts).toMatchObject({ fetched: 21, unchanged: 20, updated: 0 })
    expect(await severity()).toBe(records[3]!.severity)
    // the stored version first, a changed one after it: the changed one wins
    await syncRows(conn, [...records, other])
    expect(await severity()).toBe(other.severity)
    // the next syncs of one version write it once, then mark it seen without writing anything
    expect((await syncRows(conn, records)).counts).toMatchObject({ unchanged: 19, updated: 1 })
    expect(await severity()).toBe(records[3]!.severity)
    expect((await syncRows(conn, records)).counts).toMatchObject({ unchanged: 20, updated: 0 })
  })

  it('stores the text a connector read a record as, exactly, and never makes it from the parsed record', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const records = [
      rec(1, { ids: ['CVE-2024-0301', 'CVE-2024-0302'] }),
      ...Array.from({ length: 9 }, (_, i) => rec(i + 2)),
    ]
    // a record that would throw if it were serialised: only its text may be written
    const unserialisable = (r: TestRaw): TestRaw =>
      watchSerialising(r, () => {
        throw new Error(`record ${r.id} was serialised`)
      })
    const run = (rows: TestRaw[]) => syncRows(conn, rows.map(unserialisable), { asText: true })
    const stored = async () =>
      new Map(
        (
          await db.query<{ source_key: string; raw: string }>(
            `SELECT source_key, raw::text AS raw FROM source_records WHERE connection_id = $1`,
            [conn.id],
          )
        ).rows.map((x) => [x.source_key, x.raw]),
      )
    expect((await run(records)).counts).toMatchObject({ fetched: 10, created: 11 })
    const first = await stored()
    expect(first.size).toBe(10)
    for (const r of records) expect(first.get(r.id)).toBe(JSON.stringify(r, null, 1))

    const changed = records.map((r) =>
      r.id === 'f-4' ? { ...r, severity: r.severity === 'critical' ? 'low' : 'critical' } : r,
    )
    expect((await run(changed)).counts).toMatchObject({ unchanged: 10, updated: 1 })
    const after = await stored()
    expect(after.get('f-4')).toBe(JSON.stringify(changed[3], null, 1))
    expect(after.get('f-1')).toBe(first.get('f-1'))
  })

  it('writes a new occurrence as a changed one is written: its detection time, its text and JSON exactly', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    // what the first write of an occurrence stores, and what a later change keeps of it (the write path's shape may
    // change: ADR 0014 tried copying new occurrences without the upsert; these are what it must keep)
    const odd = 'f-odd\ttab\\back"quote\nline'
    const first = [
      rec(1, { detectedAt: null, ids: ['CVE-2024-0101', 'GHSA-aaaa-bbbb-cccc'], epss: 0.25 }),
      rec(2, { id: odd, image: 'Registry/App:1.0', scope: 'main' }),
    ]
    const run = (rows: TestRaw[]) =>
      newRun(db, conn).then((runId) =>
        executeRun(
          opts,
          createTestConnector(() => arrayDataset(rows)),
          conn,
          runId,
          neverAborted,
        ),
      )
    const read = () =>
      db
        .query<any>(
          `SELECT source_key, cve, aliases, target, target_kind, target_name, scope, severity, signals, detected_at,
                  detected_at_source, first_seen_at, state, absent_since, issue_id
             FROM occurrences WHERE connection_id = $1 ORDER BY source_key`,
          [conn.id],
        )
        .then((r) => r.rows)
    expect((await run(first)).counts).toMatchObject({ created: 2, updated: 0 })
    const [one, two] = await read()
    expect(one).toMatchObject({
      source_key: 'f-1',
      cve: 'CVE-2024-0101',
      aliases: ['GHSA-aaaa-bbbb-cccc'],
      detected_at_source: 'first_seen',
      signals: { epss: { score: 0.25 } },
      state: 'present',
      absent_since: null,
    })
    // no vendor time: the time vulnsync first saw it
    expect(new Date(one.detected_at).getTime()).toBe(new Date(one.first_seen_at).getTime())
    expect(two).toMatchObject({
      source_key: odd,
      target: { kind: 'image', name: 'Registry/App:1.0' },
      target_kind: 'image',
      scope: 'main',
      detected_at_source: 'vendor',
    })
    expect(new Date(two.detected_at).toISOString()).toBe(rec(2).detectedAt)
    expect(one.issue_id).not.toBeNull()
    expect(two.issue_id).not.toBeNull()

    // changed: through the upsert; the first-seen time stays, a vendor time given later wins
    const later = '2023-06-01T00:00:00.000Z'
    const second = [
      { ...first[0]!, severity: 'critical', detectedAt: later },
      { ...first[1]!, severity: 'low' },
    ]
    expect((await run(second)).counts).toMatchObject({ created: 0, updated: 2 })
    const [one2, two2] = await read()
    expect(one2).toMatchObject({ source_key: 'f-1', severity: 'critical', detected_at_source: 'vendor' })
    expect(new Date(one2.detected_at).toISOString()).toBe(later)
    expect(two2).toMatchObject({ source_key: odd, severity: 'low', target: two.target, issue_id: two.issue_id })
    expect(new Date(two2.first_seen_at).getTime()).toBe(new Date(two.first_seen_at).getTime())
  })

  it('takes a deselected location out of the queue as excluded, not fixed, and brings it back when selected again', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = [rec(1, { scope: 'p1' }), rec(2, { scope: 'p2' })]
    const connector = createTestConnector(() =>
      arrayDataset(rows.filter((r) => !conn.locations || conn.locations.includes(r.scope!))),
    )
    await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    conn.locations = ['p1']
    const out = await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    expect(out.counts).toMatchObject({ resolved: 0, excluded: 1 })
    const byCve = async () =>
      Object.fromEntries((await issues(db, ws)).map((i: any) => [i.cve, [i.status, i.fixed_at]]))
    expect(await byCve()).toEqual({ 'CVE-2024-10001': ['open', null], 'CVE-2024-10002': ['excluded', null] })
    conn.locations = null
    const back = await executeRun(opts, connector, conn, await newRun(db, conn), neverAborted)
    expect(back.counts).toMatchObject({ reopened: 1 })
    expect(await byCve()).toEqual({ 'CVE-2024-10001': ['open', null], 'CVE-2024-10002': ['open', null] })
  })

  it('explains the priority with severity factors', async () => {
    const { ws } = await setup()
    const conn = await seedConnection(db, ws)
    const rows = [
      rec(1, { severity: 'critical', reachable: 'unreachable', epss: 0.001 }),
      rec(2, { severity: 'medium', kev: true }),
    ]
    await syncRows(conn, rows)
    const all = await issues(db, ws)
    const a = all.find((i: any) => i.cve === 'CVE-2024-10001')
    expect(a.priority).toBe('high')
    expect(a.explanation).toBe('Critical → High because the vulnerable function is unreachable (test)')
    const b = all.find((i: any) => i.cve === 'CVE-2024-10002')
    expect(b.priority).toBe('critical')
    expect(b.factors.map((f: any) => f.code)).toContain('kev')
  })
})

describe.each(DRIVERS)('concurrent syncs of one workspace on %s', (driver) => {
  let db: Db
  beforeAll(async () => {
    db = await createTestDb(driver)
  })
  afterAll(() => db?.close())

  const RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 }
  /** every issue against its occurrences: the sources that report it now, and the highest severity among them */
  const wholeness = async (ws: string) => {
    const { rows } = await db.query<{ id: number; severity: string; sources: number; reporting: number; top: number }>(
      `SELECT i.id, i.severity,
              (SELECT count(*)::int FROM issue_sources s WHERE s.issue_id = i.id AND s.present) AS sources,
              (SELECT count(DISTINCT o.connection_id)::int FROM occurrences o
                WHERE o.issue_id = i.id AND o.state = 'present') AS reporting,
              (SELECT max(CASE o.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)
                 FROM occurrences o WHERE o.issue_id = i.id AND o.state = 'present') AS top
         FROM issues i WHERE i.workspace_id = $1`,
      [ws],
    )
    return { count: rows.length, broken: rows.filter((r) => r.sources !== r.reporting || RANK[r.severity] !== r.top) }
  }

  /** a workspace with one repository and `n` scanner connections; `sync` runs one of them over rows, in batches of 30 */
  const scanners = async (n: number) => {
    const ws = await seedWorkspace(db)
    await seedRepositories(db, ws, [{ fullName: 'acme/api', externalId: `${ws}-0` }])
    const opts = { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 30 }
    const conns: ConnectionForRun[] = []
    for (let k = 0; k < n; k++) conns.push(await seedConnection(db, ws, { name: `scanner-${k}` }))
    const sync = async (conn: ConnectionForRun, rows: TestRaw[]) =>
      executeRun(
        opts,
        createTestConnector(() => arrayDataset(rows), { pageSize: 15 }),
        conn,
        await newRun(db, conn),
        neverAborted,
      )
    return { ws, conns, sync }
  }

  // 3 connections reporting the same 600 vulnerabilities, in batches of 30: their batches overlap in time and touch
  // the same issues; before issues were locked for a recompute, a third of them ended with a source or the highest
  // severity missing (the last writer's aggregate replaced one computed before another connection's batch committed)
  it('keeps every merged issue whole: all its sources and the highest severity', async () => {
    const { ws, conns, sync } = await scanners(4)
    const SEVERITIES = ['low', 'medium', 'high', 'critical']
    const N = 600
    expect(
      (
        await sync(
          conns[0]!,
          Array.from({ length: N }, (_, i) => rec(i, { severity: 'low' })),
        )
      ).status,
    ).toBe('succeeded')
    // three at once, on issues that exist
    const touched = await Promise.all(
      conns.slice(1).map((c, k) =>
        sync(
          c,
          Array.from({ length: N }, (_, i) => rec(i, { severity: SEVERITIES[k + 1]! })),
        ),
      ),
    )
    expect(touched.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(await wholeness(ws)).toEqual({ count: N, broken: [] })
    // four at once, each dropping a different fifth and raising others: issues change sources and severity again
    const again = await Promise.all(
      conns.map((c, k) =>
        sync(
          c,
          Array.from({ length: N }, (_, i) => rec(i, { severity: SEVERITIES[(i + k) % 4]! })).filter(
            (_, i) => (i + k) % 5 !== 0,
          ),
        ),
      ),
    )
    expect(again.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded'])
    expect(again.map((o) => o.counts.resolved)).toEqual([120, 120, 120, 120])
    expect(await wholeness(ws)).toEqual({ count: N, broken: [] })
  }, 120_000)

  // several connections creating the same issues at once: one creates each, the others add to it
  it('creates each issue once when several first syncs report it at the same time', async () => {
    const { ws, conns, sync } = await scanners(3)
    const N = 448
    // each in its own order (1, 3 and 5 are prime to 448), so their batches meet the same issues at different times
    const outs = await Promise.all(
      conns.map((c, k) =>
        sync(
          c,
          Array.from({ length: N }, (_, i) => rec((i * (2 * k + 1)) % N, { severity: ['low', 'high', 'medium'][k]! })),
        ),
      ),
    )
    expect(outs.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(outs.reduce((n, o) => n + (o.counts.issuesCreated ?? 0), 0)).toBe(N)
    expect(await wholeness(ws)).toEqual({ count: N, broken: [] })
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM issue_sources s JOIN issues i ON i.id = s.issue_id WHERE i.workspace_id = $1`,
      [ws],
    )
    expect(rows[0]!.n).toBe(3 * N)
  }, 120_000)
})
