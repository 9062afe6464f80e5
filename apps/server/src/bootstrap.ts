import { randomInt } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { createPackageRegistries } from '@vulnsync/connectors'
import { CONNECTORS } from '@vulnsync/connectors/registry.ts'
import {
  type Db,
  ensureWorkspace,
  insertToken,
  insertUser,
  migrate,
  openDb,
  refreshQueueStatistics,
  vacuumAfterSync,
} from '@vulnsync/db'
import { generateToken, hashToken, tokenPrefix } from './auth.ts'
import type { AppConfig } from './config.ts'
import { afterSyncRun } from './fixes/tracking.ts'
import { snapshotAfterSync } from './insights/history.ts'
import type { AppLogger } from './logger.ts'
import { createMetrics, statusClass } from './metrics/vulnsync.ts'
import { createRuntimeJobs, type Registry, type Runtime } from './runtime.ts'
import { createSecretBox, loadOrCreateKey } from './secrets.ts'
import type { EngineOptions } from './sync/engine.ts'
import { LEASE_CLASS } from './sync/scheduler.ts'

/** the version /metrics reports (vulnsync_build_info) */
export const VERSION = '0.1.0'

export const defaultRegistry = (): Registry => ({ ...CONNECTORS })

/**
 * Makes sure the workspace has a first admin: the user `admin`, and an admin API token from
 * VULNSYNC_BOOTSTRAP_TOKEN, or else one generated once and written to `<data dir>/initial-admin-token` (0600).
 */
export const bootstrapAdmin = async (
  db: Db,
  cfg: AppConfig,
  logger: AppLogger,
): Promise<{ workspaceId: string; tokenFile?: string }> =>
  db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727002)')
    const workspaceId = await ensureWorkspace(tx)
    let admin = (
      await tx.query<{ id: string }>(`SELECT id FROM users WHERE workspace_id = $1 AND lower(username) = 'admin'`, [
        workspaceId,
      ])
    ).rows[0]
    if (!admin) admin = await insertUser(tx, { workspaceId, username: 'admin', passwordHash: null, role: 'admin' })
    if (cfg.bootstrapToken) {
      const hash = hashToken(cfg.bootstrapToken)
      const exists = await tx.query(`SELECT 1 FROM api_tokens WHERE token_hash = $1`, [hash])
      if (exists.rows.length === 0) {
        await insertToken(tx, {
          workspaceId,
          userId: admin.id,
          name: 'bootstrap (VULNSYNC_BOOTSTRAP_TOKEN)',
          hash,
          prefix: tokenPrefix(cfg.bootstrapToken),
          role: 'admin',
        })
        logger.info('admin API token from VULNSYNC_BOOTSTRAP_TOKEN registered')
      }
      return { workspaceId }
    }
    const any = await tx.query(
      `SELECT 1 FROM api_tokens WHERE workspace_id = $1 AND role = 'admin' AND revoked_at IS NULL LIMIT 1`,
      [workspaceId],
    )
    const file = join(cfg.dataDir, 'initial-admin-token')
    if (any.rows.length === 0) {
      const token = generateToken()
      await insertToken(tx, {
        workspaceId,
        userId: admin.id,
        name: 'initial admin token',
        hash: hashToken(token),
        prefix: tokenPrefix(token),
        role: 'admin',
      })
      mkdirSync(cfg.dataDir, { recursive: true })
      writeFileSync(file, `${token}\n`, { mode: 0o600 })
      chmodSync(file, 0o600)
      logger.info({ path: file }, 'generated the first admin API token; read it from this file (it is not logged)')
      return { workspaceId, tokenFile: file }
    }
    return { workspaceId, ...(existsSync(file) ? { tokenFile: file } : {}) }
  })

export const readInitialToken = (dataDir: string): string | null => {
  const file = join(dataDir, 'initial-admin-token')
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null
}

/** Opens the database, migrates, bootstraps the admin, and assembles the runtime (jobs not started). */
export const createRuntime = async (
  cfg: AppConfig,
  logger: AppLogger,
  o: {
    db?: Db
    connectors?: Registry
    engine?: Partial<EngineOptions>
    pollingIntervalSeconds?: number
    now?: () => Date
  } = {},
): Promise<Runtime> => {
  if (!cfg.databaseUrl) mkdirSync(cfg.dataDir, { recursive: true })
  const db =
    o.db ??
    (await openDb({ databaseUrl: cfg.databaseUrl, dataDir: cfg.databaseUrl ? undefined : join(cfg.dataDir, 'pgdata') }))
  const m = await migrate(db)
  if (m.applied.length) logger.info({ applied: m.applied, version: m.current }, 'database migrated')
  const { workspaceId } = await bootstrapAdmin(db, cfg, logger)
  const { key, source } = loadOrCreateKey({ secretKey: cfg.secretKey, dataDir: cfg.dataDir })
  logger.debug({ source }, 'secret key loaded')
  // this process's lease: other processes recover its runs at once if it dies (see recoverOrphanedRuns)
  const owner = { host: hostname(), pid: process.pid, lease: randomInt(1, 2 ** 31 - 1), driver: db.driver }
  await db.holdLease(LEASE_CLASS, owner.lease)
  const now = o.now ?? (() => new Date())
  const metrics = createMetrics({ db, version: VERSION })
  const base = {
    metrics,
    owner,
    config: cfg,
    db,
    logger,
    box: createSecretBox(key),
    connectors: o.connectors ?? defaultRegistry(),
    workspaceId,
    engine: {
      db,
      logger,
      allowPrivateNetworks: cfg.allowPrivateNetworks,
      now,
      owner,
      observe: (kind: string, status: number) => {
        metrics.upstreamRequests.inc({ connector_kind: kind, status_class: statusClass(status) })
        if (status === 429) metrics.upstreamRateLimited.inc({ connector_kind: kind })
      },
      ...o.engine,
    },
    now,
    registries: createPackageRegistries({
      urls: cfg.registries,
      allowPrivateNetworks: cfg.allowPrivateNetworks,
      logger,
      ...(o.engine?.http ? { http: o.engine.http } : {}),
    }),
  }
  const rt = base as Runtime
  // after each sync run: fix pull requests refreshed (SCM) or verified (scanners)
  // and today's insight snapshot taken again (its own failure is logged apart); on PGlite, which has no autovacuum, the
  // queue's statistics are refreshed once the tables have grown (ADR 0013) and the tables the queue and the dashboard
  // read index-only are vacuumed (docs/insights.md)
  rt.engine.afterRun = async (connector, connection, run) => {
    try {
      await afterSyncRun(rt, connector, connection, run)
    } finally {
      await snapshotAfterSync(rt, connection.id)
      if (db.driver === 'pglite') {
        await refreshQueueStatistics(db).then(
          (analysed) => analysed.length && logger.debug({ analysed, runId: run.id }, 'queue statistics refreshed'),
          (err) => logger.warn({ err: (err as Error).message, runId: run.id }, 'queue statistics not refreshed'),
        )
        const t0 = Date.now()
        await vacuumAfterSync(db).then(
          (tables) => logger.debug({ tables, ms: Date.now() - t0, runId: run.id }, 'vacuumed after the sync'),
          (err) => logger.warn({ err: (err as Error).message, runId: run.id }, 'not vacuumed after the sync'),
        )
      }
    }
  }
  rt.jobs = createRuntimeJobs(rt, { pollingIntervalSeconds: o.pollingIntervalSeconds })
  return rt
}
