/**
 * One side of the queue benchmark, in its own process: builds N issues (bench/queue-data.ts: a base set through the
 * engine, the rest copied in SQL with realistic spreads), measures every queue case directly against the store
 * (bench/queue-cases.ts), then C concurrent clients over HTTP on the default page for a few seconds. Flags after the
 * count: `--runs=N` timed runs per case (default 30), `--clients=C` (default 20, 0 = no HTTP part),
 * `--seconds=S` of HTTP load (default 15). Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createRuntime, defaultRegistry } from '../apps/server/src/bootstrap.ts'
import { loadConfig } from '../apps/server/src/config.ts'
import { buildApp } from '../apps/server/src/http/app.ts'
import { createLogger } from '../apps/server/src/logger.ts'
import { measureQueue } from './queue-cases.ts'
import { buildQueueDataset } from './queue-data.ts'
import { openBenchDb } from './support.ts'

const [driver, countArg, ...rest] = process.argv.slice(2)
const url = rest.at(-1)
const flags = rest.slice(0, -1)
const flag = (name: string, dflt: number) => {
  const v = flags.find((f) => f.startsWith(`--${name}=`))
  const n = v ? Number(v.slice(name.length + 3)) : dflt
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}=N: N is a whole number`)
  return n
}
const count = Number(countArg ?? 1_000_000)
if (!Number.isInteger(count) || count < 1) throw new Error('the issue count is a positive integer')
const runs = flag('runs', 30)
const clients = flag('clients', 20)
const seconds = flag('seconds', 15)
const log = (line: string) => process.stderr.write(`  ${driver}: ${line}\n`)

const tmp = mkdtempSync(join(tmpdir(), 'vulnsync-bench-queue-'))
const db = await openBenchDb(driver!, url || undefined, join(tmp, 'pgdata'))
const t0 = performance.now()
const ds = await buildQueueDataset(db, count, { log })
const buildSecs = (performance.now() - t0) / 1000
log(`${ds.issues.toLocaleString('en')} issues in ${buildSecs.toFixed(0)} s`)
const cases = await measureQueue(db, ds, { runs, log })

/** C clients, each asking for the default page again as soon as it has the answer, for `seconds`. */
const overHttp = async () => {
  const token = `vs_bench_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
  const cfg = loadConfig({
    VULNSYNC_DATA_DIR: join(tmp, 'data'),
    VULNSYNC_BOOTSTRAP_TOKEN: token,
    VULNSYNC_LOG_LEVEL: 'warn',
  })
  const sink = new Writable({ write: (_c, _e, cb) => cb() })
  const rt = await createRuntime(cfg, createLogger({ level: 'warn', destination: sink }), {
    db,
    connectors: defaultRegistry(),
  })
  const app = await buildApp(rt, { webDist: null })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const headers = { authorization: `Bearer ${token}` }
  const get = async () => {
    const t = performance.now()
    const res = await fetch(`${base}/api/v1/vulnerabilities?limit=50`, { headers })
    const body = (await res.json()) as { items?: unknown[] }
    return { ms: performance.now() - t, ok: res.status === 200 && body.items?.length === 50 }
  }
  await get()
  const ms: number[] = []
  let errors = 0
  const end = performance.now() + seconds * 1000
  const client = async () => {
    while (performance.now() < end) {
      const r = await get().catch(() => ({ ms: 0, ok: false }))
      if (r.ok) ms.push(r.ms)
      else errors++
    }
  }
  const t = performance.now()
  await Promise.all(Array.from({ length: clients }, client))
  const secs = (performance.now() - t) / 1000
  await app.close()
  const sorted = ms.sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
  const r = { clients, seconds: secs, requests: ms.length, rate: ms.length / secs, p50: at(50), p95: at(95), errors }
  log(
    `HTTP, ${clients} clients: ${r.rate.toFixed(0)} requests/s, p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, ${errors} errors`,
  )
  return r
}
const http = clients > 0 ? await overHttp() : null

await db.close()
rmSync(tmp, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({
    driver,
    count,
    issues: ds.issues,
    build: { secs: buildSecs, ingestSecs: ds.ingestSecs, copySecs: ds.copySecs, indexSecs: ds.indexSecs },
    cases,
    http,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
)
