import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { isLegacyApiKey, type JfrogConfig, type JfrogSecrets, platformRoot } from './config.ts'
import {
  AqlResponse,
  ArtifactoryVersion,
  ArtifactStatus,
  RepositoryDetails,
  SummaryResponse,
  XrayVersion,
} from './raw.ts'

/** Paths per summary request. Xray documents no maximum (jfrog.md §9 q3); 100 keeps a request well under any body limit. */
export const SUMMARY_BATCH = 100
/** AQL and summary answers can take long on big repositories and images (the client's default is 30 s). */
export const SLOW_CALL_TIMEOUT_MS = 120_000
/** Items per AQL page (`.offset().limit()`). */
export const AQL_PAGE = 1000

/** The vendor's own words from an Artifactory (`{"errors":[{status,message}]}`) or Xray (`{"error":"…"}`) error body. */
export const vendorMessage = (body: string | undefined): string | undefined => {
  if (!body) return undefined
  try {
    const j = JSON.parse(body) as any
    const m = j?.errors?.[0]?.message ?? j?.error ?? j?.message ?? j?.msg
    if (typeof m === 'string' && m.trim()) return m.trim()
    if (typeof j?.errors?.[0] === 'string') return j.errors[0]
  } catch {
    /* not JSON */
  }
  const t = body.trim()
  return t && t.length < 200 && !t.startsWith('<') ? t : undefined
}

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

export class JfrogClient {
  readonly root: string
  readonly host: string
  private readonly headers: Record<string, string>

  constructor(private readonly ctx: JfrogCtx) {
    this.root = platformRoot(ctx.config.platformUrl)
    this.host = new URL(this.root).host
    const token = ctx.secrets.accessToken.trim()
    // jfrog-client-go: an API-key-shaped secret goes as basic user:key; JWTs and reference tokens as Bearer
    this.headers = isLegacyApiKey(token)
      ? { authorization: `Basic ${Buffer.from(`${ctx.config.username}:${token}`).toString('base64')}` }
      : { authorization: `Bearer ${token}` }
  }

  get authScheme(): 'bearer' | 'basic' {
    return this.headers.authorization!.startsWith('Bearer') ? 'bearer' : 'basic'
  }

  private url(path: string): string {
    return `${this.root}/${path.replace(/^\/+/, '')}`
  }

  request(
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
  ): Promise<HttpResponse> {
    return this.ctx.http.request({
      method: opts.method ?? 'GET',
      url: this.url(path),
      headers: { ...this.headers, ...(opts.headers ?? {}) },
      body: opts.body,
      query: opts.query,
      acceptStatus: opts.accept,
      retry: opts.retry,
      timeoutMs: opts.timeoutMs,
    })
  }

  private parse<T>(
    res: HttpResponse,
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
    what: string,
  ): T {
    const r = schema.safeParse(res.json())
    if (!r.success)
      throw new UpstreamError({
        kind: 'bad_response',
        host: this.host,
        status: res.status,
        message: `${this.host} answered ${what} with an unexpected body`,
        body: res.text().slice(0, 500),
      })
    return r.data as T
  }

  // ---------------------------------------------------------------- Artifactory

  async artifactoryVersion(accept: number[] = [], retry?: boolean) {
    const res = await this.request('artifactory/api/system/version', { accept, retry })
    // a sleeping JFrog Cloud environment redirects (same host) to its reactivation page
    if (/reactivate-server/i.test(res.url)) return { status: 0, body: '', version: undefined, inactive: true }
    if (res.status !== 200) return { status: res.status, body: res.text(), version: undefined }
    return { status: 200, body: '', version: this.parse(res, ArtifactoryVersion, 'the version request') }
  }

  /** Local repositories the token's user can read (the list is filtered by permission, jfrog.md §3.3). */
  async localRepositories(
    accept: number[] = [],
    retry?: boolean,
  ): Promise<{ status: number; body: string; repos: RepositoryDetails[] }> {
    const res = await this.request('artifactory/api/repositories', { query: { type: 'local' }, accept, retry })
    if (res.status !== 200) return { status: res.status, body: res.text(), repos: [] }
    const list = res.json<unknown>()
    if (!Array.isArray(list))
      throw new UpstreamError({
        kind: 'bad_response',
        host: this.host,
        status: res.status,
        message: `${this.host} answered the repository list with something that is not a list`,
        body: res.text().slice(0, 500),
      })
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
  async aql(query: string): Promise<{ status: number; body: string; results: unknown[]; total?: number | undefined }> {
    const res = await this.request('artifactory/api/search/aql', {
      method: 'POST',
      body: query,
      headers: { 'content-type': 'text/plain' },
      accept: [400, 403, 404],
      timeoutMs: SLOW_CALL_TIMEOUT_MS,
    })
    if (res.status !== 200) return { status: res.status, body: res.text(), results: [] }
    const r = this.parse(res, AqlResponse, 'an AQL query')
    return { status: 200, body: '', results: r.results, total: r.range?.total }
  }

  /** The query for one page of a repository's artifacts; non-admin users must include repo, path and name. */
  static artifactsQuery(repo: string, docker: boolean, offset: number, limit: number): string {
    const crit = docker
      ? `{"repo":${q(repo)},"type":"file","$or":[{"name":"manifest.json"},{"name":"list.manifest.json"}]}`
      : `{"repo":${q(repo)},"type":"file"}`
    return `items.find(${crit}).include("repo","path","name","type","size","sha256","actual_sha1","created","modified").sort({"$asc":["path","name"]}).offset(${offset}).limit(${limit})`
  }

  /** The items of a repository that say where they were built (OCI source label, vcs.url, build name), with those properties. */
  static sourcesQuery(repo: string): string {
    const or = SOURCE_PROPERTIES.filter((p) => p !== 'build.number')
      .map((p) => `{"@${p}":{"$match":"*"}}`)
      .join(',')
    return `items.find({"repo":${q(repo)},"$or":[${or}]}).include("repo","path","name","property.key","property.value")`
  }

  /** Folder info of a repository root: 200 readable, 403/404 not readable (or hidden). */
  async repositoryReadable(repo: string): Promise<number> {
    const res = await this.request(`artifactory/api/storage/${encodeURIComponent(repo)}`, { accept: [401, 403, 404] })
    return res.status
  }

  /** The VCS URL a published build records (`buildInfo.vcs[].url`), or undefined when the build is not readable. */
  async buildVcsUrl(name: string, number: string): Promise<string | undefined> {
    const res = await this.request(`artifactory/api/build/${encodeURIComponent(name)}/${encodeURIComponent(number)}`, {
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

  async xrayVersion(accept: number[] = [], retry?: boolean) {
    const res = await this.request('xray/api/v1/system/version', { accept, retry })
    if (res.status !== 200) return { status: res.status, body: res.text(), version: undefined }
    return { status: 200, body: '', version: this.parse(res, XrayVersion, 'the Xray version request') }
  }

  /** Artifact summary (v2 or v1). 404 comes back as a status so the caller can fall back to v1. */
  async summary(
    paths: string[],
    api: 'v1' | 'v2',
  ): Promise<{ status: number; body: string; data?: ReturnType<typeof SummaryResponse.parse> }> {
    const res = await this.request(`xray/api/${api}/summary/artifact`, {
      method: 'POST',
      body: { paths },
      accept: [404],
      timeoutMs: SLOW_CALL_TIMEOUT_MS,
    })
    if (res.status !== 200) return { status: res.status, body: res.text() }
    return { status: 200, body: '', data: this.parse(res, SummaryResponse, 'an artifact summary request') }
  }

  /** An empty summary request (answers `{}`): proves Xray accepts the token when its version endpoint is refused. */
  async summaryProbe(): Promise<number> {
    for (const api of ['v2', 'v1'] as const) {
      const res = await this.request(`xray/api/${api}/summary/artifact`, {
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
  async artifactStatus(
    repo: string,
    path: string,
  ): Promise<{ status: number; overall?: string | undefined; time?: string | undefined }> {
    const res = await this.request('xray/api/v1/artifact/status', {
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
}
