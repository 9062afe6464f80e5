import { startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { dockerFixtureRepo, generatedRepo, startJfrogSimulator } from '@vulnsync/simulators/jfrog/index.ts'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../testing.ts'

/**
 * Images and artifacts are assets in their own right: with only JFrog connected, the vulnerabilities of its images are
 * in the queue with the image as their target and nothing waits under Unmatched; once source control is connected,
 * the same issues also carry the repository their image was built from (no re-read of JFrog needed).
 */
describe('JFrog images without source control, then with it', () => {
  const teardown: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const f of teardown.reverse()) await f()
  })

  it('queues image vulnerabilities at once, and adds their repository when an SCM brings it', async () => {
    const app = await startTestApp()
    teardown.push(() => app.close())
    const gh = await startGithubSimulator({ repos: 4, seed: 3 })
    teardown.push(() => gh.close())
    const source = gh.repo(gh.visibleIds('ghp_admin')[0]!) as { html_url: string; full_name: string }
    const sim = await startJfrogSimulator({
      repos: [dockerFixtureRepo('docker-local', { openLibertySource: source.html_url })],
    })
    teardown.push(() => sim.close())

    const jf = await app.api('POST', '/api/v1/connections', {
      kind: 'jfrog',
      name: 'JFrog',
      config: { platformUrl: sim.url, username: 'vulnsync-reader' },
      secrets: { accessToken: sim.tokens[0]!.token },
    })
    expect(jf.status, JSON.stringify(jf.body)).toBe(201)
    expect((await app.waitForRun(jf.body.run.id, { timeoutMs: 120_000 })).status).toBe('succeeded')

    const images = (await app.api('GET', '/api/v1/vulnerabilities?source=jfrog&limit=500')).body.items.filter(
      (i: any) => i.target.kind === 'image',
    )
    expect(images.length).toBeGreaterThan(0)
    expect(images.every((i: any) => i.repositoryId === null && i.status === 'open')).toBe(true)
    // the tag is not part of the issue: the issue lists the tags that contain it
    expect(images.every((i: any) => !/:[^/]+$/.test(i.target.name) && i.target.versions.length > 0)).toBe(true)
    const summary = (await app.api('GET', '/api/v1/unmatched/summary')).body
    expect(summary).toEqual({ findings: 0, targets: 0, byConnection: [] })
    expect((await app.api('GET', `/api/v1/connections/${jf.body.connection.id}`)).body.connection.unmatched).toEqual({
      findings: 0,
      targets: 0,
    })

    // source control arrives: the image built from that repository now carries it, without reading JFrog again
    const runsBefore = (await app.api('GET', `/api/v1/syncs?connectionId=${jf.body.connection.id}`)).body.items.length
    const scm = await app.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'GitHub',
      config: { baseUrl: gh.url, org: gh.org },
      secrets: { token: 'ghp_admin' },
    })
    expect((await app.waitForRun(scm.body.run.id, { timeoutMs: 120_000 })).status).toBe('succeeded')
    const repo = (await app.api('GET', `/api/v1/repositories?q=${encodeURIComponent(source.full_name)}`)).body.items[0]
    const after = (await app.api('GET', '/api/v1/vulnerabilities?source=jfrog&limit=500')).body.items.filter(
      (i: any) => i.target.kind === 'image',
    )
    const built = after.filter((i: any) => i.target.name.includes('open-liberty'))
    expect(built.length).toBeGreaterThan(0)
    expect(built.every((i: any) => i.repositoryId === repo.id)).toBe(true)
    expect(after.map((i: any) => i.id).sort()).toEqual(images.map((i: any) => i.id).sort())
    expect((await app.api('GET', `/api/v1/vulnerabilities?repository=${repo.id}&source=jfrog`)).body.total).toBe(
      built.length,
    )
    expect((await app.api('GET', `/api/v1/syncs?connectionId=${jf.body.connection.id}`)).body.items.length).toBe(
      runsBefore,
    )
  }, 300_000)

  it('keys images without their tag, lists the tags that contain each vulnerability, and fixes it once no counted tag does', async () => {
    const app = await startTestApp()
    teardown.push(() => app.close())
    const sim = await startJfrogSimulator({
      repos: [generatedRepo({ key: 'apps', packageType: 'Docker', artifacts: 12, vulnsPerArtifact: 6, seed: 5 })],
      tokens: [{ token: 'apps-token', user: 'apps-reader', repos: ['apps'] }],
    })
    teardown.push(() => sim.close())
    const jf = await app.api('POST', '/api/v1/connections', {
      kind: 'jfrog',
      name: 'JFrog apps',
      config: { platformUrl: sim.url, username: 'apps-reader', versions: 'all' },
      secrets: { accessToken: 'apps-token' },
    })
    expect(jf.status, JSON.stringify(jf.body)).toBe(201)
    const id = jf.body.connection.id
    expect((await app.waitForRun(jf.body.run.id, { timeoutMs: 120_000 })).status).toBe('succeeded')
    const issues = async () => (await app.api('GET', '/api/v1/vulnerabilities?source=jfrog&limit=500')).body.items
    const all = await issues()
    // three images, four tags each: one issue per (image, package, CVE), whatever the number of tags containing it
    expect(new Set(all.map((i: any) => i.target.name)).size).toBe(3)
    expect(
      all.every(
        (i: any) => i.target.versions.length >= 1 && i.target.versions.every((v: string) => /^1\.[0-3]\.0$/.test(v)),
      ),
    ).toBe(true)
    const onlyOld = all.filter((i: any) => !i.target.versions.includes('1.3.0'))
    const inNewest = all.filter((i: any) => i.target.versions.includes('1.3.0'))
    expect(onlyOld.length).toBeGreaterThan(0)
    expect(inNewest.length).toBeGreaterThan(0)

    // only the newest tag of each image counts now (nothing was pulled lately): the rest is fixed
    expect((await app.api('PATCH', `/api/v1/connections/${id}`, { config: { versions: 'recent' } })).status).toBe(200)
    const run = await app.waitForRun((await app.api('POST', `/api/v1/connections/${id}/syncs`)).body.run.id, {
      timeoutMs: 120_000,
    })
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded')
    expect(run.counts.skipped.version_not_counted).toBe(9)
    const after = new Map((await issues()).map((i: any) => [i.id, i]))
    for (const i of onlyOld) expect((after.get(i.id) as any).status, i.cve).toBe('fixed')
    for (const i of inNewest) {
      const a = after.get(i.id) as any
      expect(a.status).toBe('open')
      expect(a.target.versions).toEqual(['1.3.0'])
    }
  }, 300_000)
})
