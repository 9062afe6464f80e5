import { isSkip, type MappedFinding, UpstreamError } from '@vulnsync/core'
import { generatedRepo } from '@vulnsync/simulators/jfrog/dataset.ts'
import { JFROG_SIM, type JfrogSimulator, startJfrogSimulator } from '@vulnsync/simulators/jfrog/index.ts'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { JfrogConfig } from './config.ts'
import { jfrogConnector } from './index.ts'
import type { JfrogCursor } from './read.ts'
import { collect, type Ev, incompletes, jfrogCtx, records, scopes, skips } from './testing.ts'

const reader = (sim: JfrogSimulator, waits?: number[]) =>
  jfrogCtx(sim.url, JFROG_SIM.readerToken, JFROG_SIM.readerUser, { waits })
const run = (sim: JfrogSimulator, selection: string[] | null, cursor: JfrogCursor | null = null) =>
  collect(jfrogConnector.read(reader(sim), { selection, cursor }))
const findingsOf = (evs: Ev[]): MappedFinding[] =>
  records(evs).flatMap((r) => {
    const m = jfrogConnector.map(r.raw, { fetchedAt: new Date(0) })
    return isSkip(m) ? [] : m
  })

let sim: JfrogSimulator
beforeAll(async () => {
  sim = await startJfrogSimulator()
})
afterAll(() => sim.close())
afterEach(() => {
  sim.setFaults({})
  sim.resetCalls()
})

describe('jfrog config', () => {
  it('accepts the platform URL with or without /artifactory and strips trailing slashes', () => {
    for (const u of [
      'https://acme.jfrog.io',
      'https://acme.jfrog.io/',
      'https://acme.jfrog.io/artifactory',
      'https://acme.jfrog.io/artifactory/',
      'https://acme.jfrog.io/ui/repos/tree',
    ])
      expect(JfrogConfig.parse({ platformUrl: u, username: 'u' }).platformUrl).toBe('https://acme.jfrog.io')
    expect(
      JfrogConfig.parse({ platformUrl: 'https://jfrog.acme.internal:8082/artifactory', username: 'u' }).platformUrl,
    ).toBe('https://jfrog.acme.internal:8082')
    expect(JfrogConfig.safeParse({ platformUrl: 'ftp://acme.jfrog.io', username: 'u' }).success).toBe(false)
    expect(jfrogConnector.baseUrl(JfrogConfig.parse({ platformUrl: 'https://acme.jfrog.io', username: 'u' }))).toBe(
      'https://acme.jfrog.io',
    )
  })
})

describe('jfrog check', () => {
  it('succeeds with authenticated calls only and says what it can read', async () => {
    const res = await jfrogConnector.check(reader(sim))
    expect(res).toMatchObject({
      ok: true,
      details: { repositories: ['docker-local', 'libs-release-local', 'npm-local'], auth: 'bearer' },
    })
    expect(res.message).toBe(
      `connected to JFrog Artifactory 7.104.12 and Xray 3.111.15 at ${sim.url} as "vulnsync-reader": 3 local repositories readable`,
    )
  })

  it('rejects a bad token although ping answers OK without credentials', async () => {
    const ping = await fetch(`${sim.url}/artifactory/api/system/ping`)
    expect(await ping.text()).toBe('OK')
    const res = await jfrogConnector.check(jfrogCtx(sim.url, 'wrong-token', 'someone'))
    expect(res).toEqual({
      ok: false,
      code: 'auth',
      message:
        'the access token was rejected by Artifactory (HTTP 401: Bad credentials): verify it is correct, has not expired or been revoked, and belongs to user "someone"',
      hint: 'Generate a new user-scoped access token (Edit Profile → Generate an Identity Token) and paste it again.',
    })
  })

  it('says so when the token is valid but no permission target grants Read on a local repository', async () => {
    const res = await jfrogConnector.check(jfrogCtx(sim.url, JFROG_SIM.noReposToken, 'nobody'))
    expect(res).toMatchObject({
      ok: false,
      code: 'permission',
      message:
        'the access token is valid but user "nobody" can read no local repository: add the user (or a group of it) to a permission target granting Read on the local repositories to scan',
    })
  })

  it('says Xray is not enabled when /xray answers 404', async () => {
    sim.setFaults({ xrayDisabled: true })
    const res = await jfrogConnector.check(reader(sim))
    expect(res).toMatchObject({
      ok: false,
      code: 'not_found',
      message: `Xray is not enabled or not reachable at ${sim.url}/xray (HTTP 404: Not Found): vulnsync reads the vulnerabilities of your repositories from JFrog Xray`,
    })
  })

  it('accepts a token Xray serves although its version endpoint is refused (empty summary probe)', async () => {
    sim.setFaults({ xrayVersionForbidden: true })
    const res = await jfrogConnector.check(reader(sim))
    expect(res.ok).toBe(true)
    expect(res.message).toContain('Xray version not disclosed')
    sim.setFaults({ xrayVersionForbidden: true, summaryV2Missing: true })
    expect((await jfrogConnector.check(reader(sim))).ok).toBe(true)
  })

  it('says the platform is unreachable when nothing listens', async () => {
    const res = await jfrogConnector.check(jfrogCtx('http://127.0.0.1:9', JFROG_SIM.readerToken, 'u'))
    expect(res).toMatchObject({
      ok: false,
      code: 'unreachable',
      message: 'could not reach the JFrog Platform at http://127.0.0.1:9: connection refused',
    })
  })

  it('says a sleeping JFrog Cloud environment is inactive', async () => {
    sim.setFaults({ inactive: true })
    const res = await jfrogConnector.check(reader(sim))
    expect(res).toMatchObject({
      ok: false,
      code: 'unreachable',
      message: `the JFrog Cloud environment at ${sim.url} is inactive (it redirects to the reactivation page)`,
    })
  })

  it('sends a legacy API key as basic user:key (a Bearer API key is refused)', async () => {
    const res = await jfrogConnector.check(jfrogCtx(sim.url, JFROG_SIM.legacyApiKey, JFROG_SIM.legacyUser))
    expect(res).toMatchObject({ ok: true, details: { auth: 'basic', repositories: ['docker-local'] } })
    const bearer = await fetch(`${sim.url}/artifactory/api/system/version`, {
      headers: { authorization: `Bearer ${JFROG_SIM.legacyApiKey}` },
    })
    expect(bearer.status).toBe(401)
  })
})

describe('jfrog discover', () => {
  it('lists the readable local repositories with their package type', async () => {
    const locs = []
    for await (const l of jfrogConnector.discover!(reader(sim))) locs.push(l)
    expect(locs.map((l) => [l.id, l.kind, l.meta?.packageType])).toEqual([
      ['docker-local', 'repository', 'Docker'],
      ['libs-release-local', 'repository', 'Maven'],
      ['npm-local', 'repository', 'Npm'],
    ])
  })
})

describe('jfrog read', () => {
  it('reads every readable repository when nothing is selected, with Docker images by tag', async () => {
    const evs = await run(sim, null)
    expect(scopes(evs)).toEqual(['docker-local', 'libs-release-local', 'npm-local'])
    const f = findingsOf(evs)
    const images = [...new Set(f.filter((x) => x.target.kind === 'image').map((x) => x.target.name))].sort()
    const host = new URL(sim.url).host
    expect(images).toEqual([`${host}/docker-local/busybox-app`, `${host}/docker-local/component/open-liberty`])
    // the OCI source label and the vcs.url property give the source repository
    expect(f.find((x) => x.target.name.endsWith('/component/open-liberty'))!.target.sourceRepoUrl).toBe(
      'https://github.com/OpenLiberty/ci.docker',
    )
    expect(
      f.find((x) => x.target.name === 'libs-release-local/org/acme/app' && x.target.version === '1.0.0')!.target
        .sourceRepoUrl,
    ).toBe('https://github.com/acme/app.git')
    // the per-platform manifest of the multi-arch tag and the layers are not asked about; checksum files neither
    const paths = new Set(records(evs).map((r) => `${r.raw.repo}/${r.raw.path}`))
    expect([...paths].some((p) => p.includes('sha256'))).toBe(false)
    // fixed versions from summary v2, evidence with the artifact and its sha256
    const jackson = f.find((x) => x.cve === 'CVE-2020-11112')!
    expect(jackson.fixedVersions).toEqual(['2.9.10.4', '>= 2.10.0, < 2.10.3'])
    expect(jackson.evidence.artifact).toMatchObject({
      path: 'org/acme/app/1.0.0/app-1.0.0.jar',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    // the image tag Xray has not indexed yet: counted, and its repository is not resolved this run
    expect(skips(evs)).toMatchObject({ not_indexed: 1, unsupported: 1 })
    expect(incompletes(evs)).toEqual(['docker-local'])
    // checkpoints are plain JSON
    for (const e of evs) if (e.type === 'checkpoint') expect(JSON.parse(JSON.stringify(e.cursor))).toEqual(e.cursor)
  })

  it('takes the source repository from the build info when an artifact only names its build', async () => {
    const evs = await run(sim, ['libs-release-local'])
    const lib = records(evs).find((r) => r.raw.path === 'org/acme/lib/2.1.0/lib-2.1.0.jar')!
    expect(lib.raw.build).toEqual({ name: 'lib', number: '7' })
    expect(lib.raw.source).toEqual({ url: 'https://github.com/acme/lib.git', from: 'build-info lib/7 vcs' })
    expect(sim.calls.byEndpoint['rt.build']).toBe(1)
    sim.setFaults({ buildsForbidden: true })
    const denied = await run(sim, ['libs-release-local'])
    expect(records(denied).find((r) => r.raw.path === 'org/acme/lib/2.1.0/lib-2.1.0.jar')!.raw.source).toBeUndefined()
    expect(incompletes(denied)).toEqual([])
  })

  it('reads only the selected repositories, and a new selection changes what the next run reads', async () => {
    const a = await run(sim, ['libs-release-local'])
    expect(scopes(a)).toEqual(['libs-release-local'])
    const b = await run(sim, ['npm-local', 'docker-local'])
    expect(scopes(b)).toEqual(['docker-local', 'npm-local'])
    expect(records(b).some((r) => r.raw.repo === 'libs-release-local')).toBe(false)
  })

  it('marks a repository incomplete (a warning, not a failure) when the token loses its permission between runs', async () => {
    const first = await run(sim, ['npm-local', 'libs-release-local'])
    expect(incompletes(first)).toEqual([])
    expect(records(first).filter((r) => r.scope === 'npm-local').length).toBeGreaterThan(0)
    sim.patch({ revokedRepos: ['npm-local'] })
    const second = await run(sim, ['npm-local', 'libs-release-local'])
    expect(incompletes(second)).toEqual(['npm-local'])
    expect(second.find((e) => e.type === 'warning')).toMatchObject({ code: 'repository_not_readable' })
    expect(records(second).filter((r) => r.scope === 'npm-local')).toHaveLength(0)
    expect(scopes(second)).toEqual(['libs-release-local'])
  })

  it('does not trust an empty AQL answer: a listed repository it cannot read is incomplete', async () => {
    // Artifactory's AQL filters by permission silently; if the repository list is not filtered the same way
    sim.setFaults({ unfilteredRepoList: true })
    const evs = await run(sim, null)
    expect(incompletes(evs)).toContain('secret-local')
    expect(evs.find((e) => e.type === 'warning' && e.message.includes('secret-local'))).toMatchObject({
      code: 'repository_forbidden',
    })
  })

  it('fails the run when every permission is gone and nothing is selected (never an empty success)', async () => {
    sim.setFaults({ revokedRepos: ['docker-local', 'libs-release-local', 'npm-local'] })
    await expect(run(sim, null)).rejects.toMatchObject({ kind: 'permission' })
  })

  it('warns when Xray has indexed nothing of a repository (not configured as an indexed resource)', async () => {
    sim.setFaults({
      notIndexed: [
        'docker-local/component/open-liberty/21.0.0.3-1-full-alpine-java8-openj9',
        'docker-local/artifact1/1.0',
        'docker-local/artifact1/1.1',
        'docker-local/busybox-app/2.0',
      ],
    })
    const evs = await run(sim, ['docker-local'])
    expect(records(evs)).toHaveLength(0)
    expect(incompletes(evs)).toEqual(['docker-local'])
    expect(evs.find((e) => e.type === 'warning')).toMatchObject({
      code: 'repository_not_indexed',
      message: expect.stringContaining('Xray has indexed none of the 5 artifacts'),
    })
  })

  it('retries an artifact Xray has not indexed yet on the next run', async () => {
    const first = await run(sim, ['docker-local'])
    expect(records(first).some((r) => r.raw.path === 'component/pending/3.0')).toBe(false)
    sim.setIndexed('docker-local/component/pending/3.0', true)
    const second = await run(sim, ['docker-local'])
    expect(records(second).some((r) => r.raw.path === 'component/pending/3.0')).toBe(true)
    expect(incompletes(second)).toEqual([])
  })

  it('falls back to summary v1 when Xray has no v2, and remembers it for the run', async () => {
    sim.setFaults({ summaryV2Missing: true })
    const evs = await run(sim, ['libs-release-local', 'npm-local'])
    expect(records(evs).every((r) => r.raw.api === 'v1')).toBe(true)
    expect(sim.calls.byEndpoint['xr.summary.v2']).toBe(1)
    expect(findingsOf(evs).length).toBeGreaterThan(0)
  })

  it('learns the path form Xray accepts (with or without default/, Docker tag folder or manifest.json)', async () => {
    sim.setFaults({ forbidDefaultPrefix: true, dockerPathForm: 'manifest' })
    const evs = await run(sim, ['docker-local'])
    expect(findingsOf(evs).length).toBeGreaterThan(20)
    const last = evs.filter((e) => e.type === 'checkpoint').pop()
    expect(last).toMatchObject({ cursor: { prefix: '', dockerForm: 'manifest' } })
    sim.setFaults({ requireDefaultPrefix: true, dockerPathForm: 'folder' })
    const again = await run(sim, ['docker-local'])
    expect(findingsOf(again).length).toBe(findingsOf(evs).length)
  })

  it('waits out a 429 with Retry-After and carries on', async () => {
    sim.setFaults({ rateLimitNext: 2, retryAfterSeconds: 3 })
    const waits: number[] = []
    const evs = await collect(
      jfrogConnector.read(reader(sim, waits), { selection: ['libs-release-local'], cursor: null }),
    )
    expect(waits).toEqual([3000, 3000])
    expect(records(evs).length).toBeGreaterThan(0)
  })

  it('fails the run when the token is revoked mid-run (an auth failure is never an empty result)', async () => {
    sim.setFaults({ authFailAfter: 3 })
    const err = await run(sim, null).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('auth')
  })

  it('fails the run when Xray disappears', async () => {
    sim.setFaults({ xrayDisabled: true })
    await expect(run(sim, ['libs-release-local'])).rejects.toMatchObject({ kind: 'not_found' })
  })
})

describe('jfrog read: paging and resume', () => {
  let big: JfrogSimulator
  beforeAll(async () => {
    big = await startJfrogSimulator({
      extraRepos: [
        generatedRepo({
          key: 'bulk-local',
          packageType: 'Docker',
          artifacts: 2500,
          vulnsPerArtifact: 1,
          notIndexedEvery: 0,
          sourceEvery: 3,
        }),
      ],
    })
  })
  afterAll(() => big.close())

  it('pages AQL with offset/limit, checkpoints per page, and resumes from a checkpoint without losing or repeating records', async () => {
    const full = await run(big, ['bulk-local'])
    const keyOf = (e: Ev) => (e.type === 'record' ? `${e.raw.path}#${e.raw.issue.issue_id}` : '')
    const all = records(full).map(keyOf).sort()
    expect(all).toHaveLength(2500)
    expect(full.filter((e) => e.type === 'checkpoint').map((e) => (e as any).cursor.current?.offset)).toEqual([
      1000,
      2000,
      undefined,
    ])

    // a crash after the first page: resume from its checkpoint
    const part: Ev[] = []
    let cursor: JfrogCursor | null = null
    for await (const e of jfrogConnector.read(reader(big), { selection: ['bulk-local'], cursor: null })) {
      part.push(e)
      if (e.type === 'checkpoint') {
        cursor = e.cursor
        break
      }
    }
    const rest = await run(big, ['bulk-local'], cursor)
    expect([...records(part), ...records(rest)].map(keyOf).sort()).toEqual(all)
    // OCI labels on every third tag
    expect(records(full).filter((r) => r.raw.source).length).toBe(Math.ceil(2500 / 3))
  })
})

describe('jfrog: two platforms in one workspace', () => {
  it('reads two JFrog platforms independently', async () => {
    const other = await startJfrogSimulator({
      seed: 7,
      repos: [generatedRepo({ key: 'npm-local', packageType: 'Npm', artifacts: 12, vulnsPerArtifact: 2, seed: 7 })],
      tokens: [{ token: 'other-token', user: 'other', repos: ['npm-local'] }],
    })
    try {
      const [a, b] = await Promise.all([
        run(sim, ['npm-local']),
        collect(jfrogConnector.read(jfrogCtx(other.url, 'other-token', 'other'), { selection: null, cursor: null })),
      ])
      const fa = findingsOf(a)
      const fb = findingsOf(b)
      expect(fa.length).toBeGreaterThan(0)
      expect(fb.length).toBeGreaterThan(0)
      expect(new Set(fa.map((f) => new URL(f.link!).host))).toEqual(new Set([new URL(sim.url).host]))
      expect(new Set(fb.map((f) => new URL(f.link!).host))).toEqual(new Set([new URL(other.url).host]))
      // the first platform's token means nothing to the second
      expect((await jfrogConnector.check(jfrogCtx(other.url, JFROG_SIM.readerToken, JFROG_SIM.readerUser))).ok).toBe(
        false,
      )
      // revoking on one platform leaves the other untouched
      other.patch({ revokedRepos: ['npm-local'] })
      expect(incompletes(await run(sim, ['npm-local']))).toEqual([])
    } finally {
      await other.close()
    }
  })
})

describe('jfrog: which versions count', () => {
  let versions: JfrogSimulator
  beforeAll(async () => {
    versions = await startJfrogSimulator({
      extraRepos: [
        // 300 npm packages × 7 versions: 2,100 tarballs, so packages straddle the 1,000-item AQL pages
        generatedRepo({
          key: 'npm-versions',
          packageType: 'Npm',
          artifacts: 2100,
          versionsPerPackage: 7,
          vulnsPerArtifact: 1,
          downloadedRecently: (i) => i % 7 === 2,
        }),
        // 5 images × 4 tags, tag 1.0.0 of app-000001 pulled lately
        generatedRepo({
          key: 'docker-versions',
          packageType: 'Docker',
          artifacts: 20,
          vulnsPerArtifact: 1,
          downloadedRecently: (i) => i === 4,
        }),
      ],
      tokens: [{ token: 'versions-token', user: 'version-reader', repos: ['npm-versions', 'docker-versions'] }],
    })
  })
  afterAll(() => versions.close())
  const ctxOf = (v: 'recent' | 'all') => jfrogCtx(versions.url, 'versions-token', 'version-reader', { versions: v })
  const recentRun = (selection: string[], cursor: JfrogCursor | null = null, o: { versions?: 'recent' | 'all' } = {}) =>
    collect(jfrogConnector.read(ctxOf(o.versions ?? 'recent'), { selection, cursor }))

  it('counts the newest version of each package and those downloaded lately, across AQL pages', async () => {
    const evs = await recentRun(['npm-versions'])
    const read = records(evs).map((r) => r.raw.path)
    // per package: the newest (1.6.0) and the one downloaded 5 days ago (1.2.0)
    expect(read).toHaveLength(600)
    expect(new Set(read).size).toBe(600)
    expect(read.every((p) => /-1\.(6|2)\.0\.tgz$/.test(p))).toBe(true)
    expect(skips(evs)).toEqual({ version_not_counted: 1500 })
    // every finding's issue target is the package without its version; the version is where it was found
    const f = findingsOf(evs)
    expect(new Set(f.map((x) => x.target.name)).size).toBe(300)
    expect(new Set(f.map((x) => x.target.version))).toEqual(new Set(['1.6.0', '1.2.0']))
    expect(f.every((x) => /^npm-versions\/pkg-\d{6}$/.test(x.target.name))).toBe(true)
  })

  it('resumes from a checkpoint inside a package that straddles pages without losing or repeating a version', async () => {
    const full = records(await recentRun(['npm-versions']))
      .map((r) => r.raw.path)
      .sort()
    const part: Ev[] = []
    let cursor: JfrogCursor | null = null
    for await (const e of jfrogConnector.read(ctxOf('recent'), { selection: ['npm-versions'], cursor: null })) {
      part.push(e)
      if (e.type === 'checkpoint') {
        cursor = e.cursor
        break
      }
    }
    // the first page ends inside package 142 (items 994..1000): the checkpoint points at its first version
    expect(cursor!.current).toEqual({ repo: 'npm-versions', offset: 994 })
    const rest = records(await recentRun(['npm-versions'], cursor)).map((r) => r.raw.path)
    expect([...records(part).map((r) => r.raw.path), ...rest].sort()).toEqual(full)
  })

  it('counts the newest tag of each image and the tags pulled lately', async () => {
    const evs = await recentRun(['docker-versions'])
    const tags = records(evs)
      .map((r) => `${r.raw.docker!.image}:${r.raw.docker!.tag}`)
      .sort()
    expect(tags).toEqual([
      'app-000000:1.3.0',
      'app-000001:1.0.0',
      'app-000001:1.3.0',
      'app-000002:1.3.0',
      'app-000003:1.3.0',
      'app-000004:1.3.0',
    ])
    expect(skips(evs)).toEqual({ version_not_counted: 14 })
  })

  it('counts every version when asked to, or when Artifactory keeps its download statistics to itself', async () => {
    expect(records(await recentRun(['npm-versions'], null, { versions: 'all' }))).toHaveLength(2100)
    versions.setFaults({ statsUnavailable: true })
    try {
      const evs = await recentRun(['docker-versions'])
      expect(records(evs)).toHaveLength(20)
      expect(evs.find((e) => e.type === 'warning' && e.code === 'download_stats_unavailable')).toBeTruthy()
    } finally {
      versions.setFaults({})
    }
  })
})
