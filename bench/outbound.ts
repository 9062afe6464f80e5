/**
 * Outbound benchmark on PGlite: N new issues from one sync, then the outbox pass that turns them into events and
 * deliveries, the delivery of every event to a local webhook receiver (signed), a /metrics scrape and the two VEX
 * exports of the whole queue. Prints milliseconds and rates (one process, the machine as it is).
 *
 *   node apps/server/bin/run-ts.mjs bench/outbound.ts [N=20000]
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { deliverDue } from '../apps/server/src/outbound/deliver.ts'
import { produceOutbound } from '../apps/server/src/outbound/outbox.ts'
import { arrayDataset, createTestConnector, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import { seedRepositories } from '../apps/server/src/sync/test-support.ts'
import { startTestApp } from '../apps/server/src/testing.ts'

const N = Number(process.argv[2] ?? 20_000)
const REPOS = 50
const SEVERITIES = ['critical', 'high', 'medium', 'low']
const rows: TestRaw[] = Array.from({ length: N }, (_, i) => ({
  id: `b${i}`,
  ids: [`CVE-2026-${String(10_000 + i)}`],
  purl: `pkg:npm/lib-${i % 2_000}@1.${i % 7}.0`,
  repo: `https://github.com/acme/r${i % REPOS}`,
  severity: SEVERITIES[i % 4]!,
}))
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 1_000 })

let received = 0
const receiver = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    received++
    res.writeHead(204).end()
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`

const ms = (t0: number) => Math.round(performance.now() - t0)
const t = await startTestApp({
  connectors: { test: scanner as any },
  env: { VULNSYNC_METRICS_TOKEN: 'bench-metrics-token-0123' },
})
try {
  await seedRepositories(
    t.db,
    t.rt.workspaceId,
    Array.from({ length: REPOS }, (_, i) => ({ fullName: `acme/r${i}`, externalId: `r${i}` })),
  )
  await produceOutbound(t.rt) // the outbox starts here
  const sub = await t.api('POST', '/api/v1/notifications/subscriptions', {
    name: 'bench',
    kind: 'webhook',
    url: hook,
    events: ['issue.new'],
  })
  if (sub.status !== 201) throw new Error(JSON.stringify(sub.body))
  let t0 = performance.now()
  const s = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
  const run = await t.waitForRun(s.body.run.id, { timeoutMs: 600_000 })
  const syncMs = ms(t0)
  t0 = performance.now()
  const produced = await produceOutbound(t.rt)
  const produceMs = ms(t0)
  t0 = performance.now()
  let delivered = 0
  for (;;) {
    const d = await deliverDue(t.rt, { limit: 500, concurrency: 8 })
    delivered += d.delivered
    if (d.attempted === 0) break
  }
  const deliverMs = ms(t0)
  t0 = performance.now()
  const scrape = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer bench-metrics-token-0123' } })
  const metricsBytes = (await scrape.text()).length
  const metricsMs = ms(t0)
  const vex = async (path: string) => {
    const t1 = performance.now()
    const res = await fetch(`${t.url}${path}?status=open`, { headers: { authorization: `Bearer ${t.token}` } })
    const bytes = (await res.text()).length
    return { ms: ms(t1), bytes, status: res.status }
  }
  const cdx = await vex('/api/v1/exports/cyclonedx-vex')
  const ovx = await vex('/api/v1/exports/openvex')
  const out = {
    issues: N,
    sync: { status: run.status, ms: syncMs },
    outbox: { ...produced, ms: produceMs, eventsPerSecond: Math.round((produced.events / produceMs) * 1000) },
    deliveries: { delivered, received, ms: deliverMs, perSecond: Math.round((delivered / deliverMs) * 1000) },
    metrics: { status: scrape.status, ms: metricsMs, bytes: metricsBytes },
    cyclonedxVex: cdx,
    openvex: ovx,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
} finally {
  await t.close()
  receiver.close()
}
