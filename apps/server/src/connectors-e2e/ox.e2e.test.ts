import { parsePurl } from '@vulnsync/core'
import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { fixturesDataset, type OxDataset, type OxSimulator, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import { rehomeOxDataset } from '@vulnsync/simulators/ox/rehome.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * OX end to end through the public API. The OX simulator serves the real captures of OX's demo organisation (635
 * issues, 29 applications), with its 27 real applications re-homed onto repositories of a simulated GitHub
 * organisation (OX's GitHub app id = the GitHub repository id, OX's link = the repository URL), so that the import can
 * be matched to the workspace's repository inventory. Issue payloads, detection times and severity factors are OX's.
 */
type GhRepo = { id: number; full_name: string; html_url: string; clone_url: string }

let app: TestApp
let gh: GithubSimulator
let sim: OxSimulator
let ghRepos: GhRepo[]
let rehome: Map<string, GhRepo>

beforeAll(async () => {
  app = await startTestApp()
  gh = await startGithubSimulator({ repos: 40 })
  ghRepos = gh
    .visibleIds('ghp_admin')
    .slice(0, 30)
    .map((id) => gh.repo(id) as unknown as GhRepo)
  const dataset = rehomeOxDataset(fixturesDataset(), ghRepos)
  rehome = dataset.rehome
  sim = await startOxSimulator({ dataset })
  const g = await app.api('POST', '/api/v1/connections', {
    kind: 'github',
    name: 'GitHub',
    config: { baseUrl: gh.url, org: gh.org },
    secrets: { token: 'ghp_admin' },
  })
  expect(g.status).toBe(201)
  expect((await app.waitForRun(g.body.run.id)).status).toBe('succeeded')
}, 120_000)

afterAll(async () => {
  await app?.close()
  await sim?.close()
  await gh?.close()
})

describe('OX end to end through the public API', () => {
  it('refuses a connection whose token OX rejects, with words a user can act on', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'ox',
      name: 'OX bad key',
      config: { baseUrl: sim.url },
      secrets: { apiToken: 'expired-key' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.message).toBe(
      'OX Security rejected the API token (HTTP 401): verify the API token is correct and has not expired',
    )
  })

  it('connects, syncs, and lists the CVE-bearing SCA issues with OX detection times and severity factors', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'ox',
      name: 'OX demo org',
      config: { baseUrl: sim.url },
      secrets: { apiToken: sim.apiKey },
    })
    expect(res.status).toBe(201)
    const run = await app.waitForRun(res.body.run.id)
    if (run.status !== 'succeeded')
      console.log(
        'DEBUGRUN',
        JSON.stringify(run),
        app.logs
          .filter((l) => /error|warn/i.test(l))
          .slice(-5)
          .join('\n'),
      )
    expect(run.status).toBe('succeeded')
    // the 111 Open Source Security issues of the capture are read; the 3 GHSA-only ones are skipped as no_cve
    expect(run.counts.fetched).toBe(111)
    expect(run.counts.skipped).toEqual({ no_cve: 3 })
    expect(run.counts.created).toBeGreaterThan(1000)
    expect(sim.operations).toMatchObject({ CheckAccess: 1, GetApplications: 1, GetIssues: 1 })

    const bank = rehome.get('584352228')!
    const list = await app.api('GET', '/api/v1/vulnerabilities?source=ox&cve=CVE-2016-1000027&limit=50')
    expect(list.status).toBe(200)
    const spring = list.body.items.find((i: any) =>
      i.package.purl.startsWith('pkg:maven/org.springframework/spring-web'),
    )
    expect(spring).toMatchObject({
      cve: 'CVE-2016-1000027',
      severity: 'critical',
      detectedAt: new Date(1693550422116).toISOString(), // OX createdAt (first detection), not the scan time
      target: { kind: 'repository', name: bank.full_name },
      sources: [expect.objectContaining({ kind: 'ox', connectionName: 'OX demo org' })],
      fixedVersions: ['6.0.0'],
    })
    const detail = await app.api('GET', `/api/v1/vulnerabilities/${spring.id}`)
    expect(detail.status).toBe(200)
    const factors = JSON.stringify(detail.body.factors)
    expect(factors).toContain('Critical Business Priority')
    expect(factors).toContain('Vulnerable Package Imported')
    expect(detail.body.occurrences).toHaveLength(1)

    // every OX vulnerability has OX's own detection time, never the scan time (1701763814500 for all 635)
    let cursor: string | null = null
    let seen = 0
    let images = 0
    do {
      const page: any = await app.api(
        'GET',
        `/api/v1/vulnerabilities?source=ox&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      expect(page.status).toBe(200)
      for (const item of page.body.items) {
        expect(item.detectedAt).toBeTruthy()
        expect(item.detectedAt).not.toBe(new Date(1701763814500).toISOString())
        expect(item.detectedAt).not.toBe(item.firstSeenAt)
        if (item.target.kind === 'image') images++
        seen++
      }
      cursor = page.body.nextCursor
    } while (cursor && seen < 2000)
    expect(seen).toBeGreaterThan(500)
    expect(images).toBeGreaterThan(0) // Dockerfile base-image issues land on their image
  })
})

describe('OX and Endor Labs report the same vulnerability', () => {
  it('ends as one issue with two sources', async () => {
    const repo = ghRepos[29]!
    const endor = await startEndorSimulator({ findings: 150, projectUrls: [repo.clone_url] })
    let ox: OxSimulator | undefined
    try {
      const e = await app.api('POST', '/api/v1/connections', {
        kind: 'endor',
        name: 'Endor',
        config: { namespace: endor.dataset.namespace, baseUrl: endor.url },
        secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
      })
      expect(e.status).toBe(201)
      expect((await app.waitForRun(e.body.run.id)).status).toBe('succeeded')
      const endorItems = (await app.api('GET', '/api/v1/vulnerabilities?source=endor&limit=200')).body.items as any[]
      const pick = endorItems.find(
        (i) => i.target.kind === 'repository' && /^pkg:(npm|maven|pypi)\//.test(i.package.purl),
      )
      expect(pick).toBeTruthy()

      // an OX issue for the same CVE in the same package of the same repository, as OX sends it
      const p = parsePurl(pick.package.purl)
      const oxName = p.type === 'maven' ? `${p.namespace}:${p.name}` : p.namespace ? `${p.namespace}/${p.name}` : p.name
      const version = p.version ?? (Array.isArray(pick.versions) && pick.versions[0]) ?? '1.0.0'
      const issue = {
        id: '65a000000000000000000001',
        issueId: `${repo.id}-oxPolicy_securityScan_120-${oxName}_${version}`,
        mainTitle: `${p.name}@${version} is a direct dependency having 1 direct vulnerability. ${pick.cve} is the most severe vulnerability.`,
        name: 'Vulnerable dependency (CVE) in code',
        created: 1701763814500,
        createdAt: 1_600_000_000_000,
        severity: 'High',
        originalToolSeverity: 'High',
        category: { name: 'Open Source Security', categoryId: 6 },
        policy: { id: 'oxPolicy_securityScan_120', name: 'Vulnerable dependency (CVE) in code' },
        app: { id: String(repo.id), name: repo.full_name, type: 'GitHub', fakeApp: false },
        scaTriggerPkg: `${oxName}@${version}`,
        sbom: { packageManager: p.type === 'pypi' ? 'pip' : p.type },
        scaVulnerabilities: [
          { cve: pick.cve, libName: oxName, libVersion: version, chainDepth: 0, majorVerWithFix: 'Not Available' },
        ],
        severityChangedReason: [
          {
            shortName: 'Public Exploit Available',
            reason: 'A public exploit exists.',
            changeNumber: 0.01,
            changeCategory: 'Exploitable',
          },
        ],
      }
      const dataset: OxDataset = {
        query: () => ({ total: 1, totalAll: 1, at: (k) => (k === 0 ? issue : undefined) }),
        issue: (id) => (id === issue.issueId ? issue : undefined),
        applications: () => [
          { appId: String(repo.id), appName: repo.full_name, type: 'GitHub', fakeApp: false, link: repo.html_url },
        ],
      }
      ox = await startOxSimulator({ dataset })
      const o = await app.api('POST', '/api/v1/connections', {
        kind: 'ox',
        name: 'OX payments',
        config: { baseUrl: ox.url },
        secrets: { apiToken: ox.apiKey },
      })
      expect(o.status).toBe(201)
      expect((await app.waitForRun(o.body.run.id)).status).toBe('succeeded')

      const same = (await app.api('GET', `/api/v1/vulnerabilities?cve=${pick.cve}&limit=50`)).body.items.filter(
        (i: any) =>
          i.target.name === pick.target.name && i.package.purl.split('@')[0] === pick.package.purl.split('@')[0],
      )
      expect(same).toHaveLength(1)
      expect(same[0].id).toBe(pick.id)
      expect(same[0].sources.map((s: any) => s.kind).sort()).toEqual(['endor', 'ox'])
      // the earliest source detection wins (OX's 2020-09-13 here)
      expect(same[0].detectedAt).toBe(new Date(Math.min(1_600_000_000_000, Date.parse(pick.detectedAt))).toISOString())
    } finally {
      await endor.close()
      await ox?.close()
    }
  })
})
