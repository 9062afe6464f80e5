import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresDb } from '../driver.ts'
import { installedNativeDir, startEmbeddedPostgres } from './embedded-postgres.ts'

const asRoot = process.getuid?.() === 0
// the server's system user must enter the scratch folder to reach the bases below it
const scratch = mkdtempSync(join(tmpdir(), 'vulnsync-pg-test-'))
chmodSync(scratch, 0o755)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('embedded PostgreSQL', () => {
  it.skipIf(!asRoot)(
    'as root, starts from binaries in a folder only root can enter (a checkout in /root or mktemp -d)',
    async () => {
      // the checkout: mode 0700, as `mktemp -d` makes it; the server's system user cannot enter it
      const checkout = mkdtempSync(join(scratch, 'checkout-'))
      expect(statSync(checkout).mode & 0o777).toBe(0o700)
      const native = join(checkout, 'native')
      cpSync(await installedNativeDir(), native, { recursive: true, verbatimSymlinks: true })
      const base = mkdtempSync(join(scratch, 'base-'))
      chmodSync(base, 0o755)

      const pg = await startEmbeddedPostgres({
        user: 'probe',
        password: 'probe-pw',
        database: 'probe_db',
        nativeDir: native,
        tmpBase: base,
      })
      try {
        expect(pg.url).toBe(`postgres://probe:probe-pw@127.0.0.1:${pg.port}/probe_db`)
        const db = await createPostgresDb(pg.url, { max: 1 })
        const { rows } = await db.query<{ who: string; db: string; enc: string }>(
          `SELECT current_user AS who, current_database() AS db, current_setting('server_encoding') AS enc`,
        )
        await db.close()
        expect(rows[0]).toEqual({ who: 'probe', db: 'probe_db', enc: 'UTF8' })
        // its folder (data and the copied binaries) lives in the base it was given
        expect(readdirSync(base)).toHaveLength(1)
      } finally {
        await pg.stop()
      }
      expect(readdirSync(base)).toEqual([])
    },
  )

  it.skipIf(!asRoot)(
    'says what to do, in one sentence, when its system user cannot enter any temporary folder',
    async () => {
      const closed = mkdtempSync(join(scratch, 'closed-'))
      await expect(startEmbeddedPostgres({ user: 'x', password: 'x', tmpBase: closed })).rejects.toThrow(
        /^PostgreSQL runs as the system user postgres, which cannot enter .*closed-.*; set TMPDIR to a folder it can enter or set TEST_DATABASE_URL/,
      )
    },
  )

  it('stops: the server no longer answers and its folder is gone', async () => {
    const base = mkdtempSync(join(scratch, 'stop-'))
    chmodSync(base, 0o755)
    const pg = await startEmbeddedPostgres({ user: 'u', password: 'p', tmpBase: base })
    const db = await createPostgresDb(pg.url, { max: 1 })
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    await db.close()
    await pg.stop()
    await expect(createPostgresDb(pg.url, { max: 1 })).rejects.toThrow(/ECONNREFUSED/)
    expect(existsSync(base) && readdirSync(base)).toEqual([])
  })
})
