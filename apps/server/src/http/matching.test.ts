import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * Matching through the public API: findings of a scanner that arrive before source control is connected wait as
 * unmatched, join the queue when the GitHub inventory syncs (without the scanner being read again), a manual
 * mapping queues the rest, and a repository gone upstream is marked removed while its issues stay.
 */
let reads = 0
let rows: TestRaw[] = []
const scanner = createTestConnector(() => {
  reads++
  return arrayDataset(rows)
})

describe('repository matching, unmatched findings and manual mappings', () => {
  let t: TestApp
  let gh: GithubSimulator
  let repoUrls: { html: string; clone: string; ssh: string; fullName: string; id: number }[]
  beforeAll(async () => {
    gh = await startGithubSimulator({ seed: 5, repos: 12 })
    t = await startTestApp({ connectors: { test: scanner as any } })
    repoUrls = gh
      .visibleIds('ghp_admin')
      .slice(0, 3)
      .map((id) => {
        const r = gh.repo(id) as any
        return { html: r.html_url, clone: r.clone_url, ssh: r.ssh_url, fullName: r.full_name, id }
      })
    rows = [
      {
        id: 'a',
        ids: ['CVE-2024-1111'],
        purl: 'pkg:npm/a@1.0.0',
        repo: repoUrls[0]!.clone.toUpperCase().replace('HTTPS://', 'https://'),
        severity: 'high',
        detectedAt: '2024-01-01T00:00:00Z',
      },
      {
        id: 'b',
        ids: ['CVE-2024-2222'],
        purl: 'pkg:npm/b@1.0.0',
        repo: repoUrls[1]!.ssh,
        severity: 'low',
        detectedAt: '2024-01-02T00:00:00Z',
      },
      {
        id: 'c',
        ids: ['CVE-2024-3333'],
        purl: 'pkg:npm/c@1.0.0',
        repo: `${repoUrls[2]!.html}/blob/main/package.json`,
        severity: 'medium',
        detectedAt: '2024-01-03T00:00:00Z',
      },
      {
        id: 'd',
        ids: ['CVE-2024-4444'],
        purl: 'pkg:npm/d@1.0.0',
        repo: 'https://user:s3cret@bitbucket.org/acme/legacy.git',
        severity: 'critical',
        detectedAt: '2024-01-04T00:00:00Z',
      },
      {
        id: 'e',
        ids: ['CVE-2024-5555'],
        purl: 'pkg:npm/e@1.0.0',
        repo: 'https://bitbucket.org/acme/legacy',
        severity: 'critical',
        detectedAt: '2024-01-05T00:00:00Z',
      },
    ]
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await gh?.close()
  })

  it('keeps findings of unknown repositories as unmatched, with the URL as the scanner gave it (no credentials)', async () => {
    const r = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'scanner', secrets: { token: 'x' } })
    const run = await t.waitForRun(r.body.run.id)
    expect(run.counts).toMatchObject({ created: 5, unmatched: 5 })
    expect((await t.api('GET', '/api/v1/vulnerabilities')).body.total).toBe(0)
    const un = await t.api('GET', '/api/v1/unmatched')
    expect(un.body.items).toHaveLength(4)
    const legacy = un.body.items.find((x: any) => x.key === 'bitbucket.org/acme/legacy')
    expect(legacy).toMatchObject({ kind: 'test', connectionName: 'scanner', targetKind: 'repository', findings: 2 })
    expect(un.text).not.toContain('s3cret')
  })

  it('queues the waiting findings as soon as source control brings their repositories, without reading the scanner again', async () => {
    const readsBefore = reads
    const r = await t.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'GitHub',
      config: { baseUrl: gh.apiUrl, org: 'acme-corp' },
      secrets: { token: 'ghp_admin' },
    })
    expect(r.status).toBe(201)
    expect((await t.waitForRun(r.body.run.id)).status).toBe('succeeded')
    expect(reads).toBe(readsBefore)
    const q = await t.api('GET', '/api/v1/vulnerabilities?sort=cve')
    expect(q.body.items.map((i: any) => [i.cve, i.target.name])).toEqual([
      ['CVE-2024-1111', repoUrls[0]!.fullName],
      ['CVE-2024-2222', repoUrls[1]!.fullName],
      ['CVE-2024-3333', repoUrls[2]!.fullName],
    ])
    expect((await t.api('GET', '/api/v1/unmatched')).body.items.map((x: any) => x.key)).toEqual([
      'bitbucket.org/acme/legacy',
    ])
  })

  it('saves a manual mapping, validates it, and queues what waited on it at once', async () => {
    const repos = await t.api(
      'GET',
      `/api/v1/repositories?q=${encodeURIComponent(repoUrls[0]!.fullName.split('/')[1]!)}`,
    )
    const target = repos.body.items[0]
    const bad = await t.api('PUT', `/api/v1/unmatched/${encodeURIComponent('bitbucket.org/acme/legacy')}/mapping`, {
      repositoryId: '999999',
    })
    expect(bad.status).toBe(422)
    const ok = await t.api('PUT', `/api/v1/unmatched/${encodeURIComponent('bitbucket.org/acme/legacy')}/mapping`, {
      repositoryId: target.id,
    })
    expect(ok.status).toBe(200)
    expect(ok.body.joined).toBe(2)
    expect((await t.api('GET', '/api/v1/unmatched')).body.items).toHaveLength(0)
    const mapped = await t.api('GET', `/api/v1/vulnerabilities?repository=${target.id}`)
    expect(mapped.body.items.map((i: any) => i.cve).sort()).toEqual(['CVE-2024-1111', 'CVE-2024-4444', 'CVE-2024-5555'])
    // the mapping holds for the next sync too
    const sync = await t.api(
      'POST',
      `/api/v1/connections/${(await t.api('GET', '/api/v1/connections')).body.items.find((c: any) => c.kind === 'test').id}/syncs`,
    )
    const run = await t.waitForRun(sync.body.run.id)
    expect(run.counts).toMatchObject({ unchanged: 5, unmatched: 0 })
  })

  it('marks a repository gone upstream as removed and keeps its issues', async () => {
    const conn = (await t.api('GET', '/api/v1/connections')).body.items.find((c: any) => c.kind === 'github')
    // the token now sees only the public repositories: the others are gone from this connection's view
    const patched = await t.api('PATCH', `/api/v1/connections/${conn.id}`, { secrets: { token: 'ghp_public' } })
    expect(patched.status).toBe(200)
    const sync = await t.api('POST', `/api/v1/connections/${conn.id}/syncs`)
    const run = await t.waitForRun(sync.body.run.id)
    expect(run.status).toBe('succeeded')
    expect(run.counts.resolved).toBeGreaterThan(0)
    const all = await t.api('GET', '/api/v1/repositories?includeRemoved=true&limit=500')
    const removed = all.body.items.filter((r: any) => r.removedAt)
    expect(removed.length).toBe(run.counts.resolved)
    expect((await t.api('GET', '/api/v1/repositories?limit=500')).body.total).toBe(all.body.total - removed.length)
    expect((await t.api('GET', '/api/v1/vulnerabilities')).body.total).toBe(5)
  })
})
