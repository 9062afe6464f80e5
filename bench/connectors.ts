/**
 * End-to-end import benchmark per scanner connector: simulator → connector (read + map) → engine → PGlite on disk,
 * with a repository inventory that matches every location, so findings become issues. Prints records/s and the
 * vendor requests spent. Not part of `npm test`.
 *
 *   npm run bench:connectors              # Endor 100,000 findings, OX 100,000 issues, JFrog 10,000 artifacts
 *   npm run bench:connectors -- endor 20000
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConnectorContext } from '@vulnsync/connectors'
import { endorConnector } from '@vulnsync/connectors/endor/index.ts'
import { jfrogConnector } from '@vulnsync/connectors/jfrog/index.ts'
import { oxConnector } from '@vulnsync/connectors/ox/index.ts'
import { canonicalRepo, type SourceConnector } from '@vulnsync/core'
import { createPgliteDb, migrate } from '@vulnsync/db'
import { startEndorSimulator, startJfrogSimulator, startOxSimulator } from '@vulnsync/simulators'
import { generatedRepo } from '@vulnsync/simulators/jfrog/dataset.ts'
import { JFROG_SIM } from '@vulnsync/simulators/jfrog/index.ts'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import {
  newRun,
  seedConnection,
  seedRepositories,
  seedWorkspace,
  silentLogger,
} from '../apps/server/src/sync/test-support.ts'

const only = process.argv[2]
const size = process.argv[3] ? Number(process.argv[3]) : undefined

interface Case {
  name: string
  connector: SourceConnector
  start(): Promise<{ url: string; config: unknown; secrets: unknown; requests: () => number; close(): Promise<void> }>
}

const cases: Case[] = [
  {
    name: 'endor',
    connector: endorConnector,
    start: async () => {
      const sim = await startEndorSimulator({ findings: size ?? 100_000, projects: 400 })
      return {
        url: sim.url,
        config: { namespace: 'acme', baseUrl: sim.url },
        secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
        requests: () => sim.stats.requests,
        close: () => sim.close(),
      }
    },
  },
  {
    name: 'ox',
    connector: oxConnector,
    start: async () => {
      const sim = await startOxSimulator({
        dataset: { issues: size ?? 100_000 },
        rateLimit: { hourLimit: 1_000_000, dayLimit: 1_000_000 },
      })
      return {
        url: sim.url,
        config: { baseUrl: sim.url },
        secrets: { apiToken: 'ox-sim-key' },
        requests: () => sim.stats.requests,
        close: () => sim.close(),
      }
    },
  },
  {
    name: 'jfrog',
    connector: jfrogConnector,
    start: async () => {
      const sim = await startJfrogSimulator({
        repos: [
          generatedRepo({
            key: 'bulk-local',
            packageType: 'Npm',
            artifacts: size ?? 10_000,
            vulnsPerArtifact: 20,
            sourceEvery: 1,
          }),
        ],
      })
      return {
        url: sim.url,
        config: { platformUrl: sim.url, username: JFROG_SIM.readerUser },
        secrets: { accessToken: JFROG_SIM.readerToken },
        requests: () => sim.stats.requests,
        close: () => sim.close(),
      }
    },
  },
]

for (const c of cases.filter((x) => !only || x.name === only)) {
  const sim = await c.start()
  const dir = mkdtempSync(join(tmpdir(), 'vulnsync-bench-conn-'))
  const db = await createPgliteDb(dir)
  try {
    await migrate(db)
    const ws = await seedWorkspace(db)
    // one repository per location (and per source URL the findings name), so findings become issues
    const ctx = createConnectorContext({
      config: sim.config,
      secrets: sim.secrets,
      baseUrl: c.connector.baseUrl(sim.config),
      allowPrivateNetworks: true,
      sleep: async () => {},
    })
    const urls = new Set<string>()
    if (c.connector.discover)
      for await (const l of c.connector.discover(ctx))
        if (l.target?.url ?? l.target?.sourceRepoUrl) urls.add((l.target.url ?? l.target.sourceRepoUrl)!)
    for (let i = 0; i < 200; i++) urls.add(`https://github.com/acme-corp/service-${String(i).padStart(4, '0')}`)
    const repos = [...urls].map((u) => canonicalRepo(u)).filter((r) => r !== null)
    await seedRepositories(
      db,
      ws,
      repos.map((r, i) => ({ fullName: r.fullName, webUrl: `https://${r.key}`, externalId: `r${i}` })),
    )
    const conn = await seedConnection(db, ws, { kind: c.name, name: c.name })
    conn.config = sim.config
    conn.secrets = sim.secrets
    const before = sim.requests()
    const t0 = performance.now()
    const out = await executeRun(
      { db, logger: silentLogger, allowPrivateNetworks: true, sleep: async () => {} },
      c.connector,
      conn,
      await newRun(db, conn),
      new AbortController().signal,
    )
    const secs = (performance.now() - t0) / 1000
    const issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
    console.log(
      `${c.name}: ${out.status}; ${out.counts.fetched.toLocaleString('en')} records → ${out.counts.created.toLocaleString('en')} occurrences, ${issues.toLocaleString('en')} issues, ${out.counts.unmatched} unmatched, skipped ${JSON.stringify(out.counts.skipped)}; ${secs.toFixed(1)} s = ${Math.round(out.counts.fetched / secs).toLocaleString('en')} records/s, ${Math.round(out.counts.created / secs).toLocaleString('en')} occurrences/s; ${(sim.requests() - before).toLocaleString('en')} vendor requests`,
    )
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
    await sim.close()
  }
}
