import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { describe, expect, it } from 'vitest'
import { poll, startTestApp } from './testing.ts'

/**
 * Two real `vulnsync worker` OS processes on one PostgreSQL (the API in a third process, with no workers), eight
 * Endor connections, each synced twice (the initial run, and a manual one requested while the first runs). Each
 * connection reaches the simulator through its own counting proxy, so what the simulator saw is known apart from
 * what the database says: both processes did work (their own log lines name the runs they finished), every run
 * succeeded, and no connection ever had two requests in flight (its two runs never overlapped) nor two runs whose
 * start-to-finish intervals overlap.
 */
const BIN = join(import.meta.dirname, '..', 'bin', 'vulnsync.mjs')
const CONNECTIONS = 8

interface Proc {
  child: ChildProcess
  output: string[]
}

const startWorker = (env: Record<string, string>): Proc => {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: {
      ...process.env,
      VULNSYNC_LOG_LEVEL: 'info',
      VULNSYNC_ALLOW_PRIVATE_NETWORKS: 'true',
      VULNSYNC_WORKER_CONCURRENCY: '2',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const onData = (d: Buffer) => output.push(...String(d).split('\n').filter(Boolean))
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  return { child, output }
}

const stop = async (p: Proc) => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const gone = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGTERM')
  const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000)
  await gone
  clearTimeout(t)
}

/** A proxy to the simulator for one connection: how many of its requests were in flight at most, and how many. */
const startProxy = async (target: string) => {
  const seen = { requests: 0, inFlight: 0, maxInFlight: 0 }
  const server: Server = createServer(async (req, res) => {
    seen.requests++
    seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight)
    try {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>
      const up = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      })
      const body = Buffer.from(await up.arrayBuffer())
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' })
      res.end(body)
    } catch (err) {
      res.writeHead(502).end(String(err))
    } finally {
      seen.inFlight--
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('two real worker processes on one PostgreSQL', () => {
  it('share eight connections, both do work, and no connection ever runs twice at once', async () => {
    // each sync reads several pages, 120 ms apiece: long enough for runs to overlap across the processes
    const endor = await startEndorSimulator({ findings: 600, projects: 6, faults: { latencyMs: 120 } })
    const proxies = await Promise.all(Array.from({ length: CONNECTIONS }, () => startProxy(endor.url)))
    const t = await startTestApp({ driver: 'postgres', workers: false })
    const procs: Proc[] = []
    try {
      const env = { DATABASE_URL: t.databaseUrl!, VULNSYNC_DATA_DIR: t.dataDir, VULNSYNC_BOOTSTRAP_TOKEN: t.token }
      procs.push(startWorker(env), startWorker(env))
      // both take jobs before any is queued: a process that starts slowly on a loaded machine would otherwise find
      // the other one had done all the work
      for (const p of procs)
        await poll(
          `worker ${p.child.pid} to be ready`,
          async () => (p.output.some((l) => l.includes('worker ready')) ? true : undefined),
          120_000,
        )
      const connections: { id: string; proxy: (typeof proxies)[number] }[] = []
      const runIds: string[] = []
      for (let k = 0; k < CONNECTIONS; k++) {
        const res = await t.api('POST', '/api/v1/connections', {
          kind: 'endor',
          name: `Endor ${k}`,
          config: { namespace: 'acme', baseUrl: proxies[k]!.url },
          secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
        })
        expect(res.status, JSON.stringify(res.body)).toBe(201)
        connections.push({ id: res.body.connection.id, proxy: proxies[k]! })
        runIds.push(res.body.run.id)
      }
      // a second run of each connection, asked for as soon as its first has started (most are still running then):
      // a run of a connection that is running has to wait its turn
      for (const [k, c] of connections.entries()) {
        await poll(
          `the first run of connection ${k} to start`,
          async () => {
            const { rows } = await t.db.query(`SELECT status FROM sync_runs WHERE id = $1`, [runIds[k]])
            return rows[0]?.status !== 'queued' ? true : undefined
          },
          120_000,
        )
        const res = await t.api('POST', `/api/v1/connections/${c.id}/syncs`)
        expect([201, 202], JSON.stringify(res.body)).toContain(res.status)
        runIds.push(res.body.run?.id ?? res.body.id)
      }
      const ids = [...new Set(runIds.filter(Boolean))]
      const runs = await poll(
        'every run to finish',
        async () => {
          const { rows } = await t.db.query<{
            id: string
            connection_id: string
            status: string
            started_at: Date | null
            finished_at: Date | null
          }>(
            `SELECT id, connection_id, status, started_at, finished_at FROM sync_runs WHERE connection_id = ANY($1::uuid[])`,
            [connections.map((c) => c.id)],
          )
          return rows.length >= ids.length && rows.every((r) => !['queued', 'running'].includes(r.status))
            ? rows
            : undefined
        },
        150_000,
      )
      expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'succeeded'))
      expect(runs.length).toBeGreaterThanOrEqual(CONNECTIONS * 2)

      // both processes finished runs, by their own logs; together they finished every run once (a process logs a
      // run's end after it stored it, and its output reaches this process a moment later: wait for the lines)
      const finishedIn = (p: (typeof procs)[number]) =>
        new Set(
          p.output
            .filter((l) => l.includes('sync run finished'))
            .map((l) => (JSON.parse(l) as { runId: string }).runId),
        )
      await poll(
        'every finished run in a worker log',
        async () => (runs.every((r) => procs.some((p) => finishedIn(p).has(r.id))) ? true : undefined),
        30_000,
      ).catch(() => undefined) // the assertions below say what is missing
      const finishedBy = procs.map(finishedIn)
      expect(finishedBy[0]!.size, procs[0]!.output.slice(-20).join('\n')).toBeGreaterThan(0)
      expect(finishedBy[1]!.size, procs[1]!.output.slice(-20).join('\n')).toBeGreaterThan(0)
      expect([...finishedBy[0]!].filter((id) => finishedBy[1]!.has(id))).toEqual([])
      expect(new Set([...finishedBy[0]!, ...finishedBy[1]!])).toEqual(new Set(runs.map((r) => r.id)))
      // runs of different connections ran side by side
      // (from the runs' own intervals: a poll every 100 ms could miss short runs that overlapped between two polls)
      const edges = runs.flatMap((r) => [
        { at: r.started_at!.getTime(), d: 1 },
        { at: r.finished_at!.getTime(), d: -1 },
      ])
      edges.sort((a, b) => a.at - b.at || a.d - b.d)
      let running = 0
      let mostRunning = 0
      for (const e of edges) {
        running += e.d
        mostRunning = Math.max(mostRunning, running)
      }
      expect(mostRunning).toBeGreaterThan(1)
      process.stdout.write(
        `two worker processes: ${runs.length} runs of ${CONNECTIONS} connections, ${finishedBy[0]!.size} and ${finishedBy[1]!.size} finished by each, at most ${mostRunning} running at once, ${proxies.reduce((a, p) => a + p.seen.requests, 0)} requests to the simulator\n`,
      )

      // never two runs of one connection at once: as the simulator saw it (one request in flight at a time per
      // connection, and every connection was read) and as the runs' intervals say
      for (const c of connections) {
        expect(c.proxy.seen.requests).toBeGreaterThan(0)
        expect(c.proxy.seen.maxInFlight).toBe(1)
        const mine = runs
          .filter((r) => r.connection_id === c.id)
          .sort((a, b) => a.started_at!.getTime() - b.started_at!.getTime())
        for (let k = 1; k < mine.length; k++)
          expect(mine[k]!.started_at!.getTime()).toBeGreaterThanOrEqual(mine[k - 1]!.finished_at!.getTime())
      }
    } catch (err) {
      for (const p of procs) process.stdout.write(`--- vulnsync worker ${p.child.pid}\n${p.output.join('\n')}\n`)
      throw err
    } finally {
      await Promise.all(procs.map(stop))
      await t.close()
      for (const p of proxies) await p.close()
      await endor.close()
    }
  }, 240_000)
})
