import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { copyChunks, createPgliteDb, type Db, transactionRetried } from './driver.ts'
import { createTestDb, DRIVERS } from './testing.ts'

describe.each(DRIVERS)('COPY on %s', (driver) => {
  let db: Db
  afterAll(() => db?.close())

  it('copies rows in the text format, escapes and nulls included, on the pool and in a transaction', async () => {
    db = await createTestDb(driver)
    await db.exec('CREATE TEMP TABLE copy_t (a text, b jsonb, c bigint, d timestamptz)')
    const rows = [
      ['tab\there, new\nline, back\\slash', { x: ['a\tb'], y: null }, 1, new Date('2026-01-02T03:04:05Z')],
      [null, null, null, null],
    ]
    expect(await db.copyFrom('COPY copy_t (a, b, c, d) FROM STDIN', rows)).toBe(2)
    await db.transaction(async (tx) => {
      expect(await tx.copyFrom('COPY copy_t (a, b, c, d) FROM STDIN', [['in tx', [], 2, null]])).toBe(1)
    })
    const { rows: back } = await db.query<{ a: string | null; b: unknown; c: number | null; d: Date | null }>(
      'SELECT a, b, c, d FROM copy_t ORDER BY c NULLS LAST',
    )
    expect(back).toEqual([
      {
        a: 'tab\there, new\nline, back\\slash',
        b: { x: ['a\tb'], y: null },
        c: 1,
        d: new Date('2026-01-02T03:04:05Z'),
      },
      { a: 'in tx', b: [], c: 2, d: null },
      { a: null, b: null, c: null, d: null },
    ])
  })

  it('copies megabytes of rows sent in many chunks, characters of any width intact across their edges', async () => {
    await db.exec('CREATE TEMP TABLE copy_big (n int, t text, j json)')
    // 3,000 rows of about 1 KB, some of whose characters take two, three or four bytes
    const text = (n: number) => `${'é€😀\t'.repeat(n % 5)}${'x'.repeat(900 + (n % 97))}\n${n}`
    const rows = Array.from({ length: 3_000 }, (_, n) => [n, text(n), { n, t: text(n) }])
    expect([...copyChunks(rows)].length).toBeGreaterThan(50)
    expect(await db.copyFrom('COPY copy_big (n, t, j) FROM STDIN', rows)).toBe(3_000)
    const { rows: back } = await db.query<{ n: number; t: string; j: { n: number; t: string } }>(
      'SELECT n, t, j FROM copy_big ORDER BY n',
    )
    expect(back).toEqual(rows.map(([n, t, j]) => ({ n, t, j })))
  })

  it('copies rows a generator makes as the COPY reads them, each made once', async () => {
    await db.exec('CREATE TEMP TABLE copy_gen (n int, t text)')
    let made = 0
    function* rows() {
      for (let n = 0; n < 2_000; n++) {
        made++
        yield [n, `row ${n} ${'y'.repeat(100)}`]
      }
    }
    const gen = rows()
    expect(made).toBe(0)
    expect(await db.copyFrom('COPY copy_gen (n, t) FROM STDIN', gen)).toBe(2_000)
    expect(made).toBe(2_000)
    const { rows: back } = await db.query<{ c: number; s: number }>(
      'SELECT count(*)::int AS c, sum(n)::int AS s FROM copy_gen',
    )
    expect(back).toEqual([{ c: 2_000, s: (1_999 * 2_000) / 2 }])
  })

  it('fails a COPY whose rows cannot be written, and the connection stays usable, in a transaction and out', async () => {
    await db.exec('CREATE TEMP TABLE copy_bad (n int, j json)')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    // the bad row comes after enough good ones that some were sent already
    const rows = [...Array.from({ length: 500 }, (_, n) => [n, { pad: 'x'.repeat(200) }]), [500, cyclic]]
    await expect(db.copyFrom('COPY copy_bad (n, j) FROM STDIN', rows)).rejects.toThrow(/circular/i)
    await expect(db.transaction((tx) => tx.copyFrom('COPY copy_bad (n, j) FROM STDIN', rows))).rejects.toThrow(
      /circular/i,
    )
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM copy_bad')).rows).toEqual([{ n: 0 }])
    expect(await db.copyFrom('COPY copy_bad (n, j) FROM STDIN', rows.slice(0, 500))).toBe(500)
  })
})

describe.each(DRIVERS)('transactionRetried on %s', (driver) => {
  let db: Db
  afterAll(() => db?.close())

  it('does not run a transaction again after an error that is not a deadlock', async () => {
    db = await createTestDb(driver)
    await db.exec('CREATE TABLE retried_t (id int PRIMARY KEY)')
    let attempts = 0
    const failed = await transactionRetried(db, async (tx) => {
      attempts++
      await tx.query('INSERT INTO retried_t VALUES (1)')
      await tx.query('INSERT INTO retried_t VALUES (1)')
    }).catch((err) => err)
    expect((failed as { code?: string }).code).toBe('23505')
    expect(attempts).toBe(1)
    expect((await db.query('SELECT * FROM retried_t')).rows).toEqual([])
  })

  it.runIf(driver === 'postgres')(
    'runs a transaction again when PostgreSQL broke a deadlock by aborting it, and returns what the next attempt did',
    async () => {
      await db.exec('CREATE TABLE deadlock_t (id int PRIMARY KEY, v int); INSERT INTO deadlock_t VALUES (1, 0), (2, 0)')
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
      let attempts = 0
      let otherHolds2: () => void = () => {}
      const held = new Promise<void>((r) => {
        otherHolds2 = r
      })
      // the other transaction takes row 2, then (after this one waits for row 2) row 1: a cycle; this one waited
      // first, so PostgreSQL's deadlock check (after deadlock_timeout, 1 s) finds the cycle in this one and aborts it
      const other = db.transaction(async (tx) => {
        await tx.query('UPDATE deadlock_t SET v = v + 10 WHERE id = 2')
        otherHolds2()
        await pause(300)
        await tx.query('UPDATE deadlock_t SET v = v + 10 WHERE id = 1')
      })
      const result = await transactionRetried(db, async (tx) => {
        attempts++
        await tx.query('UPDATE deadlock_t SET v = v + 1 WHERE id = 1')
        if (attempts === 1) await held
        await tx.query('UPDATE deadlock_t SET v = v + 1 WHERE id = 2')
        return attempts
      })
      await other
      expect(result).toBe(2)
      // the aborted attempt left nothing: each transaction's change is there once
      const { rows } = await db.query('SELECT id, v FROM deadlock_t ORDER BY id')
      expect(rows).toEqual([
        { id: 1, v: 11 },
        { id: 2, v: 11 },
      ])
    },
    20_000,
  )
})

describe('PGlite on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'vulnsync-pglite-dir-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('creates a new data directory in a child process: the process that opens it peaks far below initdb, and the data stay on disk', async () => {
    const dataDir = join(root, 'pgdata')
    // a process of its own, so that its peak RSS is its own: it opens a new directory and writes a row
    const script = `
      import { createPgliteDb } from ${JSON.stringify(fileURLToPath(new URL('./driver.ts', import.meta.url)))}
      const db = await createPgliteDb(process.argv[1])
      await db.exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('on disk')")
      await db.close()
      console.log(process.resourceUsage().maxRSS / 1024)`
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, dataDir],
      { cwd: fileURLToPath(new URL('.', import.meta.url)) },
    )
    // initdb in the opening process peaked at about 810 MB here; opening a directory initdb made elsewhere, about 430
    expect(Number(stdout.trim())).toBeLessThan(600)
    const db = await createPgliteDb(dataDir)
    try {
      expect((await db.query('SELECT v FROM kept')).rows).toEqual([{ v: 'on disk' }])
    } finally {
      await db.close()
    }
  }, 60_000)

  it('says which directory it could not create a database in, and what to do', async () => {
    const dataDir = join(root, 'blocked')
    mkdirSync(dataDir)
    // initdb makes a directory "base": a file of that name is in its way
    writeFileSync(join(dataDir, 'base'), '')
    await expect(createPgliteDb(dataDir)).rejects.toThrow(
      `could not create the embedded database in ${dataDir} (file system error 54): use an empty directory this user can write to`,
    )
  }, 60_000)
})
