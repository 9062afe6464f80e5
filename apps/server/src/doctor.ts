import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { type Db, hasPgliteDatabase, loadMigrations, openDb, type RunRow } from '@vulnsync/db'
import { defaultRegistry } from './bootstrap.ts'
import type { AppConfig } from './config.ts'
import { createLogger } from './logger.ts'
import type { Registry } from './runtime.ts'
import { createSecretBox, parseKey, type SecretBox } from './secrets.ts'
import { runCheck } from './sync/check.ts'
import { connectionForRun, connectorOf } from './sync/connection.ts'
import { REPO_ROOT, WEB_APP, type WebApp, webAppFix, webAppState } from './web-build.ts'

/**
 * `vulnsync doctor`: checks a setup the way support would and says what to fix, one line each. It changes nothing:
 * it never creates the data directory, the key or the database, and never opens an embedded database a running
 * server holds (then it asks that server instead, with the admin API token).
 */
export type Finding =
  | { ok: true; subject: string; detail: string }
  | { ok: false; subject: string; problem: string; fix: string }

export interface DoctorOptions {
  cfg: AppConfig
  /** where a running server answers (VULNSYNC_URL, default http://127.0.0.1:PORT) */
  serverUrl: string
  /** an API token for that server (VULNSYNC_TOKEN or the initial admin token) */
  token?: string | null
  /** run each connection's check against its vendor now (default true) */
  checkConnections?: boolean
  web?: WebApp
  nodeVersion?: string
  connectors?: Registry
  now?: Date
}

const ok = (subject: string, detail: string): Finding => ({ ok: true, subject, detail })
const bad = (subject: string, problem: string, fix: string): Finding => ({ ok: false, subject, problem, fix })

const errCode = (err: unknown) => (err as NodeJS.ErrnoException)?.code
const ago = (d: Date, now: Date) => {
  const m = Math.round((now.getTime() - d.getTime()) / 60_000)
  if (m < 1) return 'just now'
  if (m < 120) return `${m} min ago`
  const h = Math.round(m / 60)
  return h < 48 ? `${h} h ago` : `${Math.round(h / 24)} days ago`
}
const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms),
    ),
  ])

// ------------------------------------------------------------------ Node.js

const versionAtLeast = (have: string, want: string) => {
  const a = have.replace(/^v/, '').split('.').map(Number)
  const b = want.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

const checkNode = (version: string): Finding => {
  const engines = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines?.node ?? '>=20.19.0'
  const want = /^>=\s*([\d.]+)$/.exec(engines)?.[1] ?? '20.19.0'
  return versionAtLeast(version, want)
    ? ok('Node.js', `${version} (vulnsync needs ${engines})`)
    : bad('Node.js', `${version} is too old (vulnsync needs ${engines})`, `install Node.js ${want} or newer`)
}

// ------------------------------------------------------------------ data directory

const checkDataDir = (cfg: AppConfig): Finding => {
  const dir = cfg.dataDir
  const subject = 'data directory'
  if (cfg.databaseUrl && cfg.secretKey && cfg.bootstrapToken)
    return ok(subject, 'not used (DATABASE_URL, VULNSYNC_SECRET_KEY and VULNSYNC_BOOTSTRAP_TOKEN are set)')
  const elsewhere = 'or set VULNSYNC_DATA_DIR to a folder it can write'
  let existing = dir
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing)
  if (!statSync(existing).isDirectory())
    return bad(subject, `${dir}: ${existing} is a file, not a folder`, `move ${existing} away ${elsewhere}`)
  const user = userInfo().username
  const probe = join(existing, `.vulnsync-doctor-${process.pid}`)
  try {
    // a real write, as the server will do it (permission bits alone say nothing for root or read-only mounts)
    if (existing === dir) writeFileSync(probe, '')
    else mkdirSync(probe)
    rmSync(probe, { recursive: true, force: true })
  } catch (err) {
    return bad(
      subject,
      `${existing === dir ? dir : `${existing} (where ${dir} would be created)`} is not writable by ${user} (${errCode(err)})`,
      `chown -R ${user} ${existing} ${elsewhere}`,
    )
  }
  return ok(
    subject,
    existing === dir ? `${dir} is writable` : `${dir} does not exist yet; it is created on first start`,
  )
}

// ------------------------------------------------------------------ secret key

interface KeyResult {
  finding: Finding | null
  box: SecretBox | null
  /** the key file is missing: fine on a fresh setup, a problem when credentials are stored */
  missingFile?: string
}

const checkSecretKey = (cfg: AppConfig): KeyResult => {
  const subject = 'secret key'
  if (cfg.secretKey) {
    try {
      return { finding: ok(subject, 'from VULNSYNC_SECRET_KEY'), box: createSecretBox(parseKey(cfg.secretKey)) }
    } catch (err) {
      return {
        finding: bad(
          subject,
          (err as Error).message,
          'set VULNSYNC_SECRET_KEY to the key the credentials were stored with (a new one: openssl rand -base64 32)',
        ),
        box: null,
      }
    }
  }
  const file = join(cfg.dataDir, 'secret.key')
  if (!existsSync(file)) return { finding: null, box: null, missingFile: file }
  const user = userInfo().username
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return {
      finding: bad(subject, `${file} cannot be read by ${user} (${errCode(err)})`, `chown ${user} ${file}`),
      box: null,
    }
  }
  let box: SecretBox
  try {
    box = createSecretBox(parseKey(text))
  } catch {
    return {
      finding: bad(
        subject,
        `${file} does not hold a 32-byte key`,
        `restore ${file} from a backup (or set VULNSYNC_SECRET_KEY)`,
      ),
      box: null,
    }
  }
  if (statSync(file).mode & 0o077)
    return { finding: bad(subject, `${file} can be read by other users`, `chmod 600 ${file}`), box }
  return { finding: ok(subject, `${file}, readable by ${user} only`), box }
}

// ------------------------------------------------------------------ database and connections

interface ConnectionState {
  id: string
  name: string
  kind: string
  nextSyncAt: Date | null
  lastRun: {
    id: string
    status: RunRow['status']
    queuedAt: Date
    finishedAt: Date | null
    error: RunRow['error']
  } | null
}

type CheckOutcome = { ok: true } | { ok: false; message: string; hint?: string | undefined }

/** Where the connections are read from: the database itself, or the running server that holds it. */
interface ConnectionSource {
  list(): Promise<ConnectionState[]>
  check(c: ConnectionState): Promise<CheckOutcome>
}

const safeUrl = (url: string) => {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || 5432}${u.pathname}`
  } catch {
    return 'DATABASE_URL'
  }
}

const fromDatabase = (db: Db, cfg: AppConfig, box: SecretBox | null, connectors: Registry): ConnectionSource => ({
  list: async () => {
    const { rows } = await db.query<any>(
      `SELECT c.id, c.name, c.kind, c.next_sync_at, r.id AS run_id, r.status, r.queued_at, r.finished_at, r.error
         FROM connections c
         LEFT JOIN LATERAL (SELECT * FROM sync_runs s WHERE s.connection_id = c.id ORDER BY s.queued_at DESC LIMIT 1) r ON true
        WHERE c.deleted_at IS NULL ORDER BY c.kind, lower(c.name)`,
    )
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      nextSyncAt: r.next_sync_at ? new Date(r.next_sync_at) : null,
      lastRun: r.run_id
        ? {
            id: r.run_id,
            status: r.status,
            queuedAt: new Date(r.queued_at),
            finishedAt: r.finished_at ? new Date(r.finished_at) : null,
            error: r.error,
          }
        : null,
    }))
  },
  check: async (c) => {
    const connector = connectorOf(connectors, c.kind)
    if (!connector) return { ok: false, message: `this vulnsync has no connector of kind ${c.kind}` }
    if (!box) return { ok: false, message: 'its credentials cannot be read without the secret key' }
    const row = (await db.query<any>('SELECT * FROM connections WHERE id = $1', [c.id])).rows[0]
    let secrets: unknown
    let config: unknown
    try {
      ;({ secrets, config } = connectionForRun(box, row))
    } catch (err) {
      return { ok: false, message: (err as Error).message }
    }
    const r = await runCheck(
      { logger: createLogger({ level: 'silent' }), allowPrivateNetworks: cfg.allowPrivateNetworks },
      connector,
      config,
      secrets,
    )
    return r.ok ? { ok: true } : { ok: false, message: r.message, hint: r.hint }
  },
})

const fromServer = (url: string, token: string): ConnectionSource => {
  const call = async (method: string, path: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(90_000),
    })
    const body = (await res.json().catch(() => null)) as any
    if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`)
    return body
  }
  return {
    list: async () =>
      (await call('GET', '/api/v1/connections')).items.map((c: any) => ({
        id: c.id,
        name: c.name,
        kind: c.kind,
        nextSyncAt: c.nextSyncAt ? new Date(c.nextSyncAt) : null,
        lastRun: c.lastRun
          ? {
              id: c.lastRun.id,
              status: c.lastRun.status,
              queuedAt: new Date(c.lastRun.queuedAt),
              finishedAt: c.lastRun.finishedAt ? new Date(c.lastRun.finishedAt) : null,
              error: c.lastRun.error ?? null,
            }
          : null,
      })),
    check: async (c) => {
      try {
        const r = await call('POST', `/api/v1/connections/${c.id}/check`)
        return r.ok ? { ok: true } : { ok: false, message: r.message, hint: r.hint }
      } catch (err) {
        return { ok: false, message: (err as Error).message }
      }
    },
  }
}

interface DatabaseResult {
  findings: Finding[]
  source: ConnectionSource | null
  close: () => Promise<void>
}

const schemaFinding = async (db: Db, where: string): Promise<Finding> => {
  const newest = loadMigrations().at(-1)?.version ?? 0
  const has = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_migrations'`)
  const version = has.rows.length
    ? ((await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0)
    : 0
  if (version === newest) return ok('database', `${where}, schema version ${version} (up to date)`)
  if (version > newest)
    return bad(
      'database',
      `${where} is at schema version ${version}, newer than this vulnsync (${newest})`,
      'upgrade vulnsync',
    )
  return bad(
    'database',
    `${where} is ${version === 0 ? 'not migrated' : `at schema version ${version} of ${newest}`}`,
    'npx vulnsync migrate (or start vulnsync: it migrates at start)',
  )
}

const only = (...findings: Finding[]): DatabaseResult => ({ findings, source: null, close: async () => {} })

const checkDatabase = async (
  o: DoctorOptions,
  box: SecretBox | null,
  connectors: Registry,
): Promise<DatabaseResult> => {
  const { cfg } = o
  if (cfg.databaseUrl) {
    const where = `PostgreSQL at ${safeUrl(cfg.databaseUrl)}`
    let db: Db
    try {
      db = await withTimeout(openDb({ databaseUrl: cfg.databaseUrl }), 10_000, where)
    } catch (err) {
      return only(
        bad(
          'database',
          `cannot reach ${where}: ${(err as Error).message}`,
          'check DATABASE_URL and that PostgreSQL runs and accepts this user',
        ),
      )
    }
    const schema = await schemaFinding(db, where)
    return { findings: [schema], source: schema.ok ? fromDatabase(db, cfg, box, connectors) : null, close: db.close }
  }

  const pgdata = join(cfg.dataDir, 'pgdata')
  const where = `embedded database ${pgdata}`
  if (!hasPgliteDatabase(pgdata))
    return only(bad('database', `no ${where} yet`, 'start vulnsync once: npm start (or npx vulnsync migrate)'))
  if (existsSync(join(pgdata, 'postmaster.pid'))) {
    // open in another process: never open it twice; ask the server that holds it
    const ready = await fetch(`${o.serverUrl}/readyz`, { signal: AbortSignal.timeout(3000) })
      .then((r) => r.json() as Promise<{ status?: string; database?: string }>)
      .catch(() => null)
    if (ready?.status === 'ready' && ready.database === 'pglite') {
      const finding = ok('database', `${where}, held by the server at ${o.serverUrl} (ready; it migrates at start)`)
      if (!o.token)
        return only(
          finding,
          bad(
            'connections',
            'no API token to ask the running server about them',
            'set VULNSYNC_TOKEN (npx vulnsync token create --role admin)',
          ),
        )
      return { ...only(finding), source: fromServer(o.serverUrl, o.token) }
    }
    return only(
      bad(
        'database',
        `${where} is open in another process, and no vulnsync answers at ${o.serverUrl}`,
        'stop the vulnsync that uses this data directory, or set VULNSYNC_URL to its address; if none runs (it was killed), start vulnsync once: npm start',
      ),
    )
  }
  let db: Db
  try {
    db = await openDb({ dataDir: pgdata })
  } catch (err) {
    return only(
      bad(
        'database',
        `${where} cannot be opened: ${(err as Error).message}`,
        `restore ${pgdata} from a backup, or move it away and start afresh`,
      ),
    )
  }
  const schema = await schemaFinding(db, where)
  return { findings: [schema], source: schema.ok ? fromDatabase(db, cfg, box, connectors) : null, close: db.close }
}

const OVERDUE_MS = 60 * 60_000

const connectionFindings = async (
  source: ConnectionSource,
  list: ConnectionState[],
  o: { checkConnections: boolean; now: Date },
): Promise<Finding[]> => {
  const checks = await Promise.all(list.map((c) => (o.checkConnections ? source.check(c) : null)))
  return list.flatMap((c, i): Finding[] => {
    const subject = `${c.kind} "${c.name}"`
    const syncNow = `npx vulnsync sync "${c.name}" --wait`
    const out: Finding[] = []
    const check = checks[i]
    if (check)
      out.push(
        check.ok
          ? ok(`${subject} check`, 'its credentials work now')
          : bad(
              `${subject} check`,
              check.message,
              check.hint ?? 'fix its credentials or configuration: Reconnect on the Hub page',
            ),
      )
    const r = c.lastRun
    if (!r) out.push(bad(`${subject} sync`, 'never synced', syncNow))
    else if (r.status === 'queued' || r.status === 'running')
      out.push(ok(`${subject} sync`, `${r.status} since ${ago(r.queuedAt, o.now)}`))
    else if (r.status !== 'succeeded')
      out.push(
        bad(
          `${subject} sync`,
          `last sync ${r.status} ${ago(r.finishedAt ?? r.queuedAt, o.now)}${r.error ? `: ${r.error.message}` : ''}`,
          r.error?.hint ?? `see the run on the Syncs page, then ${syncNow}`,
        ),
      )
    else if (c.nextSyncAt && o.now.getTime() - c.nextSyncAt.getTime() > OVERDUE_MS)
      out.push(
        bad(
          `${subject} sync`,
          `the scheduled sync is overdue since ${c.nextSyncAt.toISOString()} (last one succeeded ${ago(r.finishedAt ?? r.queuedAt, o.now)})`,
          'keep a server or worker running: npm start (or npx vulnsync worker)',
        ),
      )
    else out.push(ok(`${subject} sync`, `last sync succeeded ${ago(r.finishedAt ?? r.queuedAt, o.now)}`))
    return out
  })
}

// ------------------------------------------------------------------ all of it

export const runDoctor = async (o: DoctorOptions): Promise<Finding[]> => {
  const now = o.now ?? new Date()
  const findings: Finding[] = [checkNode(o.nodeVersion ?? process.version), checkDataDir(o.cfg)]
  const key = checkSecretKey(o.cfg)
  const db = await checkDatabase(o, key.box, o.connectors ?? defaultRegistry())
  try {
    let connections: Finding[] = []
    let stored = 0
    if (db.source) {
      try {
        const list = await db.source.list()
        stored = list.length
        connections = await connectionFindings(db.source, list, { checkConnections: o.checkConnections ?? true, now })
      } catch (err) {
        connections = [bad('connections', `cannot be listed: ${(err as Error).message}`, 'see the server log')]
      }
    }
    findings.push(
      key.finding ??
        (stored > 0
          ? bad(
              'secret key',
              `${key.missingFile} is missing, and ${stored} connection(s) have credentials stored with it`,
              `restore ${key.missingFile} from a backup (or set VULNSYNC_SECRET_KEY); otherwise reconnect every integration`,
            )
          : ok('secret key', `${key.missingFile} does not exist yet; it is generated on first start`)),
    )
    findings.push(...db.findings)
    const web = o.web ?? WEB_APP
    const state = webAppState(web)
    findings.push(
      state === 'fresh'
        ? ok('web app', `built (${web.dist})`)
        : bad(
            'web app',
            state === 'missing' ? `not built (${web.dist})` : `older than its sources (${web.dist})`,
            webAppFix(web),
          ),
    )
    findings.push(...connections)
  } finally {
    await db.close().catch(() => {})
  }
  return findings
}

/** One line per finding, then a summary: `ok` lines say what was found, `FIX` lines what to do. */
export const formatFindings = (findings: Finding[]): string => {
  const flat = (s: string) => s.replace(/\s*\n\s*/g, ' ')
  const lines = findings.map((f) =>
    flat(f.ok ? `ok   ${f.subject}: ${f.detail}` : `FIX  ${f.subject}: ${f.problem} -> ${f.fix}`),
  )
  const problems = findings.filter((f) => !f.ok).length
  lines.push('', problems === 0 ? 'all is well' : `${problems} thing${problems === 1 ? '' : 's'} to fix`)
  return `${lines.join('\n')}\n`
}
