import { isSkip } from '@vulnsync/core'
import { generatedRepo } from '@vulnsync/simulators/jfrog/dataset.ts'
import { JFROG_SIM, startJfrogSimulator } from '@vulnsync/simulators/jfrog/index.ts'
import { expect, it } from 'vitest'
import { jfrogConnector } from './index.ts'
import { jfrogCtx } from './testing.ts'

/**
 * The figure the issue asks for: Xray calls and time to read a 10,000-artifact repository
 * (20 vulnerable components per artifact = 200,000), through the connector against the simulator, mapping included.
 */
const measure = async (packageType: 'Npm' | 'Docker') => {
  const sim = await startJfrogSimulator({
    repos: [
      generatedRepo({ key: 'bulk-local', packageType, artifacts: 10_000, vulnsPerArtifact: 20, sourceEvery: 10 }),
    ],
  })
  try {
    const ctx = jfrogCtx(sim.url, JFROG_SIM.readerToken, JFROG_SIM.readerUser)
    const started = performance.now()
    let recordCount = 0
    let findings = 0
    const skipped: Record<string, number> = {}
    let heapMax = 0
    for await (const e of jfrogConnector.read(ctx, { selection: ['bulk-local'], cursor: null })) {
      if (e.type !== 'record') continue
      recordCount++
      const m = jfrogConnector.map(e.raw, { fetchedAt: new Date() })
      if (isSkip(m)) skipped[m.skip] = (skipped[m.skip] ?? 0) + 1
      else findings += m.length
      if (recordCount % 20_000 === 0) heapMax = Math.max(heapMax, process.memoryUsage().heapUsed)
    }
    const ms = performance.now() - started
    const figures = {
      packageType,
      artifacts: 10_000,
      vulnerableComponents: recordCount,
      findings,
      skipped,
      xrayCalls: sim.calls.xray,
      summaryCalls: sim.calls.summary,
      statusCalls: sim.calls.status,
      aqlCalls: sim.calls.aql,
      totalRequests: sim.stats.requests,
      seconds: Math.round(ms / 100) / 10,
      heapMaxMB: Math.round(heapMax / 1e6),
    }
    console.log('jfrog 10k-artifact repository:', JSON.stringify(figures))
    return { recordCount, calls: { ...sim.calls } }
  } finally {
    await sim.close()
  }
}

it('reads a 10,000-artifact npm repository (200,000 vulnerable components) in 100 Xray calls', async () => {
  const r = await measure('Npm')
  expect(r.recordCount).toBe(200_000)
  expect(r.calls.summary).toBe(100)
  expect(r.calls.xray).toBe(100)
  expect(r.calls.aql).toBe(12) // 1 source-property query + 10 full pages + 1 empty page
}, 300_000)

it('reads a 10,000-tag Docker repository (200,000 vulnerable components) in 100 Xray calls', async () => {
  const r = await measure('Docker')
  expect(r.recordCount).toBe(200_000)
  expect(r.calls.xray).toBe(100)
  expect(r.calls.aql).toBe(12)
}, 300_000)
