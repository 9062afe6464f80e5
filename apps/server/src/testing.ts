import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createPostgresDb, type Db, getRun, type RunRow } from '@vulnsync/db'
import { createTestDatabaseUrl, createTestDb, type DriverName } from '@vulnsync/db/testing'
import type { FastifyInstance } from 'fastify'
import { createRuntime, defaultRegistry } from './bootstrap.ts'
import { loadConfig } from './config.ts'
import { buildApp } from './http/app.ts'
import { createLogger } from './logger.ts'
import type { Registry, Runtime } from './runtime.ts'
import type { EngineOptions } from './sync/engine.ts'
import { tick } from './sync/scheduler.ts'
import { WEB_APP } from './web-build.ts'

export { poll } from '@vulnsync/db/testing'

export interface TestApp {
  url: string
  token: string
  rt: Runtime
  db: Db
  app: FastifyInstance
  /** every log line the server wrote, as JSON text */
  logs: string[]
  /** the database's URL on the postgres driver (other processes can share it), else null */
  databaseUrl: string | null
  /** the data directory and secret key, for another vulnsync process on the same data */
  dataDir: string
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    o?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; text: string; headers: Headers }>
  waitForRun(runId: string, o?: { timeoutMs?: number; until?: (r: any) => boolean }): Promise<any>
  tick(): Promise<{ enqueued: number; recovered: number }>
  close(): Promise<void>
}

export interface TestAppOptions {
  driver?: DriverName
  /** connectors in addition to (or replacing) the shipped ones */
  connectors?: Registry
  serveWeb?: boolean
  engine?: Partial<EngineOptions>
  /** real waits (rate-limit pauses) instead of the fast ones tests use by default */
  realSleep?: boolean
  env?: Record<string, string>
  /** run sync workers in this process (default true); false leaves runs queued for other processes */
  workers?: boolean
  /** the runtime's clock (a test moves it to prove schedules without waiting) */
  now?: () => Date
}

const FINISHED = new Set(['succeeded', 'failed', 'partial', 'cancelled', 'held'])

/**
 * A real vulnsync server for tests: a real HTTP listener on a loopback port, a real database (PGlite in memory or a
 * fresh database on the run's PostgreSQL), pg-boss workers, every shipped connector, private networks allowed
 * (simulators listen on 127.0.0.1), and the bootstrap admin token.
 */
export const startTestApp = async (o: TestAppOptions = {}): Promise<TestApp> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vulnsync-test-'))
  const token = `vs_test_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
  const cfg = loadConfig({
    VULNSYNC_DATA_DIR: dataDir,
    VULNSYNC_BOOTSTRAP_TOKEN: token,
    VULNSYNC_ALLOW_PRIVATE_NETWORKS: 'true',
    VULNSYNC_LOG_LEVEL: 'debug',
    VULNSYNC_WORKER_CONCURRENCY: '2',
    VULNSYNC_VALIDATE_RESPONSES: 'true',
    ...o.env,
  })
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean))
      cb()
    },
  })
  const logger = createLogger({ level: cfg.logLevel, destination: sink })
  const databaseUrl = o.driver === 'postgres' ? await createTestDatabaseUrl() : null
  const db = databaseUrl ? await createPostgresDb(databaseUrl, { max: 5 }) : await createTestDb('pglite')
  const sleep = o.realSleep ? undefined : (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20)))
  const rt = await createRuntime(cfg, logger, {
    db,
    connectors: { ...defaultRegistry(), ...(o.connectors ?? {}) },
    engine: { sleep, http: { backoffMs: 5, ...(o.engine?.http ?? {}) }, ...o.engine },
    pollingIntervalSeconds: 0.5,
    ...(o.now ? { now: o.now } : {}),
  })
  await rt.jobs.start({ workers: o.workers ?? true, scheduler: false })
  const app = await buildApp(rt, { webDist: o.serveWeb ? WEB_APP.dist : null })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address() as { port: number }
  const url = `http://127.0.0.1:${addr.port}`

  const api: TestApp['api'] = async (method, path, body, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) }
    const t = opts.token === undefined ? token : opts.token
    if (t) headers.authorization = `Bearer ${t}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: any = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {}
    return { status: res.status, body: parsed, text, headers: res.headers }
  }

  const waitForRun: TestApp['waitForRun'] = async (runId, w = {}) => {
    const deadline = Date.now() + (w.timeoutMs ?? 60_000)
    const done = w.until ?? ((r: any) => FINISHED.has(r.status))
    for (;;) {
      const r = await api('GET', `/api/v1/syncs/${runId}`)
      if (r.status === 200 && done(r.body)) return r.body
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish in time: ${JSON.stringify(r.body)}`)
      await new Promise((res) => setTimeout(res, 100))
    }
  }

  return {
    url,
    token,
    rt,
    db,
    app,
    logs,
    databaseUrl,
    dataDir,
    api,
    waitForRun,
    tick: () => tick(rt),
    close: async () => {
      await app.close()
      await rt.jobs.stop()
      await db.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type { RunRow }
export { getRun }
