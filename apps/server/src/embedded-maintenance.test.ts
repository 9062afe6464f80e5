import { Readable } from 'node:stream'
import { type Db, getFeed } from '@vulnsync/db'
import { createTestDb, DRIVERS } from '@vulnsync/db/testing'
import { epssFile } from '@vulnsync/simulators/feeds/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS, vacuumDaily } from './embedded-maintenance.ts'
import { loadFeed } from './feeds/refresh.ts'
import { silentLogger } from './sync/test-support.ts'

/** PGlite has no autovacuum: what the server does in its place keeps the embedded database from growing for good. */
describe.each(DRIVERS)('keeping the database from growing on %s', (driver) => {
  let db: Db
  beforeAll(async () => {
    db = await createTestDb(driver)
  })
  afterAll(() => db?.close())

  it('vacuums the whole embedded database once a day, claimed so a restart neither repeats nor delays it', async () => {
    await db.exec(`CREATE TABLE churn (x int, pad text)`)
    await db.query(`INSERT INTO churn SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g`)
    await db.query(`DELETE FROM churn`)
    // the table's own pages (its free space and visibility maps stay)
    const pages = async () =>
      Number((await db.query<{ n: string }>(`SELECT pg_relation_size('churn') AS n`)).rows[0]!.n)
    expect(await pages()).toBeGreaterThan(500_000)
    const t0 = new Date('2026-12-05T10:00:00Z')
    const at = (ms: number) => ({ db, logger: silentLogger, now: () => new Date(t0.getTime() + ms) })
    if (driver === 'postgres') {
      // autovacuum's work there: nothing is claimed or run
      expect(await vacuumDaily(at(0))).toBe(false)
      const { rows } = await db.query(`SELECT last_at FROM maintenance_tasks WHERE task = 'vacuum_database'`)
      expect(rows).toEqual([{ last_at: null }])
      return
    }
    expect(await vacuumDaily(at(0))).toBe(true)
    // the deleted rows' pages given back (VACUUM truncates the empty end of a table)
    expect(await pages()).toBe(0)
    await db.query(`INSERT INTO churn SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g`)
    await db.query(`DELETE FROM churn`)
    const again = await pages()
    expect(again).toBeGreaterThan(500_000)
    expect(await vacuumDaily(at(DAY_MS - 60_000))).toBe(false)
    expect(await pages()).toBe(again)
    expect(await vacuumDaily(at(DAY_MS))).toBe(true)
    expect(await pages()).toBe(0)
    expect(await vacuumDaily(at(DAY_MS + 60_000))).toBe(false)
  })
})

describe('a feed refresh on PGlite', () => {
  let db: Db
  beforeAll(async () => {
    db = await createTestDb('pglite')
  })
  afterAll(() => db?.close())

  const bytes = async (tables: string[]) =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT sum(pg_total_relation_size(t::regclass)) AS n FROM unnest($1::text[]) t`,
          [tables],
        )
      ).rows[0]!.n,
    )

  it("each day's EPSS file reuses the room of the day before's: the feed's tables stop growing", async () => {
    const deps = {
      db,
      logger: silentLogger,
      now: () => new Date(),
      config: { feedUrls: { kev: '', epss: '' }, allowPrivateNetworks: true },
    }
    const sizes: number[] = []
    // every score moves a little each day, as the daily recomputation does: every row is replaced
    for (let day = 0; day < 5; day++) {
      const { gzip } = epssFile({ rows: 20_000, day })
      const r = await loadFeed(deps, 'epss', { label: `day ${day}`, open: async () => Readable.from([gzip]) })
      expect(r.error).toBeNull()
      expect(r.changedCves).toBeGreaterThan(19_000)
      sizes.push(await bytes(['epss_scores', 'epss_staging', 'feed_changes']))
    }
    expect((await getFeed(db, 'epss')).entries).toBe(20_000)
    // without the VACUUM after each load the three tables grew by about a day's file each day, for good
    expect(sizes.slice(2)).toEqual([sizes[1], sizes[1], sizes[1]])
  })
})
