import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createPgliteDb, createPostgresDb, type Db, getFeed } from '@vulnsync/db'
import { createTestDatabaseUrl, DRIVERS } from '@vulnsync/db/testing'
import { epssFile, kevFile } from '@vulnsync/simulators/feeds/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** `vulnsync feeds import kev|epss <file>`: an air-gapped copy loaded straight into the database, on both drivers. */
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vulnsync.mjs')
const run = promisify(execFile)

describe.each(DRIVERS)('vulnsync feeds import on %s', (driver) => {
  let dir = ''
  let databaseUrl = ''
  const cli = async (...args: string[]) => {
    try {
      const r = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, VULNSYNC_DATA_DIR: dir, DATABASE_URL: databaseUrl },
      })
      return { code: 0, out: r.stdout, err: r.stderr }
    } catch (e: any) {
      return { code: e.code as number, out: String(e.stdout), err: String(e.stderr) }
    }
  }
  /** the database as the CLI left it (opened after the CLI closed it) */
  const inDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = databaseUrl ? await createPostgresDb(databaseUrl, { max: 1 }) : await createPgliteDb(join(dir, 'pgdata'))
    try {
      return await fn(db)
    } finally {
      await db.close()
    }
  }
  const file = (name: string, body: string | Buffer) => {
    const path = join(dir, name)
    writeFileSync(path, body)
    return path
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vulnsync-import-'))
    if (driver === 'postgres') databaseUrl = await createTestDatabaseUrl()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('loads a KEV catalog and a gzipped EPSS file, and says what it loaded', async () => {
    const kev = await cli('feeds', 'import', 'kev', file('kev.json', kevFile()))
    expect(kev.err).toBe('')
    expect(kev.code).toBe(0)
    expect(kev.out).toMatch(
      /^CISA Known Exploited Vulnerabilities: loaded 1,4\d\d entries from file .*kev\.json; 1,4\d\d CVEs changed/,
    )
    const epss = await cli('feeds', 'import', 'epss', file('epss.csv.gz', epssFile({ rows: 5000 }).gzip))
    expect(epss.code).toBe(0)
    expect(epss.out).toMatch(/loaded 5,000 entries from file .*epss\.csv\.gz/)
    const [k, e] = await inDb(async (db) => [await getFeed(db, 'kev'), await getFeed(db, 'epss')])
    expect(k.entries).toBeGreaterThan(1400)
    expect(e).toMatchObject({ entries: 5000, feed_date: '2026-12-01', last_error: null })
    expect(e.loaded_from).toMatch(/^file .*epss\.csv\.gz$/)
  }, 120_000)

  it('refuses an implausible file and keeps the data in use, unless forced', async () => {
    const tiny = file('tiny.csv', epssFile({ rows: 100, day: 1 }).csv)
    const refused = await cli('feeds', 'import', 'epss', tiny)
    expect(refused.code).toBe(1)
    expect(refused.out).toMatch(/refused .*: the FIRST EPSS file has 100 entries, fewer than half of the 5,000 in use/)
    expect(refused.out).toMatch(/kept the 5,000 entries in use \(implausible\)/)
    expect((await inDb((db) => getFeed(db, 'epss'))).entries).toBe(5000)
    const forced = await cli('feeds', 'import', 'epss', tiny, '--force')
    expect(forced.code).toBe(0)
    expect((await inDb((db) => getFeed(db, 'epss'))).entries).toBe(100)
  }, 120_000)

  it('names a missing file, an unknown feed, and a file that is not the feed', async () => {
    expect(await cli('feeds', 'import', 'nvd', file('x.json', '{}'))).toMatchObject({
      code: 2,
      err: expect.stringMatching(/the feed is kev or epss, not nvd/),
    })
    expect(await cli('feeds', 'import', 'kev', join(dir, 'nope.json'))).toMatchObject({
      code: 1,
      err: expect.stringMatching(/no such file: .*nope\.json/),
    })
    const notKev = await cli('feeds', 'import', 'kev', file('epss-as-kev.csv', epssFile({ rows: 10 }).csv))
    expect(notKev.code).toBe(1)
    expect(notKev.out).toMatch(
      /^CISA Known Exploited Vulnerabilities: refused file .*epss-as-kev\.csv: .*kept the 1,4\d\d entries in use/,
    )
  }, 120_000)
})
