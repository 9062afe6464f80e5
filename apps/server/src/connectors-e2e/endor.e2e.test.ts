import { endorConnector } from '@vulnsync/connectors/endor/index.ts'
import { projectInfo } from '@vulnsync/connectors/endor/map.ts'
import { EndorFinding, EndorProject } from '@vulnsync/connectors/endor/raw.ts'
import { canonicalRepo, isSkip, packageKey } from '@vulnsync/core'
import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../testing.ts'

/**
 * Endor Labs end to end through the public API: a GitHub organisation gives the repository inventory, an Endor
 * namespace whose projects name some of those repositories (in other URL forms and cases), some repositories
 * GitHub does not have, and an SBOM project without git.
 */
describe('Endor Labs end to end', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>
  let gh: Awaited<ReturnType<typeof startGithubSimulator>>
  let endor: Awaited<ReturnType<typeof startEndorSimulator>>
  let endorConnectionId = ''
  const UNMATCHED = ['https://github.com/acme-corp/ghost-repo.git', 'https://gitlab.example.com/other/thing.git']

  beforeAll(async () => {
    app = await startTestApp()
    gh = await startGithubSimulator({ repos: 12 })
    const repos = gh
      .visibleIds('ghp_admin')
      .slice(0, 5)
      .map((id) => gh.repo(id)!) as Array<{ html_url: string; clone_url: string; ssh_url: string }>
    const projectUrls = [
      repos[0]!.clone_url,
      repos[1]!.html_url.toUpperCase().replace('HTTPS://', 'https://'),
      repos[2]!.ssh_url,
      `${repos[3]!.html_url}/`,
      repos[4]!.clone_url.toLowerCase(),
      ...UNMATCHED,
      null,
    ]
    endor = await startEndorSimulator({ findings: 1500, projectUrls })
  }, 120_000)

  afterAll(async () => {
    await app?.close()
    await gh?.close()
    await endor?.close()
  })

  /** what the connector's own map makes of the simulated namespace: CVE → earliest detection per issue key */
  const expected = () => {
    const ds = endor.dataset
    const projects = new Map(
      Array.from({ length: ds.projectCount }, (_, i) => ds.project(i)).map((p) => [
        p.uuid,
        projectInfo(EndorProject.parse(p)),
      ]),
    )
    const earliest = new Map<string, number>()
    let occurrences = 0
    let noCve = 0
    let listed = 0
    for (let i = 0; i < ds.findingCount; i++) {
      const f = ds.finding(i)
      if (
        f.context.type !== 'CONTEXT_TYPE_MAIN' ||
        !f.spec.finding_categories.includes('FINDING_CATEGORY_VULNERABILITY')
      )
        continue
      listed++
      const r = endorConnector.map(
        { finding: EndorFinding.parse(f), project: projects.get(f.spec.project_uuid) ?? null },
        { fetchedAt: new Date() },
      )
      if (isSkip(r)) {
        noCve++
        continue
      }
      for (const m of r) {
        occurrences++
        const key = `${m.cve}|${packageKey(m.package.purl)}|${canonicalRepo(m.target.url)?.key ?? m.target.name}`
        const t = m.detectedAt!.getTime()
        earliest.set(key, Math.min(earliest.get(key) ?? t, t))
      }
    }
    return { earliest, occurrences, noCve, listed }
  }

  it('connects, imports on the initial sync and lists the vulnerabilities with Endor detection times', async () => {
    const ghRes = await app.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'GitHub',
      config: { baseUrl: gh.url, org: gh.org },
      secrets: { token: 'ghp_admin' },
    })
    expect(ghRes.status).toBe(201)
    expect((await app.waitForRun(ghRes.body.run.id)).status).toBe('succeeded')

    const bad = await app.api('POST', '/api/v1/connections', {
      kind: 'endor',
      name: 'Endor',
      config: { namespace: 'acme', baseUrl: endor.url },
      secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+wrong' },
    })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toBe(
      'Endor Labs rejected the API key and secret (HTTP 401): verify both values and that the key has not expired or been revoked',
    )

    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'endor',
      name: 'Endor',
      config: { namespace: 'acme', baseUrl: endor.url },
      secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
    })
    expect(res.status).toBe(201)
    endorConnectionId = res.body.connection.id
    const run = await app.waitForRun(res.body.run.id)
    const exp = expected()
    expect(run.status).toBe('succeeded')
    expect(run.counts.fetched).toBe(exp.listed)
    expect(run.counts.skipped).toEqual({ no_cve: exp.noCve })
    expect(run.counts.created).toBe(exp.occurrences)

    // every listed vulnerability keeps the earliest Endor detection time of its occurrences
    let cursor: string | null = null
    let seen = 0
    do {
      const page: { status: number; body: any } = await app.api(
        'GET',
        `/api/v1/vulnerabilities?source=endor&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      expect(page.status).toBe(200)
      for (const item of page.body.items) {
        expect(item.sources.map((s: any) => s.kind)).toContain('endor')
        const key = `${item.cve}|${packageKey(item.package.purl)}|${canonicalRepo(item.target.url)?.key ?? item.target.name}`
        expect(exp.earliest.has(key), key).toBe(true)
        expect(new Date(item.detectedAt).getTime(), key).toBe(exp.earliest.get(key))
        expect(item.detectedAt).not.toBe(item.firstSeenAt)
        seen++
      }
      cursor = page.body.nextCursor
    } while (cursor && seen < 400)
    expect(seen).toBeGreaterThan(0)
  }, 180_000)

  it('lists the projects that match no repository as unmatched, with the URL Endor gave', async () => {
    const res = await app.api('GET', '/api/v1/unmatched?limit=100')
    expect(res.status).toBe(200)
    const text = JSON.stringify(res.body)
    for (const url of UNMATCHED) expect(text).toContain(url)
    expect(text).toContain(endor.dataset.project(endor.dataset.projectCount - 1).meta.name) // the SBOM project
    // the matched ones are not there
    expect(text).not.toContain(endor.dataset.project(0).meta.name)
  })

  it('a sync that fails mid-way resolves nothing', async () => {
    const before = await app.api('GET', '/api/v1/vulnerabilities?source=endor&status=open&limit=1')
    // the key is revoked after the first findings page of the next sync: every later call answers 401
    endor.resetStats()
    endor.setFaults({ authFailAfter: 5 })
    const started = await app.api('POST', `/api/v1/connections/${endorConnectionId}/syncs`, {})
    expect(started.status).toBe(202)
    const run = await app.waitForRun(started.body.run.id)
    expect(['failed', 'partial']).toContain(run.status)
    expect(run.counts.resolved).toBe(0)
    expect(run.error?.message ?? '').toMatch(/Endor Labs rejected/)
    const after = await app.api('GET', '/api/v1/vulnerabilities?source=endor&status=open&limit=1')
    expect(after.body.total).toBe(before.body.total)
    endor.setFaults({})
  }, 180_000)
})
