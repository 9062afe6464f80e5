import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatedRepo } from './dataset.ts'
import { JFROG_SIM, type JfrogSimulator, startJfrogSimulator } from './index.ts'

let sim: JfrogSimulator
beforeAll(async () => {
  sim = await startJfrogSimulator()
})
afterAll(() => sim.close())

const call = async (
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; text?: string; headers?: Record<string, string> } = {},
) => {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) }
  const token = opts.token === undefined ? JFROG_SIM.readerToken : opts.token
  if (token) headers.authorization = `Bearer ${token}`
  let body: string | undefined
  if (opts.text !== undefined) {
    body = opts.text
    headers['content-type'] = 'text/plain'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(`${sim.url}${path}`, { method, headers, body, redirect: 'manual' })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json, headers: res.headers }
}

describe('jfrog simulator: authentication', () => {
  it('answers ping without credentials but the version only with a valid token (Artifactory and Xray error shapes)', async () => {
    expect(await call('GET', '/artifactory/api/system/ping', { token: null })).toMatchObject({
      status: 200,
      text: 'OK',
    })
    expect(await call('GET', '/xray/api/v1/system/ping', { token: null })).toMatchObject({
      status: 200,
      json: { status: 'pong' },
    })
    expect(await call('GET', '/artifactory/api/system/version', { token: 'nope' })).toMatchObject({
      status: 401,
      json: { errors: [{ status: 401, message: 'Bad credentials' }] },
    })
    expect(await call('GET', '/xray/api/v1/system/version', { token: 'nope' })).toMatchObject({
      status: 401,
      json: { error: 'Authentication failed' },
    })
    expect(await call('GET', '/artifactory//api/system/version')).toMatchObject({
      status: 200,
      json: { version: '7.104.12' },
    })
  })

  it('accepts Bearer, basic user:token and X-JFrog-Art-Api for an API key', async () => {
    const basic = Buffer.from(`${JFROG_SIM.readerUser}:${JFROG_SIM.readerToken}`).toString('base64')
    expect(
      (
        await call('GET', '/artifactory/api/system/version', {
          token: null,
          headers: { authorization: `Basic ${basic}` },
        })
      ).status,
    ).toBe(200)
    const wrongUser = Buffer.from(`someone-else:${JFROG_SIM.readerToken}`).toString('base64')
    expect(
      (
        await call('GET', '/artifactory/api/system/version', {
          token: null,
          headers: { authorization: `Basic ${wrongUser}` },
        })
      ).status,
    ).toBe(401)
    expect(
      (
        await call('GET', '/artifactory/api/system/version', {
          token: null,
          headers: { 'x-jfrog-art-api': JFROG_SIM.legacyApiKey },
        })
      ).status,
    ).toBe(200)
  })
})

describe('jfrog simulator: Artifactory', () => {
  it('lists only the repositories the token can read, filtered by type', async () => {
    const r = await call('GET', '/artifactory/api/repositories?type=local')
    expect(r.json.map((x: any) => [x.key, x.type, x.packageType])).toEqual([
      ['docker-local', 'LOCAL', 'Docker'],
      ['libs-release-local', 'LOCAL', 'Maven'],
      ['npm-local', 'LOCAL', 'Npm'],
    ])
    const admin = await call('GET', '/artifactory/api/repositories', { token: JFROG_SIM.adminToken })
    expect(admin.json.map((x: any) => x.key)).toContain('secret-local')
    expect(admin.json.map((x: any) => x.type)).toContain('REMOTE')
  })

  it('enforces the non-admin AQL rule: .include() must name repo, path and name', async () => {
    const bad = await call('POST', '/artifactory/api/search/aql', {
      text: 'items.find({"repo":"npm-local"}).include("name","sha256")',
    })
    expect(bad).toMatchObject({
      status: 403,
      json: {
        errors: [
          { status: 403, message: 'For permissions reasons AQL demands the following fields: repo, path and name.' },
        ],
      },
    })
    const builds = await call('POST', '/artifactory/api/search/aql', { text: 'builds.find()' })
    expect(builds.status).toBe(403)
    const admin = await call('POST', '/artifactory/api/search/aql', {
      token: JFROG_SIM.adminToken,
      text: 'items.find({"repo":"npm-local"}).include("name").limit(2)',
    })
    expect(admin.json.results).toEqual([{ name: 'pkg-000000-1.0.0.tgz' }, { name: 'pkg-000001-1.1.0.tgz' }])
  })

  it('pages AQL with sort/offset/limit and reports the range', async () => {
    const q = (offset: number) =>
      `items.find({"repo":"npm-local","type":"file"}).include("repo","path","name","sha256").sort({"$asc":["path","name"]}).offset(${offset}).limit(15)`
    const p1 = await call('POST', '/artifactory/api/search/aql', { text: q(0) })
    const p3 = await call('POST', '/artifactory/api/search/aql', { text: q(30) })
    expect(p1.json.results).toHaveLength(15)
    expect(p1.json.range).toEqual({ start_pos: 0, end_pos: 15, total: 15, limit: 15 })
    expect(p3.json.results).toHaveLength(10)
    expect(p1.json.results[0]).toEqual({
      repo: 'npm-local',
      path: 'pkg-000000/-',
      name: 'pkg-000000-1.0.0.tgz',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
  })

  it('supports $or, $match and @property criteria with property includes, and filters unreadable repositories silently', async () => {
    const docker = await call('POST', '/artifactory/api/search/aql', {
      text: 'items.find({"repo":"docker-local","$or":[{"name":"manifest.json"},{"name":"list.manifest.json"}]}).include("repo","path","name")',
    })
    expect(docker.json.results.map((r: any) => `${r.path}/${r.name}`)).toContain('busybox-app/2.0/list.manifest.json')
    const labelled = await call('POST', '/artifactory/api/search/aql', {
      text: 'items.find({"repo":"docker-local","@docker.label.org.opencontainers.image.source":{"$match":"*"}}).include("repo","path","name","property.key","property.value")',
    })
    expect(labelled.json.results).toHaveLength(2)
    expect(labelled.json.results[0].properties).toContainEqual({
      key: 'docker.label.org.opencontainers.image.source',
      value: 'git@github.com:acme/busybox-app.git',
    })
    const secret = await call('POST', '/artifactory/api/search/aql', {
      text: 'items.find({"repo":"secret-local"}).include("repo","path","name")',
    })
    expect(secret).toMatchObject({ status: 200, json: { results: [] } })
    expect((await call('POST', '/artifactory/api/search/aql', { text: 'items.find({"repo":' })).status).toBe(400)
  })

  it('lists storage deep with numeric size and sha2, and answers 403 (or 404 when hiding) for a repository the token cannot read', async () => {
    const list = await call('GET', '/artifactory/api/storage/libs-release-local/org/acme?list&deep=1')
    expect(list.json.files).toContainEqual(
      expect.objectContaining({
        uri: '/app/1.0.0/app-1.0.0.jar',
        folder: false,
        size: expect.any(Number),
        sha2: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    )
    expect(await call('GET', '/artifactory/api/storage/secret-local')).toMatchObject({
      status: 403,
      json: { errors: [{ status: 403 }] },
    })
    sim.patch({ hideForbidden: true })
    expect(await call('GET', '/artifactory/api/storage/secret-local')).toMatchObject({
      status: 404,
      json: { errors: [{ status: 404, message: 'Unable to find item' }] },
    })
    sim.setFaults({})
    expect(await call('GET', '/artifactory/api/storage/libs-release-local/nope/x.jar')).toMatchObject({
      status: 404,
      json: { errors: [{ message: 'Unable to find item' }] },
    })
  })

  it('serves the Docker registry API: catalog, tags and manifests', async () => {
    const cat = await call('GET', '/artifactory/api/docker/docker-local/v2/_catalog')
    expect(cat.json.repositories).toEqual(['artifact1', 'busybox-app', 'component/open-liberty', 'component/pending'])
    expect(
      (await call('GET', '/artifactory/api/docker/docker-local/v2/_catalog?n=2&last=artifact1')).json.repositories,
    ).toEqual(['busybox-app', 'component/open-liberty'])
    const tags = await call('GET', '/artifactory/api/docker/docker-local/v2/artifact1/tags/list')
    expect(tags.json).toEqual({ name: 'artifact1', tags: ['1.0', '1.1'] })
    const mf = await call(
      'GET',
      '/artifactory/api/docker/docker-local/v2/component/open-liberty/manifests/21.0.0.3-1-full-alpine-java8-openj9',
    )
    expect(mf.json).toMatchObject({
      schemaVersion: 2,
      annotations: { 'org.opencontainers.image.source': 'https://github.com/OpenLiberty/ci.docker' },
    })
    expect((await call('GET', '/artifactory/api/docker/npm-local/v2/_catalog')).json).toEqual({
      errors: [{ status: 400, message: "Unsupported docker repository request for 'npm-local'" }],
    })
  })
})

describe('jfrog simulator: Xray', () => {
  const path = 'default/docker-local/component/open-liberty/21.0.0.3-1-full-alpine-java8-openj9'

  it('answers the summary v2 with components and v1 without, seeded from the real capture', async () => {
    const v2 = await call('POST', '/xray/api/v2/summary/artifact', { body: { paths: [path] } })
    expect(v2.status).toBe(200)
    const a = v2.json.artifacts[0]
    expect(a.general).toMatchObject({
      path: `${path}/`,
      pkg_type: 'Docker',
      sha256: 'eaab06c0a28618bfb65481bf31bce7d6dd3a15dac528297690111c202a1cd468',
    })
    expect(a.issues).toHaveLength(15)
    expect(a.issues[0].components).toEqual([
      { component_id: 'alpine://3.12:ssl_client:1.31.1-r20', pkg_type: 'Alpine', fixed_versions: ['[1.31.1-r21]'] },
      { component_id: 'alpine://3.12:busybox:1.31.1-r20', pkg_type: 'Alpine', fixed_versions: ['[1.31.1-r21]'] },
    ])
    const v1 = await call('POST', '/xray/api/v1/summary/artifact', { body: { paths: [`${path}/manifest.json`] } })
    expect(v1.json.artifacts[0].issues.every((i: any) => i.components === undefined)).toBe(true)
  })

  it('returns not-indexed and unknown paths as in-band errors with HTTP 200, and an empty object for an empty request', async () => {
    const r = await call('POST', '/xray/api/v2/summary/artifact', {
      body: {
        paths: [
          'default/docker-local/component/pending/3.0',
          'default/nope/x.jar',
          'default/secret-local/internal/secret-tool-1.0.tar.gz',
        ],
      },
    })
    expect(r.status).toBe(200)
    expect(r.json).toEqual({
      errors: [
        {
          identifier: 'default/docker-local/component/pending/3.0',
          error: "Artifact doesn't exist or not indexed/cached in Xray",
        },
        { identifier: 'default/nope/x.jar', error: "Artifact doesn't exist or not indexed/cached in Xray" },
        {
          identifier: 'default/secret-local/internal/secret-tool-1.0.tar.gz',
          error: "Artifact doesn't exist or not indexed/cached in Xray",
        },
      ],
    })
    expect((await call('POST', '/xray/api/v1/summary/artifact', { body: {} })).json).toEqual({})
  })

  it('switches: v2 missing, default/ prefix required, Docker path form, Xray disabled (also through POST /__sim/faults)', async () => {
    await call('POST', '/__sim/faults', {
      body: { summaryV2Missing: true, requireDefaultPrefix: true, dockerPathForm: 'manifest' },
    })
    expect((await call('POST', '/xray/api/v2/summary/artifact', { body: { paths: [path] } })).status).toBe(404)
    expect(
      (
        await call('POST', '/xray/api/v1/summary/artifact', {
          body: { paths: [path.slice('default/'.length) + '/manifest.json'] },
        })
      ).json.errors,
    ).toHaveLength(1)
    expect((await call('POST', '/xray/api/v1/summary/artifact', { body: { paths: [path] } })).json.errors).toHaveLength(
      1,
    )
    expect(
      (await call('POST', '/xray/api/v1/summary/artifact', { body: { paths: [`${path}/manifest.json`] } })).json
        .artifacts,
    ).toHaveLength(1)
    sim.setFaults({ xrayDisabled: true })
    expect((await call('GET', '/xray/api/v1/system/version')).status).toBe(404)
    sim.setFaults({})
  })

  it('tells scan states apart: DONE, PENDING, NOT_SUPPORTED', async () => {
    const st = async (repo: string, p: string) =>
      (await call('POST', '/xray/api/v1/artifact/status', { body: { repo, path: p } })).json?.overall?.status
    expect(await st('libs-release-local', 'org/acme/app/1.0.0/app-1.0.0.jar')).toBe('DONE')
    expect(await st('docker-local', 'component/pending/3.0/manifest.json')).toBe('PENDING')
    expect(await st('libs-release-local', 'docs/README.txt')).toBe('NOT_SUPPORTED')
  })

  it('pages the scans list with offset -1 on the last page, and refuses scanArtifact to a read-only token', async () => {
    const p = await call('GET', '/xray/api/v1/artifacts?repo=npm-local&num_of_rows=30&offset=0')
    expect(p.json.data).toHaveLength(30)
    expect(p.json.offset).toBe(30)
    const last = await call('GET', `/xray/api/v1/artifacts?repo=npm-local&num_of_rows=30&offset=${p.json.offset}`)
    expect(last.json.offset).toBe(-1)
    expect(
      await call('POST', '/xray/api/v1/scanArtifact', { body: { componentID: 'docker://artifact1:1.0' } }),
    ).toMatchObject({ status: 403, json: { error: expect.any(String) } })
  })

  it('rate limits with 429 and Retry-After', async () => {
    sim.setFaults({ rateLimitNext: 1, retryAfterSeconds: 7 })
    const r = await call('GET', '/artifactory/api/system/version')
    expect(r.status).toBe(429)
    expect(r.headers.get('retry-after')).toBe('7')
    expect(r.json).toEqual({ errors: [{ status: 429, message: 'rate limit exceeded' }] })
    sim.setFaults({})
  })
})

describe('jfrog simulator: generated data', () => {
  it('generates 200,000 vulnerable components across 10,000 artifacts lazily and deterministically', () => {
    const repo = generatedRepo({ key: 'bulk-local', packageType: 'Docker', artifacts: 10_000, vulnsPerArtifact: 20 })
    expect(repo.count).toBe(10_000)
    const last = repo.item(9_999)
    expect(last.path).toBe('app-002499/1.3.0')
    const s = last.summary!()
    expect(s.issues).toHaveLength(20)
    expect(repo.item(9_999).summary!()).toEqual(s)
    expect(repo.find('app-002499/1.3.0', 'manifest.json')?.sha256).toBe(last.sha256)
    expect(s.issues[0].impact_path[0]).toMatch(
      /^default\/bulk-local\/app-002499\/1\.3\.0\/sha256__[0-9a-f]{64}\.tar\.gz\/3\.18:/,
    )
  })
})
