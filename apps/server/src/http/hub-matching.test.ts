import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * The Integration Hub's "matched" badge (GET /connections/{id}/locations) and ingest use the same matcher, so the
 * Hub never says a project matches a repository that its findings do not join, or the other way round. Project
 * URLs come in every form scanners use: clone and web URLs in other cases, ssh, scp-style, a trailing slash, hosts
 * GitHub does not have, and no URL at all.
 */
describe("the Hub's matched count equals what ingest matches", () => {
  let t: TestApp
  let gh: Awaited<ReturnType<typeof startGithubSimulator>>
  let endor: Awaited<ReturnType<typeof startEndorSimulator>>
  beforeAll(async () => {
    t = await startTestApp()
    gh = await startGithubSimulator({ seed: 11, repos: 10 })
    const repos = gh
      .visibleIds('ghp_admin')
      .slice(0, 6)
      .map((id) => gh.repo(id)!) as Array<{ html_url: string; clone_url: string; ssh_url: string; full_name: string }>
    endor = await startEndorSimulator({
      seed: 11,
      findings: 900,
      projectUrls: [
        repos[0]!.clone_url,
        repos[1]!.html_url.toUpperCase().replace('HTTPS://', 'https://'),
        repos[2]!.ssh_url,
        `${repos[3]!.html_url}/`,
        `git@github.com:${repos[4]!.full_name}.git`,
        `https://gitlab.example.com/${repos[5]!.full_name}.git`,
        'https://bitbucket.example.com/scm/x/y.git',
        null,
      ],
    })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await gh?.close()
    await endor?.close()
  })

  it('every location the Hub shows as matched is where ingest put its findings, and no other', async () => {
    const scm = await t.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'GitHub',
      config: { baseUrl: gh.url, org: gh.org },
      secrets: { token: 'ghp_admin' },
    })
    expect(scm.status).toBe(201)
    await t.waitForRun(scm.body.run.id)
    const res = await t.api('POST', '/api/v1/connections', {
      kind: 'endor',
      name: 'Endor',
      config: { namespace: 'acme', baseUrl: endor.url },
      secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
    })
    expect(res.status).toBe(201)
    expect((await t.waitForRun(res.body.run.id)).status).toBe('succeeded')

    const hub = await t.api('GET', `/api/v1/connections/${res.body.connection.id}/locations`)
    expect(hub.status).toBe(200)
    // where ingest put each project's findings
    const { rows } = await t.db.query<{ scope: string; repository_id: number | null }>(
      `SELECT DISTINCT scope, repository_id FROM occurrences WHERE connection_id = $1`,
      [res.body.connection.id],
    )
    const ingest = new Map<string, Set<string | null>>()
    for (const r of rows) {
      const s = ingest.get(r.scope) ?? new Set()
      s.add(r.repository_id === null ? null : String(r.repository_id))
      ingest.set(r.scope, s)
    }
    let compared = 0
    for (const l of hub.body.items) {
      const seen = ingest.get(l.id)
      if (!seen) continue // a project without findings
      compared++
      expect([...seen], l.name).toEqual([l.matched ? l.matched.repositoryId : null])
    }
    expect(compared).toBeGreaterThanOrEqual(6)
    const hubMatched = hub.body.items.filter((l: any) => l.matched && ingest.has(l.id)).length
    const ingestMatched = [...ingest.values()].filter((s) => [...s].some((x) => x !== null)).length
    expect(hubMatched).toBe(ingestMatched)
    expect(hubMatched).toBe(5)
  })
})
