import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createPostgresDb } from '@vulnsync/db'
import { createTestDatabaseUrl } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, defaultRegistry } from './bootstrap.ts'
import { loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import type { Runtime } from './runtime.ts'
import { requestRun } from './sync/requests.ts'
import { arrayDataset, createTestConnector, type TestRaw } from './sync/test-connector.ts'
import { seedConnection, seedRepositories } from './sync/test-support.ts'

/**
 * Two worker processes (two runtimes with their own pools and pg-boss instances) on one PostgreSQL database share
 * the sync runs, and never run two runs of one connection at the same time.
 */
const rows: TestRaw[] = Array.from({ length: 40 }, (_, i) => ({
  id: `w-${i}`,
  ids: [`CVE-2021-${40000 + i}`],
  purl: `pkg:maven/org.acme/lib${i % 3}@1.${i}`,
  repo: 'https://github.com/acme/shared',
  severity: 'medium',
  detectedAt: '2021-05-01T00:00:00Z',
}))
// every run is slow enough that runs of different connections overlap across the two workers; each process counts
// the pages it read
const pagesBy = [0, 0]
const connectorFor = (proc: number) =>
  createTestConnector(() => arrayDataset(rows), {
    pageSize: 10,
    onPage: () => {
      pagesBy[proc]!++
      return new Promise((r) => setTimeout(r, 80))
    },
  })

describe('several workers on one PostgreSQL', () => {
  const runtimes: Runtime[] = []
  const dirs: string[] = []
  let url: string
  beforeAll(async () => {
    url = await createTestDatabaseUrl()
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'vulnsync-worker-'))
      dirs.push(dataDir)
      const cfg = loadConfig({
        DATABASE_URL: url,
        VULNSYNC_DATA_DIR: dataDir,
        VULNSYNC_SECRET_KEY: 'a'.repeat(64),
        VULNSYNC_WORKER_CONCURRENCY: '2',
      })
      const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) })
      const rt = await createRuntime(cfg, logger, {
        connectors: { ...defaultRegistry(), test: connectorFor(i) as any },
        pollingIntervalSeconds: 0.5,
      })
      await rt.jobs.start({ workers: true, scheduler: false })
      runtimes.push(rt)
    }
  }, 120_000)
  afterAll(async () => {
    for (const rt of runtimes) {
      await rt.jobs.stop()
      await rt.db.close()
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('shares the runs between the processes, one run per connection at a time, and completes them all', async () => {
    const [a] = runtimes
    const ws = a!.workspaceId
    await seedRepositories(a!.db, ws, [{ fullName: 'acme/shared', externalId: 'shared-1' }])
    const conns = []
    for (let i = 0; i < 4; i++) conns.push(await seedConnection(a!.db, ws, { name: `scanner-${i}` }))
    await a!.db.query(`UPDATE connections SET secrets_enc = $1`, [a!.box.seal({ token: 't' })])
    // two runs requested per connection: the second waits for the first
    const runIds: string[] = []
    for (const c of conns) {
      const row = (await a!.db.query(`SELECT * FROM connections WHERE id = $1`, [c.id])).rows[0]
      runIds.push((await requestRun(a!, row, 'manual')).id)
      await a!.db
        .query(
          `INSERT INTO sync_runs (workspace_id, connection_id, trigger, status) VALUES ($1, $2, 'scheduled', 'queued') RETURNING id`,
          [ws, c.id],
        )
        .then(async (r) => {
          runIds.push(r.rows[0].id)
          await runtimes[1]!.jobs.enqueueRun(r.rows[0].id, 0)
        })
    }
    // watch: never two running runs of one connection
    const watcher = await createPostgresDb(url, { max: 1 })
    let overlap = 0
    let maxRunning = 0
    const deadline = Date.now() + 90_000
    for (;;) {
      const { rows: r } = await watcher.query<{ connection_id: string; n: number }>(
        `SELECT connection_id, count(*)::int AS n FROM sync_runs WHERE status = 'running' GROUP BY connection_id`,
      )
      overlap += r.filter((x) => x.n > 1).length
      maxRunning = Math.max(
        maxRunning,
        r.reduce((s, x) => s + x.n, 0),
      )
      const { rows: left } = await watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sync_runs WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
        [runIds],
      )
      if (left[0]!.n === 0 || Date.now() > deadline) break
      await new Promise((res) => setTimeout(res, 50))
    }
    const { rows: done } = await watcher.query<{ status: string }>(
      `SELECT status FROM sync_runs WHERE id = ANY($1::uuid[])`,
      [runIds],
    )
    await watcher.close()
    expect(done.map((d) => d.status)).toEqual(Array(8).fill('succeeded'))
    expect(overlap).toBe(0)
    // with 2 processes × 2 workers, runs of different connections ran side by side, in both processes
    expect(maxRunning).toBeGreaterThan(1)
    expect(pagesBy[0]).toBeGreaterThan(0)
    expect(pagesBy[1]).toBeGreaterThan(0)
  })
})
