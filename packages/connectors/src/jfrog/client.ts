import type { ConnectorContext, HttpResponse } from '@vulnsync/core'
import { badResponse } from '../kit/failure.ts'
import { isLegacyApiKey, type JfrogConfig, type JfrogSecrets, platformRoot } from './config.ts'
import {
  AqlResponse,
  ArtifactoryVersion,
  ArtifactStatus,
  RepositoryDetails,
  SummaryResponse,
  XrayVersion,
} from './raw.ts'
import { words } from './words.ts'

/** Paths per summary request. Xray documents no maximum (jfrog.md §9 q3); 100 keeps a request well under any body limit. */
export const SUMMARY_BATCH = 100
/** AQL and summary answers can take long on big repositories and images (the client's default is 30 s). */
export const SLOW_CALL_TIMEOUT_MS = 120_000
/** Items per AQL page (`.offset().limit()`). */
export const AQL_PAGE = 1000

export type JfrogCtx = ConnectorContext<JfrogConfig, JfrogSecrets>

/** An AQL string literal (JSON string quoting is what AQL accepts). */
const q = (s: string): string => JSON.stringify(s)

export const SOURCE_PROPERTIES = [
  'docker.label.org.opencontainers.image.source',
  'org.opencontainers.image.source',
  'vcs.url',
  'build.name',
  'build.number',
] as const

/** The query for one page of a repository's artifacts; non-admin users must include repo, path and name. */
export const artifactsQuery = (repo: string, docker: boolean, offset: number, limit: number): string => {
  const crit = docker
    ? `{"repo":${q(repo)},"type":"file","$or":[{"name":"manifest.json"},{"name":"list.manifest.json"}]}`
    : `{"repo":${q(repo)},"type":"file"}`
  return `items.find(${crit}).include("repo","path","name","type","size","sha256","actual_sha1","created","modified").sort({"$asc":["path","name"]}).offset(${offset}).limit(${limit})`
}

/**
 * The files of a repository downloaded (Docker: pulled, which downloads the manifest) since `since`: Artifactory's
 * download statistics (`stat.downloaded`), one unpaged query per repository.
 */
export const downloadedQuery = (repo: string, since: string): string =>
  `items.find({"repo":${q(repo)},"type":"file","stat.downloaded":{"$gt":${q(since)}}}).include("repo","path","name")`

/** The items of a repository that say where they were built (OCI source label, vcs.url, build name), with those properties. */
export const sourcesQuery = (repo: string): string => {
  const or = SOURCE_PROPERTIES.filter((p) => p !== 'build.number')
    .map((p) => `{"@${p}":{"$match":"*"}}`)
    .join(',')
  return `items.find({"repo":${q(repo)},"$or":[${or}]}).include("repo","path","name","property.key","property.value")`
}

/**
 * Artifactory and Xray calls on top of ctx.http: the platform root, the token as Bearer (a legacy API key as basic
 * user:key), and one method per endpoint vulnsync reads. Statuses a caller judges (a refused repository, a missing
 * Xray v2) come back as a status instead of an error.
 */
export const createJfrogClient = (ctx: JfrogCtx) => {
  const root = platformRoot(ctx.config.platformUrl)
  const host = new URL(root).host
  const token = ctx.secrets.accessToken.trim()
  // jfrog-client-go: an API-key-shaped secret goes as basic user:key; JWTs and reference tokens as Bearer
  const auth = isLegacyApiKey(token)
    ? { authorization: `Basic ${Buffer.from(`${ctx.config.username}:${token}`).toString('base64')}` }
    : { authorization: `Bearer ${token}` }
  const url = (path: string): string => `${root}/${path.replace(/^\/+/, '')}`

  const request = (
    path: string,
    opts: {
      method?: 'GET' | 'POST'
      body?: unknown
      headers?: Record<string, string>
      accept?: number[]
      retry?: boolean
      query?: Record<string, string | number | undefined>
      timeoutMs?: number
    } = {},
  ): Promise<HttpResponse> =>
    ctx.http.request({
      method: opts.method ?? 'GET',
      url: url(path),
      headers: { ...auth, ...(opts.headers ?? {}) },
      body: opts.body,
      query: opts.query,
      acceptStatus: opts.accept,
      retry: opts.retry,
      timeoutMs: opts.timeoutMs,
    })

  const parse = <T>(
    res: HttpResponse,
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
    what: string,
  ): T => {
    const r = schema.safeParse(res.json())
    if (!r.success) throw badResponse(res, words.unexpectedBody(host, what))
    return r.data as T
  }

  // ---------------------------------------------------------------- Artifactory

  const artifactoryVersion = async (accept: number[] = [], retry?: boolean) => {
    const res = await request('artifactory/api/system/version', { accept, retry })
    // a sleeping JFrog Cloud environment redirects (same host) to its reactivation page
    if (/reactivate-server/i.test(res.url)) return { status: 0, body: '', version: undefined, inactive: true }
    if (res.status !== 200) return { status: res.status, body: res.text(), version: undefined }
    return { status: 200, body: '', version: parse(res, ArtifactoryVersion, 'the version request') }
  }

  /** Local repositories the token's user can read (the list is filtered by permission, jfrog.md §3.3). */
  const localRepositories = async (
    accept: number[] = [],
    retry?: boolean,
  ): Promise<{ status: number; body: string; repos: RepositoryDetails[] }> => {
    const res = await request('artifactory/api/repositories', { query: { type: 'local' }, accept, retry })
    if (res.status !== 200) return { status: res.status, body: res.text(), repos: [] }
    const list = res.json<unknown>()
    if (!Array.isArray(list)) throw badResponse(res, words.notAList(host))
    const repos: RepositoryDetails[] = []
    for (const item of list) {
      const r = RepositoryDetails.safeParse(item)
      if (!r.success) continue
      const type = (r.data.type ?? r.data.rclass ?? 'local').toLowerCase()
      if (type === 'local') repos.push(r.data)
    }
    repos.sort((a, b) => a.key.localeCompare(b.key))
    return { status: 200, body: '', repos }
  }

  /** Runs an AQL query (text/plain body). 403/404 come back as a status for the caller to judge. */
  const aql = async (
    query: string,
  ): Promise<{ status: number; body: string; results: unknown[]; total?: number | undefined }> => {
    const res = await request('artifactory/api/search/aql', {
      method: 'POST',
      body: query,
      headers: { 'content-type': 'text/plain' },
      accept: [400, 403, 404],
      timeoutMs: SLOW_CALL_TIMEOUT_MS,
    })
    if (res.status !== 200) return { status: res.status, body: res.text(), results: [] }
    const r = parse(res, AqlResponse, 'an AQL query')
    return { status: 200, body: '', results: r.results, total: r.range?.total }
  }

  /** Folder info of a repository root: 200 readable, 403/404 not readable (or hidden). */
  const repositoryReadable = async (repo: string): Promise<number> => {
    const res = await request(`artifactory/api/storage/${encodeURIComponent(repo)}`, { accept: [401, 403, 404] })
    return res.status
  }

  /** The VCS URL a published build records (`buildInfo.vcs[].url`), or undefined when the build is not readable. */
  const buildVcsUrl = async (name: string, number: string): Promise<string | undefined> => {
    const res = await request(`artifactory/api/build/${encodeURIComponent(name)}/${encodeURIComponent(number)}`, {
      accept: [400, 401, 403, 404],
    })
    if (res.status !== 200) return undefined
    let j: any
    try {
      j = res.json()
    } catch {
      return undefined
    }
    const info = j?.buildInfo ?? j
    const url =
      (Array.isArray(info?.vcs) ? info.vcs.find((v: any) => typeof v?.url === 'string' && v.url)?.url : undefined) ??
      info?.vcsUrl
    return typeof url === 'string' && url.trim() ? url.trim() : undefined
  }

  // ---------------------------------------------------------------- Xray

  const xrayVersion = async (accept: number[] = [], retry?: boolean) => {
    const res = await request('xray/api/v1/system/version', { accept, retry })
    if (res.status !== 200) return { status: res.status, body: res.text(), version: undefined }
    return { status: 200, body: '', version: parse(res, XrayVersion, 'the Xray version request') }
  }

  /** Artifact summary (v2 or v1). 404 comes back as a status so the caller can fall back to v1. */
  const summary = async (
    paths: string[],
    api: 'v1' | 'v2',
  ): Promise<{ status: number; body: string; data?: ReturnType<typeof SummaryResponse.parse> }> => {
    const res = await request(`xray/api/${api}/summary/artifact`, {
      method: 'POST',
      body: { paths },
      accept: [404],
      timeoutMs: SLOW_CALL_TIMEOUT_MS,
    })
    if (res.status !== 200) return { status: res.status, body: res.text() }
    return { status: 200, body: '', data: parse(res, SummaryResponse, 'an artifact summary request') }
  }

  /** An empty summary request (answers `{}`): proves Xray accepts the token when its version endpoint is refused. */
  const summaryProbe = async (): Promise<number> => {
    for (const api of ['v2', 'v1'] as const) {
      const res = await request(`xray/api/${api}/summary/artifact`, {
        method: 'POST',
        body: {},
        accept: [400, 401, 403, 404, 405, 500, 502, 503],
        retry: false,
      })
      if (res.status !== 404) return res.status
    }
    return 404
  }

  /** Artifact scan status (Xray ≥ 3.80.9): NOT_SUPPORTED tells an unsupported file from one not indexed yet. */
  const artifactStatus = async (
    repo: string,
    path: string,
  ): Promise<{ status: number; overall?: string | undefined; time?: string | undefined }> => {
    const res = await request('xray/api/v1/artifact/status', {
      method: 'POST',
      body: { repo, path },
      accept: [400, 403, 404, 405, 500],
    })
    if (res.status !== 200) return { status: res.status }
    const r = ArtifactStatus.safeParse(res.json())
    return {
      status: 200,
      overall: r.success ? r.data.overall?.status : undefined,
      time: r.success ? r.data.overall?.time : undefined,
    }
  }

  return {
    root,
    host,
    /** how the token is sent: Bearer, or basic user:key for a legacy API key */
    authScheme: (auth.authorization.startsWith('Bearer') ? 'bearer' : 'basic') as 'bearer' | 'basic',
    artifactoryVersion,
    localRepositories,
    aql,
    repositoryReadable,
    buildVcsUrl,
    xrayVersion,
    summary,
    summaryProbe,
    artifactStatus,
  }
}

export type JfrogClient = ReturnType<typeof createJfrogClient>
