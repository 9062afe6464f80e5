import { startJiraSimulator } from '@vulnsync/simulators/jira/index.ts'
// @ts-expect-error: the parser ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config.ts'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'
import { startMetricsListener } from './serve.ts'

/**
 * /metrics in the Prometheus text format, read back with a Prometheus text parser: behind its own token on the main
 * listener, or on a listener of its own; sync runs, durations, records and skips, upstream requests and 429s, the
 * job queue, open issues, SLA breaches and HTTP durations by route.
 */
interface Family {
  name: string
  help: string
  type: string
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[]
}
const parse = (text: string): Map<string, Family> =>
  new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]))
const sample = (f: Family | undefined, labels: Record<string, string>) =>
  f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
/**
 * A labelled histogram's series, read from the text: the parser (a port of an early Python client parser) folds the
 * buckets of every label set into one, so it proves the family's shape and these lines prove each series.
 */
const series = (text: string, name: string, labels: string) => {
  const value = (suffix: string, extra = '') =>
    Number(new RegExp(`^${name}_${suffix}\\{${labels}${extra}\\} (\\S+)$`, 'm').exec(text)?.[1])
  return {
    count: value('count'),
    sum: value('sum'),
    inf: value('bucket', ',le="\\+Inf"'),
    first: value('bucket', ',le="[^"]+"'),
  }
}

const TOKEN = 'metrics-scraper-token-0123456789'
const rows: TestRaw[] = [
  {
    id: 'm1',
    ids: ['CVE-2026-9001'],
    purl: 'pkg:npm/a@1.0.0',
    repo: 'https://github.com/acme/web',
    severity: 'critical',
    detectedAt: '2026-01-01T00:00:00Z',
  },
  { id: 'm2', ids: ['CVE-2026-9002'], purl: 'pkg:npm/b@1.0.0', repo: 'https://github.com/acme/web', severity: 'high' },
  {
    id: 'm3',
    ids: ['GHSA-only-one-id'],
    purl: 'pkg:npm/c@1.0.0',
    repo: 'https://github.com/acme/web',
    severity: 'low',
  },
]
const scanner = createTestConnector(() => arrayDataset(rows))

describe('/metrics', () => {
  let t: TestApp
  let sim: Awaited<ReturnType<typeof startJiraSimulator>>
  const scrape = (token: string | null = TOKEN) =>
    fetch(`${t.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

  beforeAll(async () => {
    sim = await startJiraSimulator()
    t = await startTestApp({ connectors: { test: scanner as any }, env: { VULNSYNC_METRICS_TOKEN: TOKEN } })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'w1' }])
    const s = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
    await t.waitForRun(s.body.run.id)
    await t.api('GET', '/api/v1/vulnerabilities?limit=5')
    sim.setFaults({ jiraRateLimitNext: 1, jiraRetryAfter: 0 })
    const j = await t.api('POST', '/api/v1/connections', {
      kind: 'jira',
      name: 'Jira',
      config: { siteUrl: sim.url, projectKey: 'SEC' },
      secrets: { email: 'bot@acme.example', apiToken: 'jira-token' },
    })
    expect(j.status).toBe(201)
    await t.waitForRun(j.body.run.id)
  })
  afterAll(async () => {
    await t?.close()
    await sim?.close()
  })

  it('needs its own token on the main listener', async () => {
    expect((await scrape(null)).status).toBe(401)
    expect((await scrape(t.token)).status).toBe(401) // an API token is not the scraper's token
    const ok = await scrape()
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  it('parses, with the metrics an operator needs, named by the conventions', async () => {
    const text = await (await scrape()).text()
    expect(text.endsWith('\n')).toBe(true)
    const m = parse(text)
    for (const [name, type] of <[string, string][]>[
      ['vulnsync_sync_runs_total', 'COUNTER'],
      ['vulnsync_sync_run_duration_seconds', 'HISTOGRAM'],
      ['vulnsync_sync_records_fetched_total', 'COUNTER'],
      ['vulnsync_sync_records_skipped_total', 'COUNTER'],
      ['vulnsync_upstream_requests_total', 'COUNTER'],
      ['vulnsync_upstream_rate_limited_total', 'COUNTER'],
      ['vulnsync_job_queue_depth', 'GAUGE'],
      ['vulnsync_open_issues', 'GAUGE'],
      ['vulnsync_sla_breached_issues', 'GAUGE'],
      ['vulnsync_http_request_duration_seconds', 'HISTOGRAM'],
      ['vulnsync_build_info', 'GAUGE'],
    ])
      expect(m.get(name)?.type, name).toBe(type)
    expect(
      Number(sample(m.get('vulnsync_sync_runs_total'), { connector_kind: 'test', outcome: 'succeeded' })?.value),
    ).toBe(1)
    expect(
      Number(sample(m.get('vulnsync_sync_runs_total'), { connector_kind: 'jira', outcome: 'succeeded' })?.value),
    ).toBe(1)
    const run = series(text, 'vulnsync_sync_run_duration_seconds', 'connector_kind="test"')
    expect(run.count).toBe(1)
    expect(run.inf).toBe(1)
    expect(run.sum).toBeGreaterThan(0)
    expect(Number(sample(m.get('vulnsync_sync_records_fetched_total'), { connector_kind: 'test' })?.value)).toBe(3)
    expect(
      Number(sample(m.get('vulnsync_sync_records_skipped_total'), { connector_kind: 'test', reason: 'no_cve' })?.value),
    ).toBe(1)
    expect(
      Number(sample(m.get('vulnsync_upstream_requests_total'), { connector_kind: 'jira', status_class: '2xx' })?.value),
    ).toBeGreaterThanOrEqual(4)
    expect(Number(sample(m.get('vulnsync_upstream_rate_limited_total'), { connector_kind: 'jira' })?.value)).toBe(1)
    expect(Number(sample(m.get('vulnsync_open_issues'), { priority: 'critical' })?.value)).toBe(1)
    expect(Number(sample(m.get('vulnsync_open_issues'), { priority: 'high' })?.value)).toBe(1)
    // detected 2026-01-01, critical: 7 days, long past
    expect(Number(sample(m.get('vulnsync_sla_breached_issues'), { priority: 'critical' })?.value)).toBe(1)
    expect(m.get('vulnsync_job_queue_depth')!.metrics.every((x) => x.labels?.queue?.startsWith('vulnsync-'))).toBe(true)
    const route = series(
      text,
      'vulnsync_http_request_duration_seconds',
      'route="/api/v1/vulnerabilities",method="GET",status_class="2xx"',
    )
    expect(route.count).toBeGreaterThanOrEqual(1)
    expect(route.inf).toBe(route.count)
    expect(Object.keys(m.get('vulnsync_http_request_duration_seconds')!.metrics[0]!.buckets!)).toContain('0.005')
    // no label carries an id, a CVE or a user
    expect(text).not.toMatch(/CVE-|acme\/web|\/vulnerabilities\/\d/)
    // counters end in _total, durations are seconds
    for (const f of m.values()) if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/)
  })

  it('serves a listener of its own when the operator chooses an address', async () => {
    const cfg = loadConfig({ VULNSYNC_METRICS_LISTEN: '127.0.0.1:0' })
    const listener = await startMetricsListener({ ...t.rt, config: cfg })
    try {
      const res = await fetch(listener!.url)
      expect(res.status).toBe(200)
      expect(parse(await res.text()).get('vulnsync_open_issues')?.type).toBe('GAUGE')
      expect((await fetch(listener!.url.replace('/metrics', '/api/v1/vulnerabilities'))).status).toBe(404)
    } finally {
      await listener!.close()
    }
    expect(() => loadConfig({ VULNSYNC_METRICS_LISTEN: 'nowhere' })).toThrow(/host:port/)
  })
})
