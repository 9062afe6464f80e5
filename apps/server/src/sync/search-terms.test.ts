import { type Db, listIssues, matchSearchTerms, type QueueFilter, queueWhere, summarizeIssues } from '@vulnsync/db'
import { createTestDb, DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EngineOptions, executeRun } from './engine.ts'
import { arrayDataset, createTestConnector, type TestRaw } from './test-connector.ts'
import { neverAborted, newRun, seedConnection, seedRepositories, seedWorkspace, silentLogger } from './test-support.ts'

const rec = (i: number, over: Partial<TestRaw> = {}): TestRaw => ({
  id: `f-${i}`,
  ids: [`CVE-2024-${String(20000 + i)}`],
  purl: `pkg:npm/widget-${i % 40}@1.0.${i % 3}`,
  repo: 'https://github.com/acme/api',
  severity: ['critical', 'high', 'medium', 'low'][i % 4]!,
  ...over,
})

/**
 * Free text and the package-name fragment through the table of search terms (migration 0015) as the engine fills it:
 * a new issue's terms are there after the batch that created it, an alias a later run adds to an issue is too, and
 * the issues found are exactly those whose CVE, package name, target name or an alias contains the text.
 */
describe.each(DRIVERS)('free text over the search terms on %s', (driver) => {
  let db: Db
  let opts: EngineOptions
  beforeAll(async () => {
    db = await createTestDb(driver)
    // batches of 25: a run is several transactions
    opts = { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 25 }
  })
  afterAll(() => db?.close())

  const setup = async () => {
    const ws = await seedWorkspace(db)
    await seedRepositories(db, ws, [
      { fullName: 'acme/api', externalId: `${ws}-0` },
      { fullName: 'acme/Billing-Service', externalId: `${ws}-1` },
    ])
    return { ws, conn: await seedConnection(db, ws) }
  }
  const sync = async (conn: Awaited<ReturnType<typeof setup>>['conn'], rows: TestRaw[]) => {
    const out = await executeRun(
      opts,
      createTestConnector(() => arrayDataset(rows), { pageSize: 20 }),
      conn,
      await newRun(db, conn),
      neverAborted,
    )
    expect(out.status).toBe('succeeded')
  }
  const found = async (ws: string, f: QueueFilter) =>
    (await listIssues(db, ws, f, { sort: 'cve', limit: 500 })).rows.map((r) => r.cve)
  /** what a scan of the issues finds (ILIKE on each field, each alias), the reference */
  const scanned = async (ws: string, like: string) =>
    (
      await db.query<{ cve: string }>(
        `SELECT i.cve FROM issues i WHERE i.workspace_id = $1 AND (i.cve ILIKE $2 OR i.package_name ILIKE $2
            OR i.target_name ILIKE $2 OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(i.aliases) a WHERE a ILIKE $2))
          ORDER BY i.cve, i.id`,
        [ws, like],
      )
    ).rows.map((r) => r.cve)

  it('finds a new issue by its package after the batch that created it, and not before', async () => {
    const { ws, conn } = await setup()
    await sync(
      conn,
      Array.from({ length: 60 }, (_, i) => rec(i)),
    )
    expect(await found(ws, { q: 'gadget' })).toEqual([])
    expect(await found(ws, { package: 'gadget' })).toEqual([])
    await sync(conn, [
      ...Array.from({ length: 60 }, (_, i) => rec(i)),
      rec(100, { purl: 'pkg:pypi/Shiny-Gadget@2.0.0' }),
    ])
    expect(await found(ws, { q: 'GADGET' })).toEqual(['CVE-2024-20100'])
    expect(await found(ws, { package: 'shiny-g' })).toEqual(['CVE-2024-20100'])
  })

  it('finds an issue by a term only its alias holds, also an alias a later run adds', async () => {
    const { ws, conn } = await setup()
    const rows = Array.from({ length: 30 }, (_, i) => rec(i))
    rows[7] = rec(7, { ids: ['CVE-2024-20007', 'GHSA-only-in-alias'] })
    await sync(conn, rows)
    expect(await found(ws, { q: 'only-IN-alias' })).toEqual(['CVE-2024-20007'])
    expect(await found(ws, { q: 'ghsa-later' })).toEqual([])
    // the vendor now gives finding 9 an alias: the issue is recomputed with it
    rows[9] = rec(9, { ids: ['CVE-2024-20009', 'GHSA-later-added'] })
    await sync(conn, rows)
    expect(await found(ws, { q: 'ghsa-later' })).toEqual(['CVE-2024-20009'])
    expect(await found(ws, { q: 'ghsa-' })).toEqual(await scanned(ws, '%ghsa-%'))
  })

  it('finds every issue of every package a fragment matches, with an exact total and summary', async () => {
    const { ws, conn } = await setup()
    await sync(conn, [
      ...Array.from({ length: 200 }, (_, i) => rec(i)),
      ...Array.from({ length: 20 }, (_, i) => rec(300 + i, { repo: 'https://github.com/acme/Billing-Service' })),
    ])
    // widget-1, widget-10 … widget-19: eleven packages
    const many = await found(ws, { package: 'widget-1' })
    expect(new Set(many).size).toBe(many.length)
    expect(many).toEqual(
      (
        await db.query<{ cve: string }>(
          `SELECT cve FROM issues WHERE workspace_id = $1 AND package_name LIKE 'widget-1%' ORDER BY cve, id`,
          [ws],
        )
      ).rows.map((r) => r.cve),
    )
    expect(many.length).toBeGreaterThan(50)
    const page = await listIssues(db, ws, { q: 'widget-1' }, { sort: 'priority', limit: 10 })
    expect(page).toMatchObject({ total: many.length, totalIsEstimate: false })
    const summary = await summarizeIssues(db, ws, { q: 'widget-1' })
    expect(summary).toMatchObject({ total: many.length, estimate: false })
    // case-blind in a target name; a text across two fields (a newline) matches neither; `%` and `_` are characters
    expect(await found(ws, { q: 'billing-SERVICE' })).toEqual(await scanned(ws, '%billing-service%'))
    expect(await found(ws, { q: 'billing-service' })).toHaveLength(20)
    expect(await found(ws, { q: 'widget-1\nacme' })).toEqual([])
    expect(await found(ws, { q: 'widget%1' })).toEqual([])
    expect(await found(ws, { q: 'widget_1' })).toEqual([])
    expect(await found(ws, { q: '  ' })).toHaveLength(220)
  })

  it('finds the same issues when the query looks the terms up itself, as for a text matching too many to list', async () => {
    const { ws, conn } = await setup()
    const rows = Array.from({ length: 80 }, (_, i) => rec(i))
    rows[3] = rec(3, { ids: ['CVE-2024-20003', 'GHSA-abcd-0003'], repo: 'https://github.com/acme/Billing-Service' })
    await sync(conn, rows)
    // more than `max` matching terms: not listed
    expect(await matchSearchTerms(db, ws, '%cve-2024%', { max: 5 })).toBeNull()
    expect((await matchSearchTerms(db, ws, '%abcd%', { max: 5 }))?.terms.alias).toEqual(['GHSA-abcd-0003'])
    /** the issues queueWhere selects for a filter without its terms looked up (they are looked up in SQL) */
    const inSql = async (f: QueueFilter) => {
      const { where, params } = queueWhere(ws, f)
      return (
        await db.query<{ cve: string }>(`SELECT i.cve FROM issues i WHERE ${where} ORDER BY i.cve, i.id`, params)
      ).rows.map((r) => r.cve)
    }
    for (const text of ['cve-2024-2000', 'WIDGET-3', 'billing', 'ABCD', 'acme/', 'e', 'widget-1\nacme'])
      expect(await inSql({ q: text })).toEqual(await scanned(ws, `%${text}%`))
    expect(await inSql({ package: 'widget-1' })).toEqual(await found(ws, { package: 'widget-1' }))
  })

  it("keeps a workspace's terms to itself", async () => {
    const a = await setup()
    const b = await setup()
    await sync(a.conn, [rec(1, { purl: 'pkg:npm/private-thing@1.0.0' })])
    await sync(b.conn, [rec(2)])
    expect(await found(a.ws, { q: 'private-thing' })).toEqual(['CVE-2024-20001'])
    expect(await found(b.ws, { q: 'private-thing' })).toEqual([])
    expect(await found(b.ws, { package: 'private' })).toEqual([])
  })
})
