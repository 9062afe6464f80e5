/**
 * One side of the workflow benchmark, in its own process: imports N generated findings through the engine, then
 * times a bulk assignment of 100,000 issues (the code path of POST /api/v1/vulnerabilities/bulk with a filter) and
 * the queue's default page with `sla=breached` and with `assignee=me` (the code path of GET /api/v1/vulnerabilities:
 * the first page of 50 in priority order and the filter's total). Prints one JSON line.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SLA_POLICY } from '@vulnsync/core'
import { createPgliteDb, createPostgresDb, listIssueIds, listIssues, migrate, type QueueFilter } from '@vulnsync/db'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { createTestConnector, type TestDataset, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import {
  newRun,
  seedConnection,
  seedRepositories,
  seedWorkspace,
  silentLogger,
} from '../apps/server/src/sync/test-support.ts'
import { changeIssues, lockIssues } from '../apps/server/src/workflow/issues.ts'

const [driver, countArg, url, roundsArg] = process.argv.slice(2)
const count = Number(countArg ?? 1_000_000)
const rounds = Number(roundsArg ?? 20)
const BULK = Math.min(100_000, count)
const REPOS = 500
const SEVERITIES = ['critical', 'high', 'medium', 'low']
const DAY = 86_400_000

// detection times spread over 1,000 days before "now", so every SLA state occurs
const now = new Date()
const dataset: TestDataset = {
  size: count,
  record: (i): TestRaw => ({
    id: `finding-${i}`,
    ids: [`CVE-${2015 + (i % 10)}-${String(100000 + i)}`],
    purl: `pkg:npm/package-${i % 20000}@1.${i % 7}.${i % 13}`,
    repo: `https://github.com/bench-org/repo-${i % REPOS}`,
    severity: SEVERITIES[i % 4]!,
    detectedAt: new Date(now.getTime() - (i % 1000) * DAY - 3_600_000).toISOString(),
  }),
}

const dataDir = driver === 'pglite' ? mkdtempSync(join(tmpdir(), 'vulnsync-bench-pglite-')) : undefined
const db = driver === 'postgres' ? await createPostgresDb(url!, { max: 4 }) : await createPgliteDb(dataDir)
await migrate(db)
const ws = await seedWorkspace(db)
await seedRepositories(
  db,
  ws,
  Array.from({ length: REPOS }, (_, i) => ({ fullName: `bench-org/repo-${i}`, externalId: String(i) })),
)
const conn = await seedConnection(db, ws, { name: 'bench' })
const connector = createTestConnector(() => dataset, { pageSize: 1000 })
const t0 = performance.now()
const run = await executeRun(
  { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 2000 },
  connector,
  conn,
  await newRun(db, conn),
  new AbortController().signal,
)
if (run.status !== 'succeeded') throw new Error(`import ${run.status}: ${JSON.stringify(run.error)}`)
const importSecs = (performance.now() - t0) / 1000
const issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
await db.query('ANALYZE')

const me = (
  await db.query<{ id: string }>(
    `INSERT INTO users (workspace_id, username, role) VALUES ($1, 'bench-me', 'member') RETURNING id`,
    [ws],
  )
).rows[0]!.id

// the bulk assignment: 100,000 of the issues matching `severity=high,medium`, to one user, in one transaction
const actor = { name: 'bench-me', kind: 'user' as const }
const tb = performance.now()
const ids = (await listIssueIds(db, ws, { severity: ['high', 'medium'] })).slice(0, BULK)
const changed = await db.transaction(async (tx) =>
  changeIssues(tx, ws, await lockIssues(tx, ws, ids), { assigneeId: me }, actor, {
    now,
    bulkId: randomUUID(),
  }),
)
const bulkSecs = (performance.now() - tb) / 1000

const sla: QueueFilter['sla'] = { states: ['breached'], now, dueSoonDays: DEFAULT_SLA_POLICY.dueSoonDays }
const cases: Record<string, QueueFilter> = {
  default: {},
  'sla=breached': { sla },
  'assignee=me': { assignee: me },
}
const stats: Record<string, { medianMs: number; p95Ms: number; total: number }> = {}
for (const [name, f] of Object.entries(cases)) {
  const ms: number[] = []
  let total = 0
  for (let k = 0; k < rounds + 2; k++) {
    const s = performance.now()
    const page = await listIssues(db, ws, f, { sort: 'priority', limit: 50 })
    if (k >= 2) ms.push(performance.now() - s) // two warm-up rounds
    total = page.total
  }
  ms.sort((a, b) => a - b)
  stats[name] = {
    medianMs: ms[Math.floor(ms.length / 2)]!,
    p95Ms: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)]!,
    total,
  }
}
await db.close()
if (dataDir) rmSync(dataDir, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({ driver, count, issues, importSecs, bulk: { ids: ids.length, changed, secs: bulkSecs }, stats })}\n`,
)
