import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createPgliteDb, migrate } from '@vulnsync/db'
import { afterAll, describe, expect, it } from 'vitest'
import { bootstrapAdmin } from './bootstrap.ts'
import { loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { createSecretBox, loadOrCreateKey } from './secrets.ts'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vulnsync-boot-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const capture = () => {
  const lines: string[] = []
  const logger = createLogger({
    destination: new Writable({
      write: (c, _e, cb) => {
        lines.push(String(c))
        cb()
      },
    }),
  })
  return { lines, logger }
}

describe('first start', () => {
  it('generates the first admin token into a 0600 file and logs its path, never the token', async () => {
    const dataDir = tmp()
    const db = await createPgliteDb()
    await migrate(db)
    const { lines, logger } = capture()
    const r = await bootstrapAdmin(db, loadConfig({ VULNSYNC_DATA_DIR: dataDir }), logger)
    const file = join(dataDir, 'initial-admin-token')
    expect(r.tokenFile).toBe(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const token = readFileSync(file, 'utf8').trim()
    expect(token).toMatch(/^vs_/)
    expect(lines.join('')).toContain(file)
    expect(lines.join('')).not.toContain(token)
    // a second start creates no second token
    await bootstrapAdmin(db, loadConfig({ VULNSYNC_DATA_DIR: dataDir }), logger)
    const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_tokens`)
    expect(n.rows[0]!.n).toBe(1)
    await db.close()
  })

  it('uses VULNSYNC_BOOTSTRAP_TOKEN when set and writes no file', async () => {
    const dataDir = tmp()
    const db = await createPgliteDb()
    await migrate(db)
    const { logger } = capture()
    const r = await bootstrapAdmin(
      db,
      loadConfig({ VULNSYNC_DATA_DIR: dataDir, VULNSYNC_BOOTSTRAP_TOKEN: 'a-bootstrap-token-of-24-chars-min' }),
      logger,
    )
    expect(r.tokenFile).toBeUndefined()
    const t = await db.query<{ role: string; username: string }>(
      `SELECT t.role, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id`,
    )
    expect(t.rows).toEqual([{ role: 'admin', username: 'admin' }])
    await db.close()
  })

  it('rejects configuration it cannot use, saying which variable is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a postgres/)
    expect(() => loadConfig({ VULNSYNC_BOOTSTRAP_TOKEN: 'short' })).toThrow(/at least 24/)
  })
})

describe('secrets at rest', () => {
  it('seals with AES-256-GCM under a generated 0600 key file and refuses a wrong key', () => {
    const dataDir = tmp()
    const { key, source } = loadOrCreateKey({ dataDir })
    expect(statSync(source).mode & 0o777).toBe(0o600)
    const box = createSecretBox(key)
    const sealed = box.seal({ apiToken: 'tok-123' })
    expect(sealed).not.toContain('tok-123')
    expect(box.open(sealed)).toEqual({ apiToken: 'tok-123' })
    expect(box.seal({ a: 1 })).not.toBe(box.seal({ a: 1 }))
    const other = createSecretBox(loadOrCreateKey({ dataDir: tmp() }).key)
    expect(() => other.open(sealed)).toThrow(/secret key changed/)
    expect(() => loadOrCreateKey({ dataDir, secretKey: 'too-short' })).toThrow(/32 bytes/)
  })
})
