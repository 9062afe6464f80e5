import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
import { AqlError, parseAql, runAql } from './aql.ts'
import { defaultBuilds, defaultRepos, type SimItem, type SimRepo } from './dataset.ts'

export type { JfrogRepoOptions, SimItem, SimRepo } from './dataset.ts'
export { defaultBuilds, defaultRepos, dockerFixtureRepo, generatedRepo, libsRepo, staticRepo } from './dataset.ts'

/**
 * JFrog Platform simulator (Artifactory + Xray on one host), per jfrog.md §7.
 *
 * Endpoints (paths may contain `//`): Artifactory ping (no auth), readiness, system/version, repositories
 * (filtered to what the token reads; a REMOTE entry when type is not local), repositories/{key}, storage (folder
 * info, file info, `?list&deep=1` with numeric size and sha2; 403, or 404 with `hideForbidden`), AQL (items domain,
 * non-admin include rule, $and/$or/$match/@property, include/sort/offset/limit, silent permission filter),
 * build/{name}/{number}, Docker registry v2 (_catalog, tags/list with n/last, manifests with labels as
 * annotations); Xray ping (no auth), system/version, summary/artifact v1 and v2 (in-band errors with HTTP 200,
 * `{}` for an empty request), artifact/status (DONE / PENDING / NOT_SUPPORTED), artifacts (scans list with
 * `offset: -1` on the last page), scanArtifact (403 to read-only tokens). Not simulated: reports, cve_applicability.
 * Auth: Bearer token, basic `user:token`, `X-JFrog-Art-Api` for API keys; 401 bodies in the Artifactory
 * (`{"errors":[…]}`) or Xray (`{"error":…}`) shape. Data: `defaultRepos()` (docker-local seeded from the real Xray
 * captures, libs-release-local, npm-local generated, secret-local not granted to the reader token) or any
 * `generatedRepo()` — 10,000 artifacts × 20 issues = 200,000 vulnerable components, generated per item (rngFor).
 *
 * Switches (set with `sim.setFaults({...})`, merged with `sim.patch({...})`, or POST /__sim/faults):
 * - `xrayDisabled`           every /xray request answers 404 (Xray not installed / not entitled)
 * - `revokedRepos: string[]` repositories no non-admin token can read any more (a permission removed)
 * - `hideForbidden`          unreadable repositories answer 404 instead of 403 ("hide existence")
 * - `summaryV2Missing`       POST /xray/api/v2/summary/artifact answers 404 (Xray older than v2 summary)
 * - `requireDefaultPrefix`   summary paths must start with `default/` (else the in-band not-indexed error)
 * - `forbidDefaultPrefix`    summary paths must be `<repo>/<path>` without `default/` (older or project-scoped Xray)
 * - `unfilteredRepoList`     GET /api/repositories lists every repository, readable or not (jfrog.md §9 q4)
 * - `dockerPathForm`         'any' (default) | 'folder' | 'manifest': the Docker summary path form Xray accepts
 * - `notIndexed: string[]`   artifact keys (`repo/path/name`, Docker `repo/image/tag`) Xray has not indexed yet
 * - `inactive`               a sleeping JFrog Cloud environment: everything redirects to /reactivate-server
 * - `xrayVersionForbidden`   GET /xray/api/v1/system/version answers 403 to non-admin tokens
 * - `buildsForbidden`        build info answers 403 (the user has no Read on the build-info repository)
 * - `aqlHardLimit`           AQL answers at most this many results per query (SaaS hard limit)
 * - `statsUnavailable`       AQL on `stat.*` fields answers 400 (download statistics not available to the user)
 * plus the kit's rateLimitNext/Every, serverErrorNext/Every, latencyMs, truncateNext, authFailAfter.
 */

export interface JfrogSimToken {
  token: string
  user: string
  admin?: boolean
  /** readable repositories; undefined = all */
  repos?: string[]
  /** a legacy API key: only accepted as basic password or X-JFrog-Art-Api, not as Bearer */
  apiKey?: boolean
}

export const JFROG_SIM = {
  adminToken: 'sim-admin-token',
  readerToken: `cmVmdGtuOjAxOjE3OTk5OTk5OTk6${'R'.repeat(38)}`,
  readerUser: 'vulnsync-reader',
  dockerOnlyToken: 'sim-docker-only-token',
  noReposToken: 'sim-no-repos-token',
  legacyApiKey: `AKCp8${'k'.repeat(68)}`,
  legacyUser: 'legacy-user',
} as const

export const defaultTokens = (): JfrogSimToken[] => [
  { token: JFROG_SIM.adminToken, user: 'admin', admin: true },
  {
    token: JFROG_SIM.readerToken,
    user: JFROG_SIM.readerUser,
    repos: ['docker-local', 'libs-release-local', 'npm-local', 'bulk-local'],
  },
  { token: JFROG_SIM.dockerOnlyToken, user: 'docker-reader', repos: ['docker-local'] },
  { token: JFROG_SIM.noReposToken, user: 'nobody', repos: [] },
  { token: JFROG_SIM.legacyApiKey, user: JFROG_SIM.legacyUser, apiKey: true, repos: ['docker-local'] },
]

export interface JfrogSimulatorOptions {
  port?: number
  seed?: number
  /** replaces the default repositories */
  repos?: SimRepo[]
  /** added to the repositories */
  extraRepos?: SimRepo[]
  npmArtifacts?: number
  tokens?: JfrogSimToken[]
  faults?: Faults
  artifactoryVersion?: string
  xrayVersion?: string
  /** published builds: `name/number` → VCS URL */
  builds?: Record<string, string>
}

export interface JfrogSimulator extends Simulator {
  repos: Map<string, SimRepo>
  tokens: JfrogSimToken[]
  /** merges switches into the current faults (setFaults replaces them) */
  patch(f: Faults): void
  /** requests by logical endpoint, and Xray totals */
  calls: {
    xray: number
    summary: number
    summaryPaths: number
    status: number
    aql: number
    byEndpoint: Record<string, number>
  }
  resetCalls(): void
  /** marks an artifact (`repo/path/name`, Docker `repo/image/tag`) indexed or not */
  setIndexed(key: string, indexed: boolean): void
}

const NOT_INDEXED = "Artifact doesn't exist or not indexed/cached in Xray"
const rtError = (status: number, message: string) => ({ errors: [{ status, message }] })
const xrError = (message: string) => ({ error: message })

const artifactKey = (it: SimItem): string =>
  it.docker
    ? `${it.repo}/${it.docker.image}/${it.docker.tag}`
    : `${it.repo}/${it.path === '.' ? '' : `${it.path}/`}${it.name}`

export const startJfrogSimulator = async (opts: JfrogSimulatorOptions = {}): Promise<JfrogSimulator> => {
  const repoList = [
    ...(opts.repos ?? defaultRepos({ npmArtifacts: opts.npmArtifacts, seed: opts.seed })),
    ...(opts.extraRepos ?? []),
  ]
  const repos = new Map(repoList.map((r) => [r.key, r]))
  const tokens = opts.tokens ?? defaultTokens()
  const indexedOverride = new Map<string, boolean>()
  const builds = opts.builds ?? defaultBuilds()
  const calls = { xray: 0, summary: 0, summaryPaths: 0, status: 0, aql: 0, byEndpoint: {} as Record<string, number> }
  let faults: Faults = {}
  const count = (name: string) => {
    calls.byEndpoint[name] = (calls.byEndpoint[name] ?? 0) + 1
  }

  const identify = (req: SimRequest): JfrogSimToken | undefined => {
    const auth = String(req.headers.authorization ?? '')
    const apiKeyHeader = req.headers['x-jfrog-art-api']
    if (typeof apiKeyHeader === 'string') return tokens.find((t) => t.token === apiKeyHeader && t.apiKey)
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)
    if (bearer) return tokens.find((t) => t.token === bearer[1]!.trim() && !t.apiKey)
    const basic = /^Basic\s+(.+)$/i.exec(auth)
    if (basic) {
      const [user, ...pw] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')
      const secret = pw.join(':')
      return tokens.find((t) => t.token === secret && t.user === user)
    }
    return undefined
  }

  const canRead = (t: JfrogSimToken, repo: string): boolean => {
    if (!repos.has(repo)) return false
    if (t.admin) return true
    if (((faults.revokedRepos as string[] | undefined) ?? []).includes(repo)) return false
    return t.repos === undefined || t.repos.includes(repo)
  }
  const readable = (t: JfrogSimToken): SimRepo[] => repoList.filter((r) => canRead(t, r.key))
  const forbidden = (repo: string): SimResponse =>
    faults.hideForbidden || !repos.has(repo)
      ? { status: 404, body: rtError(404, 'Unable to find item') }
      : { status: 403, body: rtError(403, `User is not permitted to read repository ${repo}`) }

  const isIndexed = (it: SimItem): boolean => {
    const key = artifactKey(it)
    const override = indexedOverride.get(key)
    if (override !== undefined) return override && !!it.summary
    if (((faults.notIndexed as string[] | undefined) ?? []).includes(key)) return false
    return it.xray === 'indexed' && !!it.summary
  }

  /** Finds the item a summary/status path names, honouring the path-form switches. */
  const resolveXrayPath = (t: JfrogSimToken, identifier: string): SimItem | undefined => {
    let p = identifier.replace(/^\/+/, '')
    const hasDefault = p.startsWith('default/')
    if (faults.requireDefaultPrefix && !hasDefault) return undefined
    if (faults.forbidDefaultPrefix && hasDefault) return undefined
    if (hasDefault) p = p.slice('default/'.length)
    const [repoKey = '', ...rest] = p.split('/')
    const repo = repos.get(repoKey)
    if (!repo || !canRead(t, repoKey)) return undefined
    const rel = rest.join('/')
    if (/^docker$/i.test(repo.packageType)) {
      const form = (faults.dockerPathForm as string | undefined) ?? 'any'
      const manifest = /\/(list\.)?manifest\.json$/.test(rel)
      if ((manifest && form === 'folder') || (!manifest && form === 'manifest')) return undefined
      const folder = manifest ? rel.replace(/\/(list\.)?manifest\.json$/, '') : rel.replace(/\/+$/, '')
      return repo.find(folder, 'manifest.json') ?? repo.find(folder, 'list.manifest.json')
    }
    const slash = rel.lastIndexOf('/')
    return repo.find(slash >= 0 ? rel.slice(0, slash) : '.', slash >= 0 ? rel.slice(slash + 1) : rel)
  }

  const summary = (t: JfrogSimToken, body: any, api: 'v1' | 'v2'): SimResponse => {
    calls.summary++
    const paths: string[] = Array.isArray(body?.paths) ? body.paths : []
    const checksums: string[] = Array.isArray(body?.checksums) ? body.checksums : []
    calls.summaryPaths += paths.length
    if (paths.length === 0 && checksums.length === 0) return { body: {} }
    const artifacts: unknown[] = []
    const errors: unknown[] = []
    for (const identifier of paths.length ? paths : checksums) {
      const it = paths.length ? resolveXrayPath(t, String(identifier)) : undefined
      if (!it || !isIndexed(it)) {
        errors.push({ identifier, error: NOT_INDEXED })
        continue
      }
      const art = it.summary!()
      if (api === 'v1') for (const i of art.issues) delete i.components
      artifacts.push(art)
    }
    const out: Record<string, unknown> = {}
    if (artifacts.length) out.artifacts = artifacts
    if (errors.length) out.errors = errors
    return { body: out }
  }

  const storage = (t: JfrogSimToken, req: SimRequest, repoKey: string, rel: string): SimResponse => {
    if (!canRead(t, repoKey)) return forbidden(repoKey)
    const repo = repos.get(repoKey)!
    const folder = rel.replace(/^\/+|\/+$/g, '')
    const base = `${rootUrl(req)}/artifactory/api/storage/${repoKey}${folder ? `/${folder}` : ''}`
    if (req.query.has('list')) {
      const deep = ['1', 'true', ''].includes(req.query.get('deep') ?? '0')
      const files: unknown[] = []
      for (let i = 0; i < repo.count; i++) {
        const it = repo.item(i)
        const full = it.path === '.' ? it.name : `${it.path}/${it.name}`
        if (folder && !full.startsWith(`${folder}/`)) continue
        const relUri = folder ? full.slice(folder.length) : `/${full}`
        if (!deep && relUri.slice(1).includes('/')) continue
        files.push({
          uri: relUri,
          size: it.size,
          lastModified: it.modified,
          folder: false,
          sha1: it.sha1,
          sha2: it.sha256,
          mdTimestamps: { properties: it.modified },
        })
      }
      if (folder && files.length === 0) return { status: 404, body: rtError(404, 'Unable to find item') }
      return { body: { uri: base, created: new Date(0).toISOString(), files } }
    }
    if (!folder) {
      const children = new Set<string>()
      for (let i = 0; i < Math.min(repo.count, 2000); i++) {
        const it = repo.item(i)
        children.add(it.path === '.' ? it.name : it.path.split('/')[0]!)
      }
      return {
        body: {
          repo: repoKey,
          path: '/',
          created: new Date(0).toISOString(),
          uri: base,
          children: [...children].map((c) => ({ uri: `/${c}`, folder: true })),
        },
      }
    }
    const slash = folder.lastIndexOf('/')
    const it = repo.find(slash >= 0 ? folder.slice(0, slash) : '.', slash >= 0 ? folder.slice(slash + 1) : folder)
    if (!it) return { status: 404, body: rtError(404, 'Unable to find item') }
    return {
      body: {
        repo: repoKey,
        path: `/${folder}`,
        created: it.created,
        lastModified: it.modified,
        size: String(it.size),
        mimeType: 'application/octet-stream',
        checksums: { sha1: it.sha1, sha256: it.sha256 },
        uri: base,
        downloadUri: `${rootUrl(req)}/artifactory/${repoKey}/${folder}`,
      },
    }
  }

  const docker = (t: JfrogSimToken, repoKey: string, rest: string, req: SimRequest): SimResponse => {
    const repo = repos.get(repoKey)
    if (!repo || !/^docker$/i.test(repo.packageType))
      return { status: 400, body: rtError(400, `Unsupported docker repository request for '${repoKey}'`) }
    if (!canRead(t, repoKey)) return forbidden(repoKey)
    const tags = new Map<string, string[]>()
    for (let i = 0; i < repo.count; i++) {
      const it = repo.item(i)
      if (!it.docker) continue
      const list = tags.get(it.docker.image) ?? []
      list.push(it.docker.tag)
      tags.set(it.docker.image, list)
    }
    const page = (all: string[]) => {
      const n = Number(req.query.get('n') ?? 0) || all.length
      const last = req.query.get('last')
      const from = last ? all.indexOf(last) + 1 : 0
      return all.slice(from, from + n)
    }
    if (rest === '_catalog') return { body: { repositories: page([...tags.keys()].sort()) } }
    const tl = /^(.+)\/tags\/list$/.exec(rest)
    if (tl) {
      const list = tags.get(tl[1]!)
      if (!list)
        return {
          status: 404,
          body: { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] },
        }
      return { body: { name: tl[1], tags: page([...list].sort()) } }
    }
    const mf = /^(.+)\/manifests\/([^/]+)$/.exec(rest)
    if (mf) {
      const it = repo.find(`${mf[1]}/${mf[2]}`, 'manifest.json') ?? repo.find(`${mf[1]}/${mf[2]}`, 'list.manifest.json')
      if (!it) return { status: 404, body: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] } }
      const labels: Record<string, string> = {}
      for (const [k, v] of Object.entries(it.properties))
        if (k.startsWith('docker.label.')) labels[k.slice('docker.label.'.length)] = v
      return {
        headers: {
          'docker-content-digest': `sha256:${it.sha256}`,
          'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
        },
        body: {
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: {
            mediaType: 'application/vnd.docker.container.image.v1+json',
            size: 1500,
            digest: `sha256:${it.sha1.padEnd(64, '0')}`,
          },
          layers: [
            {
              mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
              size: 2_811_478,
              digest: `sha256:${it.sha256}`,
            },
          ],
          annotations: labels,
        },
      }
    }
    return { status: 404, body: rtError(404, 'Not Found') }
  }

  let baseUrl = ''
  const rootUrl = (_req: SimRequest) => baseUrl

  const handle = async (req: SimRequest): Promise<SimResponse> => {
    const path = req.path.replace(/\/{2,}/g, '/').replace(/\/+$/, '') || '/'
    const method = req.method
    const isXray = path.startsWith('/xray/')
    const xrayOff = isXray && !!faults.xrayDisabled

    if (path.startsWith('/reactivate-server'))
      return {
        headers: { 'content-type': 'text/html' },
        body: '<html><body>This environment is inactive. Reactivate it.</body></html>',
      }
    if (faults.inactive) return { status: 302, headers: { location: `/reactivate-server/?name=acme` }, body: '' }
    if (xrayOff) return { status: 404, body: rtError(404, 'Not Found') }
    if (method === 'GET' && path === '/artifactory/api/system/ping') return { body: 'OK' }
    if (method === 'GET' && path === '/artifactory/api/v1/system/readiness') return { body: { code: 'OK' } }
    if (method === 'GET' && path === '/xray/api/v1/system/ping') return { body: { status: 'pong' } }

    const t = identify(req)
    if (!t) {
      const has = req.headers.authorization || req.headers['x-jfrog-art-api']
      return {
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="Artifactory Realm"' },
        body: isXray
          ? xrError('Authentication failed')
          : rtError(401, has ? 'Bad credentials' : 'Authentication is required'),
      }
    }
    if (isXray) calls.xray++

    if (method === 'GET' && path === '/artifactory/api/system/version') {
      count('rt.version')
      return {
        body: {
          version: opts.artifactoryVersion ?? '7.104.12',
          revision: '7104900',
          addons: ['build', 'docker', 'npm', 'maven', 'xray'],
          license: 'Enterprise Plus',
        },
      }
    }
    if (method === 'GET' && path === '/artifactory/api/repositories') {
      count('rt.repositories')
      const type = req.query.get('type')?.toLowerCase()
      const pt = req.query.get('packageType')?.toLowerCase()
      const list: unknown[] = (faults.unfilteredRepoList ? repoList : readable(t))
        .filter((r) => (!type || type === 'local') && (!pt || r.packageType.toLowerCase() === pt))
        .map((r) => ({
          key: r.key,
          type: 'LOCAL',
          description: r.description,
          url: `${baseUrl}/artifactory/${r.key}`,
          packageType: r.packageType,
        }))
      if (!type || type === 'remote')
        list.push({ key: 'npmjs-remote', type: 'REMOTE', url: 'https://registry.npmjs.org', packageType: 'Npm' })
      return { body: list }
    }
    const repoCfg = /^\/artifactory\/api\/repositories\/([^/]+)$/.exec(path)
    if (method === 'GET' && repoCfg) {
      const key = decodeURIComponent(repoCfg[1]!)
      if (!canRead(t, key)) return forbidden(key)
      const r = repos.get(key)!
      return { body: { key, rclass: 'local', packageType: r.packageType.toLowerCase(), description: r.description } }
    }
    const st = /^\/artifactory\/api\/storage\/([^/]+)(\/.*)?$/.exec(path)
    if (method === 'GET' && st) {
      count('rt.storage')
      return storage(t, req, decodeURIComponent(st[1]!), decodeURIComponent(st[2] ?? ''))
    }
    if (method === 'POST' && path === '/artifactory/api/search/aql') {
      count('rt.aql')
      calls.aql++
      const text = typeof req.body === 'string' ? req.body : req.rawBody
      try {
        if (faults.statsUnavailable && /"stat\./.test(text))
          throw new AqlError(400, 'Failed to parse query: the stat domain is not available')
        const q = parseAql(text)
        const { results, range } = runAql(q, readable(t), {
          admin: !!t.admin,
          hardLimit: faults.aqlHardLimit as number | undefined,
        })
        return { body: { results, range } }
      } catch (e) {
        if (e instanceof AqlError) return { status: e.status, body: rtError(e.status, e.message) }
        throw e
      }
    }
    const bi = /^\/artifactory\/api\/build\/([^/]+)\/([^/]+)$/.exec(path)
    if (method === 'GET' && bi) {
      count('rt.build')
      if (faults.buildsForbidden && !t.admin)
        return { status: 403, body: rtError(403, 'User is not permitted to read build info') }
      const name = decodeURIComponent(bi[1]!)
      const number = decodeURIComponent(bi[2]!)
      const url = builds[`${name}/${number}`]
      if (!url)
        return {
          status: 404,
          body: rtError(404, `No build was found for build name: ${name}, build number: ${number}`),
        }
      return {
        body: {
          uri: `${baseUrl}/artifactory/api/build/${name}/${number}`,
          buildInfo: {
            version: '1.0.1',
            name,
            number,
            started: '2025-01-06T10:00:00.000+0000',
            vcs: [{ url, revision: 'b2c3d4e', branch: 'main' }],
            modules: [],
          },
        },
      }
    }
    const dk = /^\/artifactory\/api\/docker\/([^/]+)\/v2\/(.+)$/.exec(path)
    if (method === 'GET' && dk) {
      count('rt.docker')
      return docker(t, decodeURIComponent(dk[1]!), dk[2]!, req)
    }

    if (method === 'GET' && path === '/xray/api/v1/system/version') {
      count('xr.version')
      if (faults.xrayVersionForbidden && !t.admin) return { status: 403, body: xrError('Forbidden') }
      return { body: { xray_version: opts.xrayVersion ?? '3.111.15', xray_revision: 'a8c1d2e' } }
    }
    const sm = /^\/xray\/api\/(v1|v2)\/summary\/artifact$/.exec(path)
    if (method === 'POST' && sm) {
      count(`xr.summary.${sm[1]}`)
      if (sm[1] === 'v2' && faults.summaryV2Missing) return { status: 404, body: '404 page not found' }
      return summary(t, req.body, sm[1] as 'v1' | 'v2')
    }
    if (method === 'POST' && path === '/xray/api/v1/artifact/status') {
      count('xr.status')
      calls.status++
      const repo = String(req.body?.repo ?? '')
      const p = String(req.body?.path ?? '')
      if (!repo || !p) return { status: 400, body: xrError('repo and path are required') }
      if (!canRead(t, repo)) return { status: 403, body: xrError('User is not permitted to read the repository') }
      const it = resolveXrayPath(t, `default/${repo}/${p}`)
      if (!it) return { status: 404, body: xrError('Artifact not found') }
      const time = '2025-01-06T11:00:00Z'
      const status =
        it.xray === 'unsupported'
          ? 'NOT_SUPPORTED'
          : isIndexed(it)
            ? 'DONE'
            : it.xray === 'none'
              ? 'NOT_SUPPORTED'
              : 'PENDING'
      return { body: { overall: { status, time }, details: { sca: { status, time } } } }
    }
    if (method === 'GET' && path === '/xray/api/v1/artifacts') {
      count('xr.artifacts')
      const repoKey = req.query.get('repo') ?? ''
      if (!canRead(t, repoKey)) return { status: 403, body: xrError('User is not permitted to read the repository') }
      const repo = repos.get(repoKey)!
      const rows = Number(req.query.get('num_of_rows') ?? 100)
      const offset = Number(req.query.get('offset') ?? 0)
      const data: unknown[] = []
      let i = offset
      for (; i < repo.count && data.length < rows; i++) {
        const it = repo.item(i)
        if (it.xray === 'none' || !isIndexed(it)) continue
        const s = it.summary!()
        const sev = { critical: 0, high: 0, medium: 0, low: 0, total: s.issues.length }
        for (const x of s.issues) {
          const k = String(x.severity).toLowerCase() as keyof typeof sev
          if (k in sev) sev[k]++
        }
        data.push({
          name: it.name,
          repo_path: `/${it.path}/${it.name}`,
          package_id: s.general.component_id,
          version: '',
          sec_issues: sev,
          size: `${it.size} B`,
          violations: 0,
          created: it.created,
          deployed_by: 'deployer',
          repo_full_path: `${repoKey}/${it.path}/${it.name}`,
        })
      }
      return { body: { data, offset: i >= repo.count ? -1 : i } }
    }
    if (method === 'POST' && path === '/xray/api/v1/scanArtifact') {
      count('xr.scanArtifact')
      if (!t.admin) return { status: 403, body: xrError('User is not permitted to perform this action') }
      return { body: { info: 'Scan of artifact is in progress' } }
    }
    return { status: 404, body: isXray ? xrError('Not Found') : rtError(404, 'Not Found') }
  }

  const sim = await startSimulator({
    name: 'jfrog',
    port: opts.port,
    faults: opts.faults,
    errorBody: (status, message) => rtError(status, message),
    routes: [
      { method: 'GET', path: '/*', handler: handle },
      { method: 'POST', path: '/*', handler: handle },
    ],
  })
  faults = sim.faults
  baseUrl = sim.url
  const setFaults = sim.setFaults
  return Object.assign(sim, {
    repos,
    tokens,
    calls,
    setFaults: (f: Faults) => {
      setFaults(f)
    },
    patch: (f: Faults) => {
      Object.assign(sim.faults, f)
    },
    resetCalls: () => {
      calls.xray = 0
      calls.summary = 0
      calls.summaryPaths = 0
      calls.status = 0
      calls.aql = 0
      calls.byEndpoint = {}
    },
    setIndexed: (key: string, indexed: boolean) => {
      indexedOverride.set(key, indexed)
    },
  })
}
