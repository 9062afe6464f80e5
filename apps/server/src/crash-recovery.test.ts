import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { afterAll, describe, expect, it } from 'vitest'
import { poll, startTestApp, type TestApp } from './testing.ts'

/**
 * kill -9 in the middle of a sync, with real `vulnsync` OS processes: the next process to start proves the dead
 * one is gone (PostgreSQL: its lease, an advisory lock, went with its connection; PGlite: only one process can
 * have the database open) and resumes the run at once from its checkpoint, instead of after the 3-minute
 * stale-heartbeat fallback plus the next scheduler minute.
 */
const BIN = join(import.meta.dirname, '..', 'bin', 'vulnsync.mjs')

interface Proc {
  child: ChildProcess
  output: string[]
  url: Promise<string>
}

const startVulnsync = (args: string[], env: Record<string, string>): Proc => {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, VULNSYNC_LOG_LEVEL: 'info', VULNSYNC_ALLOW_PRIVATE_NETWORKS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      for (const line of String(d).split('\n')) {
        if (!line) continue
        output.push(line)
        const m = /"url":"(http:[^"]+)"/.exec(line)
        if (m) resolve(m[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`vulnsync ${args[0]} exited (${code}): ${output.join('\n')}`)))
  })
  url.catch(() => {})
  return { child, output, url }
}

const killHard = async (p: Proc) => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const gone = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGKILL')
  await gone
}

// a sync that takes several seconds: 80 Endor pages of 100 findings, 250 ms each. The engine writes a batch once half
// of it (2,500 records) is read or 5 s passed: 8,000 findings keep the run mid-sync, with a cursor, for seconds after
// its first write (with 4,000, the first write and the last could come close together and the poll miss the middle)
const slowEndor = () => startEndorSimulator({ findings: 8000, projects: 20, faults: { latencyMs: 250 } })

type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>
const connectEndor = (api: TestApp['api'] | Call, url: string) =>
  api('POST', '/api/v1/connections', {
    kind: 'endor',
    name: 'Endor crash test',
    config: { namespace: 'acme', baseUrl: url },
    secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
  })

const recoveries: Record<string, number> = {}
afterAll(() => {
  if (Object.keys(recoveries).length)
    process.stdout.write(
      `crash recovery after kill -9 (kill to run resumed by the next process): ${Object.entries(recoveries)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(', ')}\n`,
    )
})

describe('crash recovery with real processes', () => {
  it('PostgreSQL: a worker killed mid-sync is replaced by the next one at once, which resumes the run', async () => {
    const endor = await slowEndor()
    const t = await startTestApp({ driver: 'postgres', workers: false })
    const procs: Proc[] = []
    try {
      const env = {
        DATABASE_URL: t.databaseUrl!,
        VULNSYNC_DATA_DIR: t.dataDir,
        VULNSYNC_BOOTSTRAP_TOKEN: t.token,
      }
      const res = await connectEndor(t.api, endor.url)
      expect(res.status).toBe(201)
      const runId: string = res.body.run.id
      const runRow = async () => (await t.db.query(`SELECT * FROM sync_runs WHERE id = $1`, [runId])).rows[0]

      const a = startVulnsync(['worker'], env)
      procs.push(a)
      const first = await poll(
        'the first worker to be mid-sync',
        async () => {
          const r = await runRow()
          return r.status === 'running' && r.cursor && r.progress?.records >= 300 ? r : undefined
        },
        60_000,
      )
      expect(first.owner).toMatchObject({ pid: a.child.pid, driver: 'postgres' })

      await killHard(a)
      const killedAt = Date.now()
      // nothing else runs: without a new process the run would sit at `running` until the stale fallback
      expect((await runRow()).status).toBe('running')

      const b = startVulnsync(['worker'], env)
      procs.push(b)
      const resumed = await poll(
        'the next worker to resume the run',
        async () => {
          const r = await runRow()
          return r.owner?.pid === b.child.pid && r.status !== 'queued' ? r : undefined
        },
        60_000,
      )
      recoveries.postgres = Date.now() - killedAt
      expect(resumed.attempts).toBe(2)
      const done = await poll(
        'the resumed run to finish',
        async () => {
          const r = await runRow()
          return ['succeeded', 'failed', 'partial', 'held'].includes(r.status) ? r : undefined
        },
        120_000,
      )
      expect(done.status).toBe('succeeded')
      // it resumed from its checkpoint: every finding imported once, nothing resolved
      expect(done.counts.resolved).toBe(0)
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(DISTINCT source_key)::int AS n FROM occurrences WHERE connection_id = $1`,
        [res.body.connection.id],
      )
      expect(rows[0]!.n).toBeGreaterThan(0)
      expect(recoveries.postgres).toBeLessThan(30_000)
    } catch (err) {
      for (const p of procs) process.stdout.write(`--- vulnsync pid ${p.child.pid}\n${p.output.join('\n')}\n`)
      throw err
    } finally {
      for (const p of procs) await killHard(p)
      await t.close()
      await endor.close()
    }
  }, 240_000)

  it('PGlite: `vulnsync serve` killed mid-sync resumes the run as soon as it is started again', async () => {
    const endor = await slowEndor()
    const dataDir = mkdtempSync(join(tmpdir(), 'vulnsync-crash-'))
    const token = `vs_crash_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
    const env = { VULNSYNC_DATA_DIR: dataDir, VULNSYNC_BOOTSTRAP_TOKEN: token, PORT: '0' }
    const procs: Proc[] = []
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
      return { status: r.status, body: (await r.json()) as any }
    }
    try {
      const a = startVulnsync(['serve'], env)
      procs.push(a)
      const urlA = await a.url
      const res = await connectEndor((m: string, p: string, b?: unknown) => call(urlA, m, p, b), endor.url)
      expect(res.status).toBe(201)
      const runId: string = res.body.run.id
      await poll(
        'the sync to be under way',
        async () => {
          const r = await call(urlA, 'GET', `/api/v1/syncs/${runId}`)
          return r.body.status === 'running' && r.body.progress.records >= 300 ? r.body : undefined
        },
        60_000,
      )
      await killHard(a)
      const killedAt = Date.now()

      const b = startVulnsync(['serve'], env)
      procs.push(b)
      const urlB = await b.url
      await poll(
        'the restarted process to resume the run',
        async () => {
          const r = await call(urlB, 'GET', `/api/v1/syncs/${runId}`)
          return r.body.attempts === 2 && r.body.status !== 'queued' ? r.body : undefined
        },
        60_000,
      )
      recoveries.pglite = Date.now() - killedAt
      const done = await poll(
        'the resumed run to finish',
        async () => {
          const r = await call(urlB, 'GET', `/api/v1/syncs/${runId}`)
          return ['succeeded', 'failed', 'partial', 'held'].includes(r.body.status) ? r.body : undefined
        },
        120_000,
      )
      expect(done.status).toBe('succeeded')
      expect(done.counts.resolved).toBe(0)
      expect(recoveries.pglite).toBeLessThan(30_000)
    } finally {
      for (const p of procs) await killHard(p)
      await endor.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 240_000)
})
