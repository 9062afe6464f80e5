import { jfrogConnector } from '@vulnsync/connectors/jfrog/index.ts'
import { collect, jfrogCtx, records } from '@vulnsync/connectors/jfrog/testing.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import {
  dockerFixtureRepo,
  generatedRepo,
  JFROG_SIM,
  type JfrogSimulator,
  libsRepo,
  startJfrogSimulator,
} from '@vulnsync/simulators/jfrog/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../testing.ts'

/**
 * JFrog end to end through the public API: a GitHub organisation gives the repository inventory; a simulated JFrog
 * Platform whose images and artifacts name some of those repositories (OCI source label, vcs.url, build info) and
 * some nothing (they are in the queue as artifacts, without a repository); sync, read the queue; change the selected
 * repositories; lose a permission between runs; a second platform in the same workspace.
 */
describe('JFrog end to end', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>
  let sim: JfrogSimulator
  let other: JfrogSimulator
  let gh: GithubSimulator
  let connectionId = ''
  let ghRepos: Array<{ html_url: string; clone_url: string; ssh_url: string; full_name: string }> = []

  beforeAll(async () => {
    app = await startTestApp()
    gh = await startGithubSimulator({ repos: 8 })
    ghRepos = gh
      .visibleIds('ghp_admin')
      .slice(0, 5)
      .map((id) => gh.repo(id)!) as typeof ghRepos
    sim = await startJfrogSimulator({
      repos: [
        dockerFixtureRepo('docker-local', {
          openLibertySource: ghRepos[0]!.html_url,
          busyboxSource: ghRepos[1]!.ssh_url,
        }),
        libsRepo('libs-release-local', { appVcsUrl: ghRepos[2]!.clone_url }),
        generatedRepo({
          key: 'npm-local',
          packageType: 'Npm',
          artifacts: 10,
          vulnsPerArtifact: 4,
          sourceEvery: 5,
          sourceUrl: () => ghRepos[3]!.html_url,
        }),
      ],
      builds: { 'lib/7': `${ghRepos[3]!.html_url}.git` },
    })
    other = await startJfrogSimulator({
      seed: 9,
      repos: [
        generatedRepo({
          key: 'apps-docker',
          packageType: 'Docker',
          artifacts: 8,
          vulnsPerArtifact: 3,
          seed: 9,
          sourceEvery: 1,
          sourceUrl: () => ghRepos[4]!.html_url,
        }),
      ],
      tokens: [{ token: 'second-platform-token', user: 'svc-scan', repos: ['apps-docker'] }],
    })
    const ghRes = await app.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'GitHub',
      config: { baseUrl: gh.url, org: gh.org },
      secrets: { token: 'ghp_admin' },
    })
    expect(ghRes.status).toBe(201)
    expect((await app.waitForRun(ghRes.body.run.id, { timeoutMs: 180_000 })).status).toBe('succeeded')
  }, 300_000)

  afterAll(async () => {
    await app?.close()
    await sim?.close()
    await other?.close()
    await gh?.close()
  })

  /** every item of the queue for a filter, through the cursor */
  const all = async (query: string) => {
    const items: any[] = []
    let cursor: string | undefined
    for (;;) {
      const page = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      const r = await app.api('GET', `/api/v1/vulnerabilities?${query}&limit=500${page}`)
      expect(r.status).toBe(200)
      items.push(...r.body.items)
      if (!r.body.nextCursor) return items
      cursor = r.body.nextCursor
    }
  }

  const repoId = async (fullName: string): Promise<string> => {
    const r = await app.api('GET', `/api/v1/repositories?q=${encodeURIComponent(fullName)}&limit=50`)
    const hit = r.body.items.find((x: any) => x.fullName.toLowerCase() === fullName.toLowerCase())
    expect(hit).toBeDefined()
    return hit.id
  }

  const unmatched = async () => {
    const r = await app.api('GET', '/api/v1/unmatched')
    expect(r.status).toBe(200)
    return r.body.items as Array<{
      kind: string
      targetKind: string
      display: string
      name: string
      findings: number
      connectionName: string
    }>
  }

  /** records the connector itself reads for a selection, every version counted (what a run must fetch) */
  const direct = async (selection: string[] | null) => {
    const ctx = jfrogCtx(sim.url, JFROG_SIM.readerToken, JFROG_SIM.readerUser)
    return records(await collect(jfrogConnector.read(ctx, { selection, cursor: null })))
  }

  it('refuses a bad token with the check message and creates nothing', async () => {
    const bad = await app.api('POST', '/api/v1/connections', {
      kind: 'jfrog',
      name: 'JFrog',
      config: { platformUrl: `${sim.url}/artifactory`, username: 'vulnsync-reader' },
      secrets: { accessToken: 'not-a-token' },
    })
    expect(bad.status).toBe(422)
    expect(bad.body.error.message).toBe(
      'the access token was rejected by Artifactory (HTTP 401: Bad credentials): verify it is correct, has not expired or been revoked, and belongs to user "vulnsync-reader"',
    )
    const noRepos = await app.api('POST', '/api/v1/connections', {
      kind: 'jfrog',
      name: 'JFrog',
      config: { platformUrl: sim.url, username: 'nobody' },
      secrets: { accessToken: JFROG_SIM.noReposToken },
    })
    expect(noRepos.status).toBe(422)
    expect(noRepos.body.error.message).toMatch(
      /^the access token is valid but user "nobody" can read no local repository/,
    )
    const conns = await app.api('GET', '/api/v1/connections')
    expect(JSON.stringify(conns.body)).not.toContain('"kind":"jfrog"')
  }, 300_000)

  it('connects, scans every readable repository and lists CVE-bearing vulnerabilities with evidence and fixed versions', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'jfrog',
      name: 'JFrog acme',
      // every version counts here; which versions count by default is jfrog-assets.e2e.test.ts's subject
      config: { platformUrl: `${sim.url}/artifactory/`, username: JFROG_SIM.readerUser, versions: 'all' },
      secrets: { accessToken: JFROG_SIM.readerToken },
    })
    expect(res.status).toBe(201)
    connectionId = res.body.connection.id
    const run = await app.waitForRun(res.body.run.id, { timeoutMs: 180_000 })
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded')
    expect(run.counts.fetched).toBe((await direct(null)).length)
    expect(run.counts.skipped).toMatchObject({
      not_indexed: 1,
      unsupported: 1,
      not_vulnerability: 4,
      no_cve: expect.any(Number),
    })
    expect(run.counts.created).toBeGreaterThan(0)

    const items = await all('source=jfrog')
    expect(items.length).toBeGreaterThan(20)
    expect(
      items.every((i) => i.sources.some((s: any) => s.kind === 'jfrog' && s.connectionName === 'JFrog acme')),
    ).toBe(true)
    // licence issues and issues without a CVE never reach the queue
    expect(items.every((i) => /^CVE-\d{4}-\d+$/.test(i.cve))).toBe(true)

    // Maven artifacts, keyed without their version (which versions contain it is on the target): fixed versions
    // from summary v2 bracket notation
    const jackson = items.filter((i) => i.cve === 'CVE-2020-11112')
    expect(jackson.map((i) => i.target.name).sort()).toEqual([
      'libs-release-local/org/acme/app',
      'libs-release-local/org/acme/lib',
    ])
    expect(jackson.map((i) => i.target.versions).sort()).toEqual([['1.0.0'], ['2.1.0']])
    for (const i of jackson) {
      expect(i.package.purl).toBe('pkg:maven/com.fasterxml.jackson.core/jackson-databind')
      expect(i.versions).toEqual(['2.9.10'])
      expect(i.fixedVersions).toEqual(['2.9.10.4', '>= 2.10.0, < 2.10.3'])
      expect(i.target.kind).toBe('artifact')
    }
    // the app jar's vcs.url property names its repository; the lib jar names only its build, whose info does
    const appJar = jackson.find((i) => i.target.name.endsWith('/app'))
    const libJar = jackson.find((i) => i.target.name.endsWith('/lib'))
    expect(appJar.repositoryId).toBe(await repoId(ghRepos[2]!.full_name))
    expect(libJar.repositoryId).toBe(await repoId(ghRepos[3]!.full_name))

    // a Docker image from the real open-liberty capture: the image repository (no tag), mapped by its OCI label
    const openssl = items.find((i) => i.cve === 'CVE-2021-3711' && i.package.purl.startsWith('pkg:apk/alpine/openssl'))
    expect(openssl).toBeDefined()
    expect(openssl.target).toMatchObject({
      kind: 'image',
      name: `${new URL(sim.url).host}/docker-local/component/open-liberty`,
    })
    expect(openssl.repositoryId).toBe(await repoId(ghRepos[0]!.full_name))
    expect(openssl.fixedVersions).toEqual(['1.1.1l-r0'])
    expect(openssl.severity).toBe('critical')
    const detail = await app.api('GET', `/api/v1/vulnerabilities/${openssl.id}`)
    expect(detail.status).toBe(200)
    const occ = detail.body.occurrences[0]
    expect(occ.kind).toBe('jfrog')
    expect(occ.sourceKey).toMatch(
      /^docker-local\/component\/open-liberty\/21\.0\.0\.3-1-full-alpine-java8-openj9#summary-[0-9a-f]{8}#pkg:apk\/alpine\/openssl$/,
    )
    expect(occ.evidence.impactPaths[0]).toMatch(
      /^default\/docker-local\/component\/open-liberty\/21\.0\.0\.3-1-full-alpine-java8-openj9\/sha256__[0-9a-f]{64}\.tar\.gz\/3\.12:openssl:1\.1\.1k-r0$/,
    )
    expect(occ.evidence.artifact).toMatchObject({
      repo: 'docker-local',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    expect(occ.evidence.image).toMatchObject({
      image: 'component/open-liberty',
      tag: '21.0.0.3-1-full-alpine-java8-openj9',
    })
    expect(occ.evidence.source).toEqual({
      url: ghRepos[0]!.html_url,
      from: 'oci-label org.opencontainers.image.source',
    })

    // an artifact is an asset in its own right: one that says nothing about its source is in the queue all the same,
    // without a repository, and nothing of JFrog waits under Unmatched for lack of one
    const npm1 = (await all('source=jfrog')).filter((i) => i.target.name === 'npm-local/pkg-000001')
    expect(npm1.length).toBeGreaterThan(0)
    expect(npm1.every((i) => i.target.kind === 'artifact' && i.repositoryId === null)).toBe(true)
    expect((await unmatched()).filter((u) => u.kind === 'jfrog')).toEqual([])
  }, 300_000)

  it('scans only the newly selected repositories on the next run (PATCH locations)', async () => {
    const patch = await app.api('PATCH', `/api/v1/connections/${connectionId}`, { locations: ['libs-release-local'] })
    expect(patch.status).toBe(200)
    const sync = await app.api('POST', `/api/v1/connections/${connectionId}/syncs`)
    expect(sync.status).toBe(202)
    const run = await app.waitForRun(sync.body.run.id, { timeoutMs: 180_000 })
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded')
    expect(run.counts.fetched).toBe((await direct(['libs-release-local'])).length)
    expect(run.counts.skipped).toEqual({ not_vulnerability: 4, no_cve: 2, unsupported: 1 })

    await app.api('PATCH', `/api/v1/connections/${connectionId}`, { locations: ['npm-local', 'libs-release-local'] })
    const again = await app.waitForRun(
      (await app.api('POST', `/api/v1/connections/${connectionId}/syncs`)).body.run.id,
      { timeoutMs: 180_000 },
    )
    expect(again.status, JSON.stringify(again.error)).toBe('succeeded')
    expect(again.counts.fetched).toBe((await direct(['npm-local', 'libs-release-local'])).length)
  }, 300_000)

  it('keeps a repository’s findings when the token loses its permission between runs (incomplete, not failed)', async () => {
    const npmQueued = async () =>
      (await all('source=jfrog&status=open')).filter((i) => i.target.name.startsWith('npm-local/')).length
    const before = await npmQueued()
    expect(before).toBeGreaterThan(0)
    sim.patch({ revokedRepos: ['npm-local'] })
    try {
      const run = await app.waitForRun(
        (await app.api('POST', `/api/v1/connections/${connectionId}/syncs`)).body.run.id,
        { timeoutMs: 180_000 },
      )
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded')
      expect(run.counts.resolved).toBe(0)
      expect(await npmQueued()).toBe(before)
    } finally {
      sim.setFaults({})
    }
  }, 300_000)

  it('imports a second JFrog platform into the same workspace independently', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'jfrog',
      name: 'JFrog second',
      config: { platformUrl: other.url, username: 'svc-scan' },
      secrets: { accessToken: 'second-platform-token' },
    })
    expect(res.status).toBe(201)
    const run = await app.waitForRun(res.body.run.id, { timeoutMs: 180_000 })
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded')
    const items = await all('source=jfrog')
    const host2 = new URL(other.url).host
    const second = items.filter((i) => i.sources.some((s: any) => s.connectionName === 'JFrog second'))
    expect(second.length).toBeGreaterThan(0)
    const r4 = await repoId(ghRepos[4]!.full_name)
    for (const i of second) {
      expect(i.target.kind).toBe('image')
      expect(i.target.name.startsWith(`${host2}/apps-docker/app-`)).toBe(true)
      expect(i.repositoryId).toBe(r4)
    }
    // the first platform's findings are untouched
    expect(items.some((i) => i.sources.some((s: any) => s.connectionName === 'JFrog acme'))).toBe(true)
  }, 300_000)
})
