/**
 * The queue benchmark's cases, measured directly against the store: a page of 50 in the default sort (priority) as
 * the API asks for it (with its total), every single filter, the second and the hundredth page, the summary counts
 * and free text. Each case runs once to warm up, then `runs` times; p50, p95 and p99 of those.
 */
import { listIssues, type Queryable, type QueueFilter, summarizeIssues } from '@vulnsync/db'
import type { QueueDataset } from './queue-data.ts'

export interface CaseResult {
  name: string
  p50: number
  p95: number
  p99: number
  items: number
  total: number
  estimate: boolean
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}

/** The cases over a dataset: name → how one run reads the queue. */
export const queueCases = async (db: Queryable, ds: QueueDataset) => {
  const ws = ds.ws
  const page = (f: QueueFilter, cursor?: string) => listIssues(db, ws, f, { sort: 'priority', limit: 50, cursor })
  const now = new Date('2025-01-15T00:00:00Z')
  // a repository in the middle, a CVE and a package that exist, the busiest user, team and application
  const repo = ds.repositories[2500]!
  const sample = (
    await db.query<{ cve: string; package_key: string }>(
      `SELECT cve, package_key FROM issues WHERE workspace_id = $1 AND repository_id = $2 ORDER BY id LIMIT 1`,
      [ws, repo.id],
    )
  ).rows[0]!
  // the cursors of the second and the hundredth page, walked once here
  const first = await page({})
  let cursor = first.nextCursor!
  const second = cursor
  for (let k = 2; k < 100; k++) cursor = (await page({}, cursor)).nextCursor!
  const hundredth = cursor
  const filters: [string, QueueFilter][] = [
    ['default page', {}],
    ['source=snyk (30 %)', { source: ['snyk'] }],
    ['source=xray (8 %)', { source: ['xray'] }],
    ['connection (xray)', { connectionId: ds.connections.xray }],
    ['severity=critical', { severity: ['critical'] }],
    ['severity=low', { severity: ['low'] }],
    ['priority=high', { priority: ['high'] }],
    ['status=fixed', { status: ['fixed'] }],
    ['status=excluded', { status: ['excluded'] }],
    ['repository (id)', { repository: String(repo.id) }],
    ['repository (name)', { repository: repo.name }],
    ['CVE (exact)', { cve: sample.cve }],
    ['CVE (prefix)', { cve: 'CVE-2019-' }],
    ['package (purl)', { package: `${sample.package_key}@1.0.0` }],
    ['package (name part)', { package: 'package-12' }],
    ['assignee (busiest)', { assignee: ds.users[0] }],
    ['assignee=none', { assignee: null }],
    ['stage=triaged', { stage: ['triaged'] }],
    ['SLA breached', { sla: { states: ['breached'], now, dueSoonDays: 7 } }],
    ['SLA due soon', { sla: { states: ['due_soon'], now, dueSoonDays: 7 } }],
    ['team', { team: ds.teams[3] }],
    ['team=none', { team: null }],
    ['application', { application: ds.applications[7] }],
    ['KEV', { kev: true }],
    ['free text (package)', { q: 'lib-42' }],
    ['free text (repository)', { q: 'repo-4242' }],
    ['free text (rare)', { q: 'GHSA-bench-zz' }],
  ]
  const cases: [string, () => Promise<{ items: number; total: number; estimate: boolean }>][] = filters.map(
    ([name, f]) => [
      name,
      async () => {
        const r = await page(f)
        return {
          items: r.rows.length,
          total: r.total,
          estimate: Boolean((r as { totalIsEstimate?: boolean }).totalIsEstimate),
        }
      },
    ],
  )
  const pageAt = (c: string) => async () => {
    const r = await page({}, c)
    return {
      items: r.rows.length,
      total: r.total,
      estimate: Boolean((r as { totalIsEstimate?: boolean }).totalIsEstimate),
    }
  }
  cases.splice(1, 0, ['second page', pageAt(second)], ['hundredth page', pageAt(hundredth)])
  const summary = (f: QueueFilter) => async () => {
    const r = await summarizeIssues(db, ws, f)
    const rows = Array.isArray(r) ? r : (r as { rows: { kind: string; n: number }[] }).rows
    const total = rows.filter((x) => x.kind === 'severity').reduce((a, x) => a + x.n, 0)
    return { items: rows.length, total, estimate: Boolean((r as { estimate?: boolean }).estimate) }
  }
  cases.push(
    ['summary', summary({})],
    ['summary severity=critical', summary({ severity: ['critical'] })],
    ['summary team', summary({ team: ds.teams[3] })],
  )
  return cases
}

export const measureQueue = async (
  db: Queryable,
  ds: QueueDataset,
  o: { runs: number; only?: RegExp; log?: (line: string) => void },
): Promise<CaseResult[]> => {
  const out: CaseResult[] = []
  for (const [name, run] of await queueCases(db, ds)) {
    if (o.only && !o.only.test(name)) continue
    let last = await run()
    const ms: number[] = []
    for (let k = 0; k < o.runs; k++) {
      const t = performance.now()
      last = await run()
      ms.push(performance.now() - t)
    }
    const r = { name, p50: pct(ms, 50), p95: pct(ms, 95), p99: pct(ms, 99), ...last }
    o.log?.(
      `${name.padEnd(26)} p50 ${r.p50.toFixed(1).padStart(8)} ms  p95 ${r.p95.toFixed(1).padStart(8)} ms  ${r.items} items, total ${r.estimate ? '~' : ''}${r.total}`,
    )
    out.push(r)
  }
  return out
}
