import { afterAll, describe, expect, it } from 'vitest'
import { copyText, type Db } from './driver.ts'
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
