import { getConnectionById, getRun } from '@vulnsync/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BusyError } from './jobs.ts'
import { runSyncJob } from './sync/job.ts'
import { requestRun } from './sync/requests.ts'
import { tick } from './sync/scheduler.ts'
import { arrayDataset, createTestConnector, type TestRaw } from './sync/test-connector.ts'
import { seedRepositories } from './sync/test-support.ts'
import { startTestApp, type TestApp } from './testing.ts'

const rows: TestRaw[] = Array.from({ length: 60 }, (_, i) => ({
  id: `r-${i}`,
  ids: [`CVE-2022-${30000 + i}`],
  purl: `pkg:pypi/lib${i % 4}@1.${i}`,
  repo: 'https://github.com/acme/jobs',
  severity: 'high',
  detectedAt: '2022-01-01T00:00:00Z',
}))
let pageDelay = 0
const slow = createTestConnector(() => arrayDataset(rows), {
  pageSize: 10,
  onPage: () => new Promise((r) => setTimeout(r, pageDelay)),
})

describe('jobs: schedule, manual priority, one run at a time, recovery, shutdown', () => {
  let t: TestApp
  let connectionId: string
  beforeAll(async () => {
    t = await startTestApp({ connectors: { test: slow as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/jobs', externalId: 'jobs-1' }])
    const r = await t.api('POST', '/api/v1/connections', {
      kind: 'test',
      name: 'jobs',
      secrets: { token: 'x' },
      scheduleCron: '0 */6 * * *',
    })
    connectionId = r.body.connection.id
    await t.waitForRun(r.body.run.id)
  })
  afterAll(() => t?.close())

  it('enqueues a scheduled run when the connection is due, once, and moves its next time along the cron', async () => {
    await t.db.query(`UPDATE connections SET next_sync_at = now() - interval '1 minute' WHERE id = $1`, [connectionId])
    const [a, b] = await Promise.all([tick(t.rt), tick(t.rt)])
    expect(a.enqueued + b.enqueued).toBe(1)
    const c = await getConnectionById(t.db, connectionId)
    expect(new Date(c!.next_sync_at!).getTime()).toBeGreaterThan(Date.now())
    expect(new Date(c!.next_sync_at!).getUTCHours() % 6).toBe(0)
    const runs = await t.api('GET', `/api/v1/syncs?connectionId=${connectionId}`)
    const scheduled = runs.body.items.find((r: any) => r.trigger === 'scheduled')
    expect(scheduled).toBeTruthy()
    await t.waitForRun(scheduled.id)
  })

  it('turns a queued scheduled run into the manual one instead of running twice', async () => {
    const c = (await getConnectionById(t.db, connectionId))!
    // a scheduled run queued but not yet started (no worker picks it: we create it directly)
    const { rows: q } = await t.db.query(
      `INSERT INTO sync_runs (workspace_id, connection_id, trigger, status) VALUES ($1, $2, 'scheduled', 'queued') RETURNING id`,
      [c.workspace_id, c.id],
    )
    const manual = await requestRun(t.rt, c, 'manual')
    expect(manual.id).toBe(q[0]!.id)
    expect(manual.trigger).toBe('manual')
    const done = await t.waitForRun(manual.id)
    expect(done.trigger).toBe('manual')
    expect(done.status).toBe('succeeded')
  })

  it('never runs two runs of one connection at the same time', async () => {
    pageDelay = 150
    const c = (await getConnectionById(t.db, connectionId))!
    const first = await requestRun(t.rt, c, 'manual')
    await t.waitForRun(first.id, { until: (r) => r.status === 'running' })
    const { rows: q } = await t.db.query(
      `INSERT INTO sync_runs (workspace_id, connection_id, trigger, status) VALUES ($1, $2, 'manual', 'queued') RETURNING id`,
      [c.workspace_id, c.id],
    )
    await expect(runSyncJob(t.rt, q[0]!.id, new AbortController().signal)).rejects.toBeInstanceOf(BusyError)
    await expect(t.db.query(`UPDATE sync_runs SET status = 'running' WHERE id = $1`, [q[0]!.id])).rejects.toThrow(
      /sync_runs_one_active|duplicate key/,
    )
    await t.waitForRun(first.id)
    await t.db.query(`UPDATE sync_runs SET status = 'cancelled' WHERE id = $1`, [q[0]!.id])
    pageDelay = 0
  })

  it('puts a run whose worker died back in the queue, and it resumes from its checkpoint', async () => {
    const c = (await getConnectionById(t.db, connectionId))!
    const { rows: q } = await t.db.query(
      `INSERT INTO sync_runs (workspace_id, connection_id, trigger, status, started_at, heartbeat_at, cursor, attempts)
       VALUES ($1, $2, 'scheduled', 'running', now() - interval '10 minutes', now() - interval '10 minutes', '{"next": 30}', 1) RETURNING id`,
      [c.workspace_id, c.id],
    )
    const r = await tick(t.rt)
    expect(r.recovered).toBe(1)
    const done = await t.waitForRun(q[0]!.id)
    expect(done.status).toBe('succeeded')
    // it resumed at record 30: only the second half was read by this attempt
    expect(done.counts.fetched).toBe(30)
    expect(done.attempts).toBe(2)
  })

  it('stops gracefully: a run in progress is checkpointed and resumes in the next process', async () => {
    pageDelay = 600
    const c = (await getConnectionById(t.db, connectionId))!
    const run = await requestRun(t.rt, c, 'manual')
    const mid = await t.waitForRun(run.id, {
      until: (r) => r.status !== 'queued' && (r.status !== 'running' || r.progress.records >= 20),
    })
    expect(mid.status).toBe('running')
    await t.rt.jobs.stop()
    const stopped = await getRun(t.db, run.id)
    expect(stopped?.status).toBe('queued')
    expect(stopped?.cursor).toBeTruthy()
    pageDelay = 0
    // the next process (a new job system on the same database) picks it up and completes it
    const { createRuntimeJobs } = await import('./runtime.ts')
    t.rt.jobs = createRuntimeJobs(t.rt, { pollingIntervalSeconds: 0.5 })
    await t.rt.jobs.start({ workers: true, scheduler: false })
    const done = await t.waitForRun(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.counts.resolved).toBe(0)
  })
})
