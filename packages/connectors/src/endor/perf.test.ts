import { isSkip } from '@vulnsync/core'
import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import { endorConnector } from './index.ts'

/**
 * Import rate of a 100,000-finding namespace from the simulator (read + map, no database).
 * Opt-in: ENDOR_PERF=1 npx vitest run packages/connectors/src/endor/perf.test.ts  (ENDOR_PERF_FINDINGS to change the size)
 */
it.skipIf(!process.env.ENDOR_PERF)(
  'reads and maps a 100,000-finding namespace',
  async () => {
    const n = Number(process.env.ENDOR_PERF_FINDINGS ?? 100_000)
    const sim = await startEndorSimulator({ findings: n, projects: 400 })
    try {
      const ctx = createConnectorContext({
        config: { namespace: 'acme', baseUrl: sim.url },
        secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
        allowPrivateNetworks: true,
        sleep: async () => {},
      })
      const t0 = performance.now()
      let records = 0
      let mapped = 0
      let skipped = 0
      const heap0 = process.memoryUsage().heapUsed
      let heapMax = heap0
      for await (const ev of endorConnector.read(ctx, { selection: null, cursor: null })) {
        if (ev.type !== 'record') {
          if (ev.type === 'checkpoint') heapMax = Math.max(heapMax, process.memoryUsage().heapUsed)
          continue
        }
        records++
        const r = endorConnector.map(ev.raw, { fetchedAt: new Date() })
        if (isSkip(r)) skipped++
        else mapped += r.length
      }
      const secs = (performance.now() - t0) / 1000
      const line = `endor perf: ${n} generated findings, ${records} listed (main+vulnerability), ${mapped} CVE occurrences, ${skipped} skipped in ${secs.toFixed(1)} s = ${Math.round(n / secs)} generated findings/s, ${Math.round(records / secs)} listed findings/s; requests ${sim.stats.requests}; heap +${Math.round((heapMax - heap0) / 1e6)} MB peak`
      console.log(line)
      expect(records).toBeGreaterThan(n * 0.7)
    } finally {
      await sim.close()
    }
  },
  600_000,
)
