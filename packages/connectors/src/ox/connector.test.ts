import { readFileSync } from 'node:fs'
import { isSkip, type MappedFinding, type ProgressUpdate, type ReadEvent } from '@vulnsync/core'
import { type OxSimulator, type OxSimulatorOptions, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import { oxConnector } from './index.ts'
import { OxGraphQLError, type OxRaw } from './raw.ts'
import { type OxCursor, oxTuning } from './read.ts'

const captured: any[] = JSON.parse(
  readFileSync(new URL('../../../simulators/src/ox/fixtures/getissues_response.json', import.meta.url), 'utf8'),
).data.getIssues.issues
const capturedInScope = captured.filter(
  (i) => i.category.name === 'Open Source Security' || i.category.name === 'Container Security',
)

let sim: OxSimulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
  oxTuning.pageSize = 1000
  oxTuning.client = {}
})
beforeEach(() => {
  oxTuning.pageSize = 1000
})

/** a shared fake clock: the simulator's window and the connector's sleeps run on it, so a 1-hour pause takes no time */
const fakeClock = (start = Date.UTC(2026, 0, 1)) => {
  const c = { t: start, sleeps: [] as number[] }
  return {
    c,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms)
      c.t += ms
    },
  }
}

const setup = async (opts: OxSimulatorOptions = {}, clock = fakeClock(), token?: string) => {
  sim = await startOxSimulator({ now: clock.now, ...opts })
  const progress: ProgressUpdate[] = []
  const ctx = createConnectorContext({
    config: { baseUrl: sim.url },
    secrets: { apiToken: token ?? sim.apiKey },
    baseUrl: sim.url,
    allowPrivateNetworks: true,
    now: () => new Date(clock.c.t),
    sleep: clock.sleep,
    progress: (p) => progress.push(p),
  })
  return { sim, ctx, progress, clock: clock.c }
}

const collect = async (
  gen: AsyncIterable<ReadEvent<OxRaw, OxCursor>>,
  stopAfterCheckpoints = Number.POSITIVE_INFINITY,
) => {
  const events: ReadEvent<OxRaw, OxCursor>[] = []
  let checkpoints = 0
  for await (const e of gen) {
    events.push(e)
    if (e.type === 'checkpoint' && ++checkpoints >= stopAfterCheckpoints) break
  }
  const records = events.filter(
    (e): e is Extract<ReadEvent<OxRaw, OxCursor>, { type: 'record' }> => e.type === 'record',
  )
  const skips: Record<string, number> = {}
  for (const e of events) if (e.type === 'skip') skips[e.reason] = (skips[e.reason] ?? 0) + (e.count ?? 1)
  const checkpointsSeen = events.filter((e) => e.type === 'checkpoint').map((e) => (e as any).cursor as OxCursor)
  const warnings = events.filter((e) => e.type === 'warning')
  return { events, records, skips, checkpoints: checkpointsSeen, warnings }
}

describe('OX read against the simulator (real captures)', () => {
  it('reads exactly the 111 Open Source Security issues of the capture in 2 requests', async () => {
    const { ctx, sim } = await setup()
    const { records, skips } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(capturedInScope).toHaveLength(111)
    expect(records.map((r) => (r.raw.issue as any).issueId).sort()).toEqual(
      capturedInScope.map((i) => i.issueId).sort(),
    )
    expect(skips).toEqual({})
    expect(sim.operations).toEqual({ GetApplications: 1, GetIssues: 1 })
    // every record carries its application (link) so map can stay pure
    expect(records.every((r) => r.raw.app?.link?.startsWith('https://github.com/'))).toBe(true)
    expect(records.every((r) => r.scope === (r.raw.issue as any).app.id)).toBe(true)
  })

  it('maps what it read: one finding per CVE, GHSA-only issues counted as no_cve', async () => {
    const { ctx } = await setup()
    const { records } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    const results = records.map((r) => oxConnector.map(r.raw, { fetchedAt: new Date() }))
    const skipped = results.filter(isSkip)
    expect(skipped.map((s) => s.skip)).toEqual(['no_cve', 'no_cve', 'no_cve']) // the 3 Newtonsoft.Json GHSA-only issues
    const findings = results.filter((r): r is MappedFinding[] => !isSkip(r)).flat()
    // the simulator serves OX's per-CVE list: many more findings than issues, and every finding keyed (issue, cve) once
    expect(findings.length).toBeGreaterThan(1000)
    expect(new Set(findings.map((f) => `${f.sourceKey}|${f.cve}`)).size).toBe(findings.length)
    const spring = findings.find(
      (f) => f.sourceKey === '584352228-oxPolicy_securityScan_120-org.springframework:spring-web_5.3.19',
    )!
    expect(spring).toMatchObject({
      cve: 'CVE-2016-1000027',
      detectedAt: new Date(1693550422116),
      package: { purl: 'pkg:maven/org.springframework/spring-web@5.3.19' },
    })
    expect(findings.every((f) => f.detectedAt && f.detectedAt.getTime() !== 1701763814500)).toBe(true)
    const images = findings.filter((f) => f.target.kind === 'image')
    const baseImages = new Set(
      capturedInScope
        .filter((i) => i.policy.id === 'oxPolicy_deployment_221')
        .map((i) => /^(\S+)@/.exec(i.mainTitle)![1]),
    )
    expect(new Set(images.map((f) => f.target.name))).toEqual(baseImages)
    expect(images.every((f) => f.target.sourceRepoUrl?.startsWith('https://github.com/'))).toBe(true)
  })

  it('filters categories on the client too when OX ignores the category filter', async () => {
    const { ctx } = await setup({ faults: { ignoreCategoryFilter: true } })
    const { records, skips } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(skips).toEqual({ out_of_scope: 524 })
  })

  it('pages with the offset quirk: moves by what came back, stops at totalFilteredIssues without a request past the end', async () => {
    oxTuning.pageSize = 25
    const { ctx, sim } = await setup()
    const { records, checkpoints } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(checkpoints.map((c) => c.offset)).toEqual([25, 50, 75, 100])
    expect(sim.operations.GetIssues).toBe(5)
  })

  it('keeps reading when OX caps the page size below the limit asked for', async () => {
    oxTuning.pageSize = 50
    const { ctx, sim } = await setup({ faults: { maxPageSize: 20 } })
    const { records } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(new Set(records.map((r) => (r.raw.issue as any).issueId)).size).toBe(111)
    expect(sim.operations.GetIssues).toBe(6)
  })

  it('reads only the selected applications, also when OX ignores the application filter', async () => {
    const expected = capturedInScope.filter((i) => i.app.id === '584352228').length
    for (const faults of [{}, { ignoreAppFilter: true }]) {
      const { ctx } = await setup({ faults })
      const { records, skips } = await collect(oxConnector.read(ctx, { selection: ['584352228'], cursor: null }))
      expect(records).toHaveLength(expected)
      expect(records.every((r) => r.scope === '584352228')).toBe(true)
      if ('ignoreAppFilter' in faults) expect(skips.out_of_scope).toBe(111 - expected)
      await sim!.close()
      sim = undefined
    }
    expect(expected).toBe(13)
  })

  it('falls back to getSingleIssueInfo per issue when OX rejects the SCA fields in the list', async () => {
    const { ctx, sim } = await setup({ faults: { listSelection: 'none' } })
    const { records, warnings } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(warnings.map((w: any) => w.code)).toEqual(['ox_list_selection', 'ox_list_selection'])
    expect(sim.operations.GetSingleIssueInfo).toBe(111)
    const spring = records.find((r) => (r.raw.issue as any).issueId.endsWith('spring-web_5.3.19'))!
    expect((spring.raw.issue as any).createdAt).toBe(1693550422116) // the list row's first detection, not the detail's scan time
    const f = oxConnector.map(spring.raw, { fetchedAt: new Date() }) as MappedFinding[]
    expect(f[0]).toMatchObject({
      cve: 'CVE-2016-1000027',
      package: { purl: 'pkg:maven/org.springframework/spring-web@5.3.19' },
    })
  })

  it('uses the smaller list selection when OX rejects only the richest one', async () => {
    const { ctx, sim } = await setup({ faults: { listSelection: 'basic' } })
    const { records, warnings } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(warnings).toHaveLength(1)
    expect(sim.operations.GetSingleIssueInfo).toBeUndefined()
    expect(records.every((r) => Array.isArray((r.raw.issue as any).scaVulnerabilities))).toBe(true)
  })

  it('resumes from a checkpoint where it stopped', async () => {
    oxTuning.pageSize = 25
    const { ctx, sim } = await setup()
    const first = await collect(oxConnector.read(ctx, { selection: null, cursor: null }), 2)
    const cursor = first.checkpoints.at(-1)!
    expect(cursor).toEqual({ offset: 50, limit: 25, mode: 'full' })
    sim.operations.GetIssues = 0
    const second = await collect(oxConnector.read(ctx, { selection: null, cursor: JSON.parse(JSON.stringify(cursor)) }))
    expect(sim.operations.GetIssues).toBe(3) // 50-75, 75-100, 100-111: nothing read twice
    const ids = [...first.records, ...second.records].map((r) => (r.raw.issue as any).issueId)
    expect(new Set(ids).size).toBe(111)
    expect(ids).toHaveLength(111)
  })

  it('asks again for an empty page before the announced end instead of stopping early', async () => {
    oxTuning.pageSize = 25
    const { ctx, sim } = await setup({ faults: { emptyPageAt: 3 } })
    const { records } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(sim.operations.GetIssues).toBe(6)
  })

  it('marks every application incomplete when the issue count changes while paging (nothing gets resolved)', async () => {
    oxTuning.pageSize = 25
    const { fixturesDataset } = await import('@vulnsync/simulators/ox/index.ts')
    const base = fixturesDataset()
    let calls = 0
    const shrinking = {
      ...base,
      query: (f: any) => {
        const r = base.query(f)
        return ++calls > 2 ? { ...r, total: r.total - 5 } : r
      },
    }
    const { ctx } = await setup({ dataset: shrinking })
    const { events } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    const incomplete = events.filter((e) => e.type === 'incomplete')
    expect(incomplete).toHaveLength(27)
    expect(events.some((e) => e.type === 'warning' && e.code === 'ox_total_changed')).toBe(true)
  })

  it('fails the run on a revoked token instead of returning an empty result', async () => {
    const { ctx, sim } = await setup()
    sim.setFaults({ authFailAfter: 1 })
    await expect(collect(oxConnector.read(ctx, { selection: null, cursor: null }))).rejects.toMatchObject({
      kind: 'auth',
    })
  })

  it('fails the run with OX’s message on a GraphQL error', async () => {
    const { ctx, sim } = await setup()
    const gen = oxConnector.read(ctx, { selection: null, cursor: null })
    sim.setFaults({ graphqlErrorNext: 5, graphqlErrorMessage: 'Issues service unavailable' })
    const err = await collect(gen).catch((e) => e)
    expect(err).toBeInstanceOf(OxGraphQLError)
    expect(err.message).toBe('Issues service unavailable')
  })
})

describe('OX request budget', () => {
  it('spends the hourly budget, pauses until the window resets (progress shows it) and completes', async () => {
    oxTuning.pageSize = 200
    // 2,000 generated issues → 1,600 in scope → 8 pages + 1 applications request = 9 requests; 4 allowed per "hour"
    const { ctx, sim, progress, clock } = await setup({
      dataset: { issues: 2000, apps: 10 },
      rateLimit: { hourLimit: 4, windowMs: 3_600_000 },
    })
    const start = clock.t
    const { records } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(1600)
    expect(sim.rate.limited).toBe(0) // it paused before OX had to refuse
    expect(clock.sleeps).toHaveLength(2)
    expect(clock.sleeps.every((ms) => ms >= 3_600_000 && ms <= 3_602_000)).toBe(true)
    const paused = progress.filter((p) => p.pausedUntil instanceof Date)
    expect(paused).toHaveLength(2)
    expect(paused[0]!.pausedUntil!.getTime()).toBe(start + clock.sleeps[0]!)
    expect(paused[0]!.message).toMatch(
      /^the OX request budget for this hour is spent: OX allows 4 requests an hour and 15,000 a day per API key; waiting until \d{4}-.+ for the window to reset$/,
    )
    expect(progress.filter((p) => p.pausedUntil === null)).toHaveLength(2)
    expect(clock.t - start).toBeGreaterThanOrEqual(2 * 3_600_000)
  })

  it('waits out a 429 when another client spent the budget, then continues', async () => {
    const { ctx, sim, progress, clock } = await setup({ rateLimit: { hourLimit: 10, windowMs: 600_000 } })
    sim.rate.hourUsed = 10 // someone else used this key's budget
    const { records } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(sim.rate.limited).toBe(1)
    expect(clock.sleeps).toHaveLength(1)
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(600_000)
    expect(progress.find((p) => p.pausedUntil)?.message).toMatch(/HTTP 429/)
  })

  it('pauses on the daily budget too (15,000 a day), until the day window resets', async () => {
    const { ctx, sim, clock, progress } = await setup({ rateLimit: { hourLimit: 1000, dayLimit: 1 } })
    const { records } = await collect(oxConnector.read(ctx, { selection: null, cursor: null }))
    expect(records).toHaveLength(111)
    expect(sim.rate.limited).toBe(0)
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(86_400_000)
    expect(progress.find((p) => p.pausedUntil)?.message).toMatch(
      /^the OX request budget for today is spent: OX allows 1,000 requests an hour and 1 a day per API key/,
    )
  })

  it('reads 10,000 generated issues (8,000 in scope) in 9 requests at 1,000 a page', async () => {
    const { ctx, sim } = await setup({ dataset: { issues: 10_000 } })
    let records = 0
    let findings = 0
    const kinds = new Set<string>()
    for await (const e of oxConnector.read(ctx, { selection: null, cursor: null })) {
      if (e.type !== 'record') continue
      records++
      const r = oxConnector.map(e.raw, { fetchedAt: new Date() })
      if (!isSkip(r)) {
        findings += r.length
        for (const f of r) kinds.add(f.target.kind)
      }
    }
    expect(records).toBe(8_000)
    expect(findings).toBeGreaterThan(records)
    expect(kinds).toEqual(new Set(['repository', 'image']))
    expect(sim.stats.requests).toBe(9)
  })
})

describe('OX check', () => {
  it('passes with a cheap query and reports what the key sees', async () => {
    const { ctx, sim } = await setup()
    const r = await oxConnector.check(ctx)
    expect(r).toEqual({
      ok: true,
      message: 'connected to OX Security: 29 applications, 635 issues visible',
      details: expect.any(Object),
    })
    expect(sim.stats.requests).toBe(1)
  })

  it('says the token was rejected on 401', async () => {
    const { ctx } = await setup({}, fakeClock(), 'an-expired-key')
    const r = await oxConnector.check(ctx)
    expect(r).toMatchObject({
      ok: false,
      code: 'auth',
      message: 'OX Security rejected the API token (HTTP 401): verify the API token is correct and has not expired',
    })
  })

  it('says which read access the token lacks', async () => {
    const { ctx, sim } = await setup({ faults: { denyIssues: true } })
    expect(await oxConnector.check(ctx)).toMatchObject({
      ok: false,
      code: 'permission',
      message:
        'the OX API token was accepted but has no read access to issues (OX said: "Forbidden: the API key has no permission to read issues")',
    })
    sim.setFaults({ denyIssues: true, denyApplications: true })
    expect(await oxConnector.check(ctx)).toMatchObject({
      ok: false,
      code: 'permission',
      message: expect.stringContaining('no read access to issues and applications'),
    })
  })

  it('says OX is unreachable with what to check', async () => {
    const ctx = createConnectorContext({
      config: { baseUrl: 'http://127.0.0.1:9' },
      secrets: { apiToken: 'x' },
      baseUrl: 'http://127.0.0.1:9',
      allowPrivateNetworks: true,
      sleep: async () => {},
    })
    const r = await oxConnector.check(ctx)
    expect(r).toMatchObject({
      ok: false,
      code: 'unreachable',
      message: expect.stringMatching(
        /^could not reach OX Security at 127\.0\.0\.1:9 \(.+\): check that your network allows connections to OX Security's API$/,
      ),
    })
  })

  it('shows a GraphQL error with its message', async () => {
    const { ctx } = await setup({ faults: { graphqlErrorNext: 1, graphqlErrorMessage: 'Organization is suspended' } })
    expect(await oxConnector.check(ctx)).toMatchObject({
      ok: false,
      code: 'vendor_error',
      message: 'OX Security answered with a GraphQL error: "Organization is suspended" (INTERNAL_SERVER_ERROR)',
    })
  })

  it('reports a spent budget instead of waiting', async () => {
    const { ctx, sim } = await setup({ rateLimit: { hourLimit: 1 } })
    sim.rate.hourUsed = 1
    const r = await oxConnector.check(ctx)
    expect(r).toMatchObject({
      ok: false,
      code: 'rate_limited',
      message: expect.stringMatching(
        /^the OX request budget for this API token is spent \(1 request an hour and 15,000 a day\); it resets at .+: try the connection again after that time$/,
      ),
    })
  })
})

describe('OX discover', () => {
  it('lists the 27 real applications (not the 2 fakeApp pseudo-apps) with their repository', async () => {
    const { ctx } = await setup()
    const locations = []
    for await (const l of oxConnector.discover!(ctx)) locations.push(l)
    expect(locations).toHaveLength(27)
    expect(locations.find((l) => l.id === '584352228')).toMatchObject({
      name: 'OX-Security-Demo/Bank-Website',
      kind: 'repository',
      target: {
        kind: 'repository',
        name: 'OX-Security-Demo/Bank-Website',
        url: 'https://github.com/OX-Security-Demo/Bank-Website',
        externalId: { provider: 'github', id: '584352228' },
      },
    })
    expect(locations.some((l) => l.name.startsWith('*GitHub-Settings'))).toBe(false)
  })
})

describe('OX config', () => {
  it('defaults to OX SaaS and strips a trailing slash', () => {
    expect(oxConnector.baseUrl(oxConnector.configSchema.parse({}))).toBe('https://api.cloud.ox.security')
    expect(oxConnector.baseUrl(oxConnector.configSchema.parse({ baseUrl: 'https://ox.example.com/' }))).toBe(
      'https://ox.example.com',
    )
    expect(oxConnector.configSchema.safeParse({ baseUrl: 'ftp://x' }).success).toBe(false)
    expect(oxConnector.secretsSchema.safeParse({ apiToken: '' }).success).toBe(false)
  })
})
