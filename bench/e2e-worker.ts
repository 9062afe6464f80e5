/**
 * One side of the end-to-end connector benchmark, in its own process: an Endor Labs simulator in a child process
 * (bench/e2e-sim.ts) with N findings over 5,000 projects, a vulnsync runtime on the driver (PostgreSQL at the URL
 * given, or PGlite on disk) whose workspace has one repository per project with a git URL, an Endor connection created
 * through the API (POST /api/v1/connections, which checks it and queues the initial sync, as the product does), the
 * sync run by the runtime's own worker. Stage timers are on (core/profile.ts). Prints one JSON line; with
 * BENCH_PROFILE=1 also the time of each statement (stderr).
 *
 * Driver `sim`: no vulnsync at all, only the simulator's findings list read page after page (how fast it serves).
 * Driver `read`: the real connector reads the whole list from the simulator and each record is mapped and prepared as
 * the engine does, then dropped: no database (what the read side of the sync costs at least). With the database's own
 * cost of the rows the sync left (`databaseSecs`, printed by the postgres and pglite drivers), e2e.ts prints the
 * ceiling no engine can pass on this machine.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { connectionContext, silentLogger } from '@vulnsync/connectors'
import { FINDINGS_FILTER } from '@vulnsync/connectors/endor/read.ts'
import { CONNECTORS } from '@vulnsync/connectors/registry.ts'
import { canonicalRepo, isSkip, stageTimerTotals, startStageTimers } from '@vulnsync/core'
import { type Db, getRun } from '@vulnsync/db'
import { createEndorDataset } from '@vulnsync/simulators/endor/index.ts'
import { createRuntime, defaultRegistry } from '../apps/server/src/bootstrap.ts'
import { loadConfig } from '../apps/server/src/config.ts'
import { buildApp } from '../apps/server/src/http/app.ts'
import { createLogger } from '../apps/server/src/logger.ts'
import { digestRecord, occurrencesOf } from '../apps/server/src/sync/prepare.ts'
import { seedRepositories } from '../apps/server/src/sync/test-support.ts'
import { cpuMeter, isLocalServer, openBenchDb, printProfile, profiledDb, schemaSecs } from './support.ts'

const [driver, countArg, projectsArg, pgUrl] = process.argv.slice(2)
/** CPU seconds spread over `n` findings, in µs a finding (null: not measured) */
const usPerFinding = <T extends number | null>(secs: T, n: number): T =>
  (secs === null ? null : Math.round((secs * 1e6) / n)) as T
const findings = Number(countArg ?? 100_000)
const projects = Number(projectsArg ?? 5_000)
const log = (line: string) => process.stderr.write(`  ${driver}: ${line}\n`)
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

/** The simulator in a child process; resolves once it listens. */
const startSim = async () => {
  const child = spawn(
    process.execPath,
    ['apps/server/bin/run-ts.mjs', 'bench/e2e-sim.ts', String(findings), String(projects)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d) => {
      buf += String(d)
      const line = buf.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line).url)
    })
    child.on('exit', (code) => reject(new Error(`the simulator exited (${code})`)))
  })
  const stats = async () =>
    ((await (await fetch(`${url}/__sim/faults`)).json()) as { stats: { requests: number } }).stats
  return {
    url,
    stats,
    /** the simulator's process, whose CPU cpuMeter counts */
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin!.end()
      }),
  }
}

/** Reads the whole findings list as the connector asks for it, with nothing else: the simulator's own pace. */
const simAlone = async (url: string) => {
  const auth = (await (
    await fetch(`${url}/v1/auth/api-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'endr+sim-key', secret: 'endr+sim-secret' }),
    })
  ).json()) as { token: string }
  let pageId: string | undefined
  let n = 0
  let pages = 0
  let bytes = 0
  const t0 = performance.now()
  for (;;) {
    const q = new URLSearchParams({
      'list_parameters.filter': FINDINGS_FILTER,
      'list_parameters.traverse': 'true',
      'list_parameters.page_size': '500',
      ...(pageId ? { 'list_parameters.page_id': pageId } : {}),
    })
    const res = await fetch(`${url}/v1/namespaces/acme/findings?${q}`, {
      headers: { authorization: `Bearer ${auth.token}` },
    })
    const text = await res.text()
    bytes += text.length
    const body = JSON.parse(text) as { list: { objects: unknown[]; response: { next_page_id?: string } } }
    n += body.list.objects.length
    pages++
    pageId = body.list.response.next_page_id
    if (!pageId || body.list.objects.length === 0) break
  }
  const secs = (performance.now() - t0) / 1000
  return {
    driver: 'sim',
    datasetFindings: findings,
    listed: n,
    pages,
    mbPerPage: +(bytes / pages / 1e6).toFixed(2),
    secs: +secs.toFixed(1),
    findingsPerSec: Math.round(n / secs),
    msPerPage: +((secs * 1000) / pages).toFixed(1),
    load: load(),
  }
}

/**
 * The read side alone: the Endor connector (paging, parsing, validation) reads the whole list from the simulator, and
 * each record is mapped and prepared as the engine's read does (apps/server/src/sync/read.ts), then dropped. Its rate
 * and the CPU a finding costs this process and the simulator.
 */
const readAlone = async (sim: { url: string; pid: number }) => {
  const connector = CONNECTORS.endor
  const ctx = connectionContext(connector, 'read', {
    config: connector.configSchema.parse({ namespace: 'acme', baseUrl: sim.url }),
    secrets: connector.secretsSchema.parse({ apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' }),
    logger: silentLogger,
    allowPrivateNetworks: true,
  })
  const fetchedAt = new Date()
  let fetched = 0
  let prepared = 0
  const cpu = cpuMeter({ pid: sim.pid })
  const t0 = performance.now()
  for await (const ev of connector.read(ctx, { selection: null, cursor: null })) {
    if (ev.type !== 'record') continue
    fetched++
    const mapped = connector.map(ev.raw, { fetchedAt })
    if (isSkip(mapped)) continue
    // as the engine does: every record digested, stored as the text its digest was made of
    const { record, digest } = digestRecord(connector.kind, ev)
    prepared += occurrencesOf(
      mapped,
      record,
      ev.scope,
      (err) => {
        throw err
      },
      digest,
    ).length
  }
  const secs = (performance.now() - t0) / 1000
  const used = cpu()
  return {
    driver: 'read',
    datasetFindings: findings,
    fetched,
    prepared,
    secs: +secs.toFixed(1),
    findingsPerSec: Math.round(fetched / secs),
    cpuUsPerFinding: usPerFinding(used.self, fetched),
    simCpuUsPerFinding: usPerFinding(used.other, fetched),
    load: load(),
  }
}

/** The database with the time spent in its calls summed (a call's wall time, writes overlapping reads included). */
const timedDb = (db: Db) => {
  const t = { ms: 0, calls: 0 }
  const wrap = <F extends (...a: any[]) => Promise<any>>(f: F): F =>
    (async (...a: any[]) => {
      const t0 = performance.now()
      try {
        return await f(...a)
      } finally {
        t.ms += performance.now() - t0
        t.calls++
      }
    }) as F
  const proxied = Object.create(db) as Db
  ;(proxied as any).query = wrap(db.query.bind(db))
  ;(proxied as any).transaction = wrap(db.transaction.bind(db))
  return { db: proxied, t }
}

const profile = new Map<string, { n: number; ms: number }>()
const sim = await startSim()
const tmp = mkdtempSync(join(tmpdir(), 'vulnsync-bench-e2e-'))
try {
  if (driver === 'sim') {
    process.stdout.write(`${JSON.stringify(await simAlone(sim.url))}\n`)
  } else if (driver === 'read') {
    process.stdout.write(`${JSON.stringify(await readAlone(sim))}\n`)
  } else {
    const raw = await openBenchDb(driver!, pgUrl || undefined, join(tmp, 'pgdata'))
    // BENCH_PROFILE=1: the time of each statement too, printed to stderr at the end
    const { db, t: dbTime } = timedDb(process.env.BENCH_PROFILE ? profiledDb(raw, profile) : raw)
    const token = `vs_bench_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
    const cfg = loadConfig({
      VULNSYNC_DATA_DIR: join(tmp, 'data'),
      VULNSYNC_BOOTSTRAP_TOKEN: token,
      VULNSYNC_LOG_LEVEL: 'warn',
      VULNSYNC_ALLOW_PRIVATE_NETWORKS: 'true',
    })
    const sink = new Writable({ write: (_c, _e, cb) => cb() })
    const rt = await createRuntime(cfg, createLogger({ level: 'warn', destination: sink }), {
      db,
      connectors: defaultRegistry(),
      pollingIntervalSeconds: 0.5,
    })
    // the inventory: one repository per project that names a git repository (same dataset as the simulator's)
    const ds = createEndorDataset({ findings, projects })
    const repos = new Map<string, string>()
    for (let i = 0; i < ds.projectCount; i++) {
      const url = ds.project(i).spec?.git?.http_clone_url
      const r = url ? canonicalRepo(url) : null
      if (r) repos.set(r.key, r.fullName)
    }
    await seedRepositories(
      raw,
      rt.workspaceId,
      [...repos].map(([key, fullName], i) => ({ fullName, webUrl: `https://${key}`, externalId: `e2e-${i}` })),
    )
    log(`${repos.size.toLocaleString('en')} repositories seeded; load ${load()}`)
    await rt.jobs.start({ workers: true, scheduler: false })
    const app = await buildApp(rt, { webDist: null })
    startStageTimers()
    const dbBefore = { ...dbTime }
    // memory of this process over the sync, and the CPU of every process on the cores: this one (the runtime, and on
    // PGlite the database in it), the simulator and the embedded PostgreSQL server (null: not on this machine)
    const rssBeforeMb = process.memoryUsage().rss / 2 ** 20
    const peakBeforeMb = process.resourceUsage().maxRSS / 1024
    const onTheCores = { pid: sim.pid, server: driver === 'postgres' && isLocalServer(pgUrl!) }
    const cpuOfSync = cpuMeter(onTheCores)
    const tPost = performance.now()
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: {
        kind: 'endor',
        name: 'Endor e2e',
        config: { namespace: 'acme', baseUrl: sim.url },
        secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
      },
    })
    if (res.statusCode !== 201) throw new Error(`creating the connection: HTTP ${res.statusCode} ${res.body}`)
    const { id: runId, connectionId } = (res.json() as { run: { id: string; connectionId: string } }).run
    /** the run, once it has ended */
    const ended = async (id: string) => {
      let r = await getRun(raw, id)
      let lastLog = performance.now()
      while (!r || !['succeeded', 'failed', 'partial', 'cancelled', 'held'].includes(r.status)) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        r = await getRun(raw, id)
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now()
          log(`${r?.counts.fetched.toLocaleString('en')} findings read; load ${load()}`)
        }
      }
      return r
    }
    const run = await ended(runId)
    const wall = (performance.now() - tPost) / 1000
    const cpu = cpuOfSync()
    const peakRssMb = process.resourceUsage().maxRSS / 1024
    const runSecs = (run.finished_at!.getTime() - run.started_at!.getTime()) / 1000
    const stages = stageTimerTotals()
    const readSecs = runSecs - ((stages['engine.resolve']?.ms ?? 0) + (stages['engine.afterRun']?.ms ?? 0)) / 1000
    const issues = (await raw.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
    // the same sync again, nothing changed at the vendor: what runs every six hours
    log(`first sync ${run.status}; the same sync again, unchanged; load ${load()}`)
    const cpuOfResync = cpuMeter(onTheCores)
    const resync = await app.inject({
      method: 'POST',
      url: `/api/v1/connections/${connectionId}/syncs`,
      headers: { authorization: `Bearer ${token}` },
    })
    if (resync.statusCode >= 300) throw new Error(`starting the re-sync: HTTP ${resync.statusCode} ${resync.body}`)
    const rerun = await ended((resync.json() as { run: { id: string } }).run.id)
    const rerunCpu = cpuOfResync()
    const rerunSecs = (rerun.finished_at!.getTime() - rerun.started_at!.getTime()) / 1000
    // what the rows the sync left cost the database alone (ingest-worker's ceilings do the same)
    await app.close()
    await rt.jobs.stop()
    const databaseSecs = await schemaSecs(raw)
    const out = {
      driver,
      status: run.status,
      datasetFindings: findings,
      projects,
      repositories: repos.size,
      fetched: run.counts.fetched,
      occurrences: run.counts.created,
      unmatched: run.counts.unmatched,
      skipped: run.counts.skipped,
      issues,
      runSecs: +runSecs.toFixed(1),
      readSecs: +readSecs.toFixed(1),
      wallSecs: +wall.toFixed(1),
      findingsPerSec: Math.round(run.counts.fetched / runSecs),
      readFindingsPerSec: Math.round(run.counts.fetched / readSecs),
      vendorRequests: (await sim.stats()).requests,
      dbCallMs: Math.round(dbTime.ms - dbBefore.ms),
      dbCalls: dbTime.calls - dbBefore.calls,
      cpuUsPerFinding: usPerFinding(cpu.self, run.counts.fetched),
      simCpuUsPerFinding: usPerFinding(cpu.other, run.counts.fetched),
      serverCpuUsPerFinding: usPerFinding(cpu.server, run.counts.fetched),
      databaseSecs,
      databaseUsPerFinding: usPerFinding(
        Object.values(databaseSecs).reduce((a, b) => a + b, 0),
        run.counts.fetched,
      ),
      rssBeforeMb: Math.round(rssBeforeMb),
      peakBeforeMb: Math.round(peakBeforeMb),
      peakRssMb: Math.round(peakRssMb),
      stages,
      rerun: {
        status: rerun.status,
        unchanged: rerun.counts.unchanged,
        secs: +rerunSecs.toFixed(1),
        findingsPerSec: Math.round(rerun.counts.fetched / rerunSecs),
        cpuUsPerFinding: usPerFinding(rerunCpu.self, rerun.counts.fetched),
        simCpuUsPerFinding: usPerFinding(rerunCpu.other, rerun.counts.fetched),
        serverCpuUsPerFinding: usPerFinding(rerunCpu.server, rerun.counts.fetched),
      },
      load: load(),
    }
    process.stdout.write(`${JSON.stringify(out)}\n`)
    printProfile(profile, `${driver}: time by statement, ms total / calls`)
    await raw.close()
  }
} finally {
  await sim.close()
  rmSync(tmp, { recursive: true, force: true })
}
