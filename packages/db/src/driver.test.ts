import { afterAll, describe, expect, it } from 'vitest'
import { copyText, type Db, transactionRetried } from './driver.ts'
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
    expect(await db.copyFrom('COPY copy_t (a, b, c, d) FROM STDIN', copyText(rows))).toBe(2)
    await db.transaction(async (tx) => {
      expect(await tx.copyFrom('COPY copy_t (a, b, c, d) FROM STDIN', copyText([['in tx', [], 2, null]]))).toBe(1)
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
