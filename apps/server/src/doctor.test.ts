import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPgliteDb, type Db, loadMigrations, migrate, openDb } from '@vulnsync/db'
import { createTestDatabaseUrl } from '@vulnsync/db/testing'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AppConfig, loadConfig } from './config.ts'
import { type Finding, formatFindings, runDoctor } from './doctor.ts'
import { createLogger } from './logger.ts'
import { createSecretBox, parseKey } from './secrets.ts'
import { type Running, startProcess } from './server.ts'
import { ensureWebApp, REPO_ROOT, type WebApp } from './web-build.ts'

/** the schema version this code migrates to */
const SCHEMA = loadMigrations().at(-1)!.version

const scratch = mkdtempSync(join(tmpdir(), 'vulnsync-doctor-'))
const TOKEN = `vs_doctor_${randomBytes(16).toString('hex')}`
const CONNECTION = 'GitHub doctor'

/** A web app whose build is newer than its sources, as `npm install` leaves it. */
const builtWebApp = (): WebApp => {
  const dir = mkdtempSync(join(scratch, 'web-'))
  mkdirSync(join(dir, 'src'))
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules')) // vite is installed
  writeFileSync(join(dir, 'index.html'), '<div id="root"></div>')
  writeFileSync(join(dir, 'src', 'main.tsx'), 'export {}\n')
  for (const p of ['index.html', 'src/main.tsx', 'src']) utimesSync(join(dir, p), new Date(2020, 0), new Date(2020, 0))
  mkdirSync(join(dir, 'dist'))
  writeFileSync(join(dir, 'dist', 'index.html'), '<div id="root"></div><script src="/assets/app.js"></script>')
  return { dir, dist: join(dir, 'dist') }
}

const problems = (f: Finding[]) => f.filter((x): x is Extract<Finding, { ok: false }> => !x.ok)
const subjects = (f: Finding[]) => f.map((x) => x.subject)

describe('vulnsync doctor', () => {
  let gh: GithubSimulator
  let dataDir = ''
  let cfg: AppConfig
  let running: Running | undefined
  let serverUrl = ''
  let web: WebApp
  const doctor = (o: Partial<Parameters<typeof runDoctor>[0]> = {}) =>
    runDoctor({ cfg, serverUrl, token: TOKEN, web, ...o })
  /** changes the embedded database while no server holds it */
  const withDb = async (fn: (db: Db) => Promise<unknown>) => {
    const db = await openDb({ dataDir: join(dataDir, 'pgdata') })
    try {
      await fn(db)
    } finally {
      await db.close()
    }
  }

  beforeAll(async () => {
    gh = await startGithubSimulator({ repos: 4 })
    web = builtWebApp()
    dataDir = join(scratch, 'data')
    cfg = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      VULNSYNC_DATA_DIR: dataDir,
      VULNSYNC_BOOTSTRAP_TOKEN: TOKEN,
      VULNSYNC_ALLOW_PRIVATE_NETWORKS: 'true',
    })
    // a real first start, and a connection made and synced as a user makes it
    running = await startProcess(cfg, createLogger({ level: 'silent' }), 'serve')
    serverUrl = running.url!
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${serverUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
      return (await res.json()) as any
    }
    const created = await api('POST', '/api/v1/connections', {
      kind: 'github',
      name: CONNECTION,
      config: { baseUrl: gh.url, org: gh.org },
      secrets: { token: 'ghp_admin' },
    })
    for (let i = 0; i < 600; i++) {
      const r = await api('GET', `/api/v1/syncs/${created.run.id}`)
      if (r.status !== 'queued' && r.status !== 'running') {
        expect(r.status).toBe('succeeded')
        break
      }
      await new Promise((res) => setTimeout(res, 100))
    }
  }, 120_000)

  afterAll(async () => {
    await running?.stop()
    await gh?.close()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('a good setup passes: asked through the running server that holds the embedded database', async () => {
    const f = await doctor()
    expect(problems(f)).toEqual([])
    expect(subjects(f)).toEqual([
      'Node.js',
      'data directory',
      'secret key',
      'database',
      'web app',
      `github "${CONNECTION}" check`,
      `github "${CONNECTION}" sync`,
    ])
    expect(f.find((x) => x.subject === 'database')).toMatchObject({
      detail: expect.stringMatching(/held by the server at/),
    })
    expect(f.at(-1)).toMatchObject({ ok: true, detail: expect.stringMatching(/^last sync succeeded/) })
    expect(formatFindings(f)).toMatch(/\nall is well\n$/)
  })

  it('with the server running and no API token, says how to get one', async () => {
    const f = await doctor({ token: null })
    expect(problems(f)).toEqual([
      {
        ok: false,
        subject: 'connections',
        problem: 'no API token to ask the running server about them',
        fix: 'set VULNSYNC_TOKEN (npx vulnsync token create --role admin)',
      },
    ])
  })

  it('a good setup passes: read directly once the server has stopped', async () => {
    await running!.stop()
    running = undefined
    const f = await doctor()
    expect(problems(f)).toEqual([])
    expect(f.find((x) => x.subject === 'database')).toMatchObject({
      detail: `embedded database ${join(dataDir, 'pgdata')}, schema version ${SCHEMA} (up to date)`,
    })
    expect(f.find((x) => x.subject === `github "${CONNECTION}" check`)).toMatchObject({ ok: true })
  })

  it('reports a Node.js that is too old', async () => {
    expect(problems(await doctor({ nodeVersion: 'v20.10.0' }))).toEqual([
      {
        ok: false,
        subject: 'Node.js',
        problem: 'v20.10.0 is too old (vulnsync needs >=20.19.0)',
        fix: 'install Node.js 20.19.0 or newer',
      },
    ])
  })

  it('reports a data directory that cannot be written', async () => {
    const file = join(scratch, 'a-file')
    writeFileSync(file, '')
    const f = await doctor({ cfg: { ...cfg, dataDir: join(file, 'data') } })
    expect(problems(f)[0]).toEqual({
      ok: false,
      subject: 'data directory',
      problem: `${join(file, 'data')}: ${file} is a file, not a folder`,
      fix: `move ${file} away or set VULNSYNC_DATA_DIR to a folder it can write`,
    })
  })

  it('reports a secret key that is not a key, open to others, replaced or missing', async () => {
    const keyFile = join(dataDir, 'secret.key')
    const original = readFileSync(keyFile, 'utf8')
    const check = `github "${CONNECTION}" check`
    try {
      writeFileSync(keyFile, 'not a key\n')
      let p = problems(await doctor())
      expect(p.map((x) => x.subject)).toEqual(['secret key', check])
      expect(p[0]).toMatchObject({
        problem: `${keyFile} does not hold a 32-byte key`,
        fix: `restore ${keyFile} from a backup (or set VULNSYNC_SECRET_KEY)`,
      })
      expect(p[1]).toMatchObject({ problem: 'its credentials cannot be read without the secret key' })

      writeFileSync(keyFile, original)
      chmodSync(keyFile, 0o644)
      p = problems(await doctor())
      expect(p).toEqual([
        {
          ok: false,
          subject: 'secret key',
          problem: `${keyFile} can be read by other users`,
          fix: `chmod 600 ${keyFile}`,
        },
      ])
      chmodSync(keyFile, 0o600)

      // another valid key: the stored credentials no longer open
      writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
      p = problems(await doctor())
      expect(p.map((x) => x.subject)).toEqual([check])
      expect(p[0]!.problem).toMatch(/stored secret could not be decrypted: the secret key changed/)

      rmSync(keyFile)
      p = problems(await doctor())
      expect(p.map((x) => x.subject)).toEqual(['secret key', check])
      expect(p[0]).toMatchObject({
        problem: `${keyFile} is missing, and 1 connection(s) have credentials stored with it`,
        fix: `restore ${keyFile} from a backup (or set VULNSYNC_SECRET_KEY); otherwise reconnect every integration`,
      })
    } finally {
      writeFileSync(keyFile, original, { mode: 0o600 })
      chmodSync(keyFile, 0o600)
    }
    expect(problems(await doctor({ checkConnections: false }))).toEqual([])
  })

  it('reports a database that is missing, not migrated, or held by a process that does not answer', async () => {
    const fresh = join(scratch, 'fresh')
    let p = problems(await doctor({ cfg: { ...cfg, dataDir: fresh } }))
    expect(p).toEqual([
      {
        ok: false,
        subject: 'database',
        problem: `no embedded database ${join(fresh, 'pgdata')} yet`,
        fix: 'start vulnsync once: npm start (or npx vulnsync migrate)',
      },
    ])

    const blank = await createPgliteDb(join(fresh, 'pgdata'))
    await blank.close()
    p = problems(await doctor({ cfg: { ...cfg, dataDir: fresh } }))
    expect(p).toEqual([
      {
        ok: false,
        subject: 'database',
        problem: `embedded database ${join(fresh, 'pgdata')} is not migrated`,
        fix: 'npx vulnsync migrate (or start vulnsync: it migrates at start)',
      },
    ])

    // what a running (or killed) server leaves: never opened a second time
    const pid = join(dataDir, 'pgdata', 'postmaster.pid')
    writeFileSync(pid, '-42\n')
    try {
      p = problems(await doctor())
      expect(p.map((x) => x.subject)).toEqual(['database'])
      expect(p[0]!.problem).toBe(
        `embedded database ${join(dataDir, 'pgdata')} is open in another process, and no vulnsync answers at ${serverUrl}`,
      )
      expect(p[0]!.fix).toMatch(/^stop the vulnsync that uses this data directory/)
    } finally {
      rmSync(pid)
    }
  })

  it('reports a web app that is missing or older than its sources', async () => {
    const w = builtWebApp()
    utimesSync(join(w.dir, 'src', 'main.tsx'), new Date(), new Date(Date.now() + 60_000))
    let p = problems(await doctor({ web: w }))
    expect(p).toEqual([
      { ok: false, subject: 'web app', problem: `older than its sources (${w.dist})`, fix: 'npm run build:web' },
    ])
    rmSync(w.dist, { recursive: true })
    p = problems(await doctor({ web: w }))
    expect(p).toEqual([{ ok: false, subject: 'web app', problem: `not built (${w.dist})`, fix: 'npm run build:web' }])
  })

  it('reports a connection whose check fails, whose last sync failed, that never synced, or whose schedule is overdue', async () => {
    const check = `github "${CONNECTION}" check`
    const sync = `github "${CONNECTION}" sync`
    const box = createSecretBox(parseKey(readFileSync(join(dataDir, 'secret.key'), 'utf8')))
    const good = await (async () => {
      let v = ''
      await withDb(async (db) => {
        v = (await db.query<{ s: string }>('SELECT secrets_enc AS s FROM connections')).rows[0]!.s
      })
      return v
    })()

    // the token was revoked
    await withDb((db) => db.query('UPDATE connections SET secrets_enc = $1', [box.seal({ token: 'ghp_revoked' })]))
    let p = problems(await doctor())
    expect(p.map((x) => x.subject)).toEqual([check])
    expect(p).toEqual([
      {
        ok: false,
        subject: check,
        problem: expect.stringMatching(/^GitHub rejected the token \(HTTP 401: Bad credentials\)/),
        fix: 'fix its credentials or configuration: Reconnect on the Hub page',
      },
    ])
    await withDb((db) => db.query('UPDATE connections SET secrets_enc = $1', [good]))

    // the last sync failed: its message and hint are the line
    await withDb((db) =>
      db.query(
        `UPDATE sync_runs SET status = 'failed', error = '{"code":"unreachable","message":"GitHub did not answer","hint":"check the network"}'::jsonb`,
      ),
    )
    p = problems(await doctor({ checkConnections: false }))
    expect(p).toEqual([
      {
        ok: false,
        subject: sync,
        problem: expect.stringMatching(/^last sync failed .+: GitHub did not answer$/),
        fix: 'check the network',
      },
    ])

    // overdue: the schedule passed long ago and nothing ran
    await withDb((db) => db.query(`UPDATE sync_runs SET status = 'succeeded', error = NULL`))
    await withDb((db) => db.query(`UPDATE connections SET next_sync_at = now() - interval '3 hours'`))
    p = problems(await doctor({ checkConnections: false }))
    expect(p).toEqual([
      {
        ok: false,
        subject: sync,
        problem: expect.stringMatching(/^the scheduled sync is overdue since \S+ \(last one succeeded .+\)$/),
        fix: 'keep a server or worker running: npm start (or npx vulnsync worker)',
      },
    ])
    await withDb((db) => db.query(`UPDATE connections SET next_sync_at = now() + interval '6 hours'`))

    // never synced
    await withDb((db) => db.query('DELETE FROM sync_runs'))
    p = problems(await doctor({ checkConnections: false }))
    expect(p).toEqual([
      { ok: false, subject: sync, problem: 'never synced', fix: `npx vulnsync sync "${CONNECTION}" --wait` },
    ])
  }, 180_000)

  it('on PostgreSQL: a good setup passes, and a server it cannot reach is reported without its password', async () => {
    const url = await createTestDatabaseUrl()
    const pgCfg = { ...cfg, databaseUrl: url, dataDir: join(scratch, 'pg-data') }
    const f = await doctor({ cfg: pgCfg })
    expect(problems(f)).toEqual([])
    expect(f.find((x) => x.subject === 'database')).toMatchObject({
      detail: expect.stringMatching(
        new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:\\d+/t_\\w+, schema version ${SCHEMA} \\(up to date\\)$`),
      ),
    })

    const closed = 'postgres://someone:hunter2-secret@127.0.0.1:1/vulnsync'
    const p = problems(await doctor({ cfg: { ...pgCfg, databaseUrl: closed } }))
    expect(p.map((x) => x.subject)).toEqual(['database'])
    expect(p[0]!.problem).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:1\/vulnsync: .*ECONNREFUSED/)
    expect(p[0]!.fix).toBe('check DATABASE_URL and that PostgreSQL runs and accepts this user')
    expect(formatFindings(p)).not.toContain('hunter2')
  })

  it('the command prints one line per finding and exits 0 only when all is well', async () => {
    await ensureWebApp() // the real web app, which the command checks
    const run = (dir: string) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'apps/server/bin/vulnsync.mjs'), 'doctor'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, VULNSYNC_DATA_DIR: dir, VULNSYNC_URL: serverUrl },
      })
    // migrated, nothing connected yet: all is well
    const ready = join(scratch, 'cli-ready')
    const db = await createPgliteDb(join(ready, 'pgdata'))
    await migrate(db)
    await db.close()
    const good = run(ready)
    expect(good.stdout).toMatch(/^ok {3}Node\.js: v\d+/)
    expect(good.stdout.split('\n').filter((l) => l.startsWith('ok   '))).toHaveLength(5)
    expect(good.stdout).toMatch(/\n\nall is well\n$/)
    expect(good.status).toBe(0)

    const broken = run(join(scratch, 'never-started'))
    expect(broken.stdout).toContain(
      `\nFIX  database: no embedded database ${join(scratch, 'never-started', 'pgdata')} yet -> start vulnsync once: npm start (or npx vulnsync migrate)\n`,
    )
    expect(broken.stdout).toMatch(/\n\n1 thing to fix\n$/)
    expect(broken.status).toBe(1)
  }, 180_000)
})
