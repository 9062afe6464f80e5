import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { type EndorConfig, type EndorSecrets, endorBaseUrl } from './config.ts'
import { EndorListResponse } from './raw.ts'

/** Endor API-key sessions last 4 hours (endor.md §2.2); used when the exchange gives no usable expiry. */
export const TOKEN_LIFETIME_MS = 4 * 60 * 60_000
/** Re-exchange this long before expiry (Endor's SDK: 30 min), never more than a quarter of the token's lifetime. */
export const TOKEN_REFRESH_MARGIN_MS = 30 * 60_000
export const MAX_PAGE_SIZE = 500
export const MIN_PAGE_SIZE = 10
/** Endor answers no Retry-After we know of: after the HTTP client's own retries, wait this long and try again. */
const RATE_LIMIT_ROUNDS = [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]
const REQUEST_TIMEOUT_S = 120

export const messages = {
  keyRejected: (status: number) =>
    `Endor Labs rejected the API key and secret (HTTP ${status}): verify both values and that the key has not expired or been revoked`,
  keyRejectedHint:
    "In Endor Labs open Settings → Access Control → API Keys, check the key's expiry, or generate a new Read-Only key and paste both ENDOR_API_CREDENTIALS_KEY and ENDOR_API_CREDENTIALS_SECRET.",
  tokenRejectedAgain: (status: number) =>
    `Endor Labs rejected the access token (HTTP ${status}) again right after a fresh exchange of the API key and secret: the key was probably revoked or has expired`,
  namespaceDenied: (ns: string) =>
    `the API key has no access to namespace ${ns} (HTTP 403): check the namespace name and that the key was issued for it or for a parent namespace with "propagate to child namespaces"`,
  namespaceDeniedHint:
    'The namespace is the name after /t/ in app.endorlabs.com/t/<namespace>/ URLs; namespace names are case-sensitive.',
  unreachable: (detail: string) => `could not reach Endor Labs: ${detail}`,
  noExchange: (base: string) =>
    `${base} has no Endor Labs token exchange (POST /v1/auth/api-key answered HTTP 404): check the API base URL (leave it empty for https://api.endorlabs.com)`,
  rateLimited:
    'Endor Labs kept answering HTTP 429 (too many requests) after several minutes of backing off; the next sync will try again',
  deadline: (size: number) =>
    `Endor Labs timed out ("context deadline exceeded") even for pages of ${size} findings; try again later`,
}

/** The deadline answer of Endor (gRPC code 4 "context deadline exceeded", sent as HTTP 504 or 500). */
export class DeadlineExceeded extends Error {}

export interface GrpcStatus {
  code?: number
  message?: string
}

export const parseGrpcStatus = (body: string | undefined): GrpcStatus => {
  if (!body) return {}
  try {
    const j = JSON.parse(body)
    if (j && typeof j === 'object')
      return {
        code: typeof j.code === 'number' ? j.code : undefined,
        message:
          typeof j.message === 'string'
            ? j.message
                .replace(/&#34;/g, '"')
                .replace(/&#39;/g, "'")
                .replace(/&quot;/g, '"')
            : undefined,
      }
  } catch {
    // not JSON
  }
  return { message: body.slice(0, 200) }
}

const isDeadline = (status: number | undefined, body: string | undefined): boolean => {
  const g = parseGrpcStatus(body)
  return g.code === 4 || /deadline exceeded/i.test(g.message ?? '') || status === 504
}

/** Reads the `exp` claim of a JWT-shaped token without verifying it. */
export const jwtExpiry = (token: string): Date | null => {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const payload = JSON.parse(Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'))
    const exp = Number(payload?.exp)
    return Number.isFinite(exp) && exp > 0 ? new Date(exp * 1000) : null
  } catch {
    return null
  }
}

/** The token's expiry from the exchange answer: expirationTime, expiration_time, expires_in, the JWT exp, else 4 h. */
export const tokenExpiry = (body: Record<string, unknown>, token: string, now: Date): { at: Date; source: string } => {
  for (const key of ['expirationTime', 'expiration_time']) {
    const v = body[key]
    if (typeof v === 'string' && v) {
      const t = Date.parse(v)
      if (Number.isFinite(t)) return { at: new Date(t), source: key }
    }
    if (typeof v === 'number' && v > 0) return { at: new Date(v > 1e12 ? v : v * 1000), source: key }
  }
  for (const key of ['expiresIn', 'expires_in', 'ttl', 'ttl_seconds']) {
    const v = Number(body[key])
    if (Number.isFinite(v) && v > 0) return { at: new Date(now.getTime() + v * 1000), source: key }
  }
  const exp = jwtExpiry(token)
  if (exp) return { at: exp, source: 'jwt' }
  return { at: new Date(now.getTime() + TOKEN_LIFETIME_MS), source: 'default' }
}

export interface PagePosition {
  pageId?: string | undefined
  pageToken?: number | undefined
}

export interface ListPage {
  objects: unknown[]
  next: PagePosition | null
}

export interface PageEvent {
  objects: unknown[]
  /** where the next page starts; null when this was the last page */
  next: PagePosition | null
  pageSize: number
}

export interface PagingOutcome {
  /** paging stopped because the API handed back a cursor it had already given */
  repeatedCursor: boolean
}

type Ctx = ConnectorContext<EndorConfig, EndorSecrets>

/** Endor Labs REST calls on top of the guarded client: token exchange and refresh, gRPC errors, list paging. */
export class EndorClient {
  private token: string | null = null
  /** when the current token expires (ms since epoch) */
  expiresAt = 0
  private refreshAt = 0
  exchanges = 0
  readonly base: string
  private readonly rounds: number[]
  private readonly timeoutS: number

  /** `interactive` (check): no extra rate-limit rounds and a 30 s timeout, so a user waiting on the form gets an answer */
  constructor(
    private readonly ctx: Ctx,
    opts: { interactive?: boolean } = {},
  ) {
    this.base = endorBaseUrl(ctx.config)
    this.rounds = opts.interactive ? [] : RATE_LIMIT_ROUNDS
    this.timeoutS = opts.interactive ? 30 : REQUEST_TIMEOUT_S
  }

  get namespace(): string {
    return this.ctx.config.namespace
  }

  private url(path: string): string {
    return `${this.base}${path}`
  }

  /** POST /v1/auth/api-key with {key, secret}; remembers the token and when to refresh it. */
  async exchange(): Promise<void> {
    const now = this.ctx.now()
    const res = await this.withRateLimitRounds(() =>
      this.ctx.http.request({
        method: 'POST',
        url: this.url('/v1/auth/api-key'),
        body: { key: this.ctx.secrets.apiKey, secret: this.ctx.secrets.apiSecret },
        headers: { 'request-timeout': '60' },
        acceptStatus: [400, 401, 403, 404],
      }),
    )
    const host = new URL(this.base).host
    if (res.status === 404)
      throw new UpstreamError({ kind: 'not_found', status: 404, host, message: messages.noExchange(this.base) })
    if (res.status !== 200 && res.status !== 201)
      throw new UpstreamError({
        kind: 'auth',
        status: res.status,
        host,
        body: res.text().slice(0, 500),
        message: messages.keyRejected(res.status),
      })
    const body = res.json<Record<string, unknown>>()
    const token = typeof body?.token === 'string' ? body.token : ''
    if (!token)
      throw new UpstreamError({
        kind: 'bad_response',
        status: res.status,
        host,
        message: `${host} answered the token exchange without a token`,
      })
    let { at, source } = tokenExpiry(body, token, now)
    if (at.getTime() - now.getTime() < 60_000) {
      // an expiry already (nearly) past is a clock skew or a bad field: do not re-exchange before every call,
      // assume Endor's 4 h and let a 401 trigger the re-exchange
      this.ctx.logger.warn({ source, expiresAt: at.toISOString() }, 'endor: token expiry is in the past, assuming 4 h')
      at = new Date(now.getTime() + TOKEN_LIFETIME_MS)
    }
    const lifetime = at.getTime() - now.getTime()
    this.token = token
    this.expiresAt = at.getTime()
    this.refreshAt = at.getTime() - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 4)
    this.exchanges++
  }

  private async ensureToken(): Promise<string> {
    if (!this.token || this.ctx.now().getTime() >= this.refreshAt) await this.exchange()
    return this.token!
  }

  /** Runs a request; when the client's own retries on 429 are used up, waits and tries again for a few rounds. */
  private async withRateLimitRounds(fn: () => Promise<HttpResponse>): Promise<HttpResponse> {
    for (let round = 0; ; round++) {
      try {
        return await fn()
      } catch (err) {
        if (!(err instanceof UpstreamError) || err.kind !== 'rate_limited' || round >= this.rounds.length) {
          if (err instanceof UpstreamError && err.kind === 'rate_limited')
            throw new UpstreamError({
              kind: 'rate_limited',
              status: 429,
              host: err.host,
              message: messages.rateLimited,
              cause: err,
            })
          throw err
        }
        const wait = Math.max(this.rounds[round]!, err.retryAfterMs ?? 0)
        this.ctx.progress({
          pausedUntil: new Date(this.ctx.now().getTime() + wait),
          message: `Endor Labs rate limit: waiting ${Math.round(wait / 1000)} s`,
        })
        this.ctx.logger.warn({ round: round + 1, waitMs: wait }, 'endor: rate limited, backing off')
        await this.ctx.sleep(wait)
        this.ctx.progress({ pausedUntil: null })
      }
    }
  }

  /**
   * GET with the bearer token. 401 → re-exchange once and retry once, then fail; 403 → namespace not granted;
   * 404 → null; "context deadline exceeded" → DeadlineExceeded; 400 → client error with Endor's message.
   */
  async get<T>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T | null> {
    for (let reauth = 0; ; reauth++) {
      const token = await this.ensureToken()
      let res: HttpResponse
      try {
        res = await this.withRateLimitRounds(() =>
          this.ctx.http.request({
            url: this.url(path),
            query,
            // no Accept-Encoding: the HTTP client does not decompress
            headers: { authorization: `Bearer ${token}`, 'request-timeout': String(this.timeoutS) },
            timeoutMs: (this.timeoutS + 15) * 1000,
            acceptStatus: [400, 401, 403, 404, 504],
          }),
        )
      } catch (err) {
        if (
          err instanceof UpstreamError &&
          ((err.kind === 'server' && isDeadline(err.status, err.body)) || err.kind === 'timeout')
        )
          throw new DeadlineExceeded(err.message)
        throw err
      }
      const host = new URL(res.url).host
      if (res.status === 401) {
        if (reauth === 0) {
          this.token = null
          continue
        }
        throw new UpstreamError({
          kind: 'auth',
          status: 401,
          host,
          body: res.text().slice(0, 500),
          message: messages.tokenRejectedAgain(401),
        })
      }
      if (res.status === 403) {
        const ns = /^\/v1\/namespaces\/([^/]+)/.exec(path)?.[1] ?? this.namespace
        throw new UpstreamError({
          kind: 'permission',
          status: 403,
          host,
          body: res.text().slice(0, 500),
          message: messages.namespaceDenied(decodeURIComponent(ns)),
        })
      }
      if (res.status === 404) return null
      if (res.status === 504) throw new DeadlineExceeded(parseGrpcStatus(res.text()).message ?? 'HTTP 504')
      if (res.status === 400) {
        const g = parseGrpcStatus(res.text())
        if (g.code === 4 || /deadline exceeded/i.test(g.message ?? '')) throw new DeadlineExceeded(g.message ?? '')
        throw new UpstreamError({
          kind: 'client',
          status: 400,
          host,
          body: res.text().slice(0, 500),
          message: `Endor Labs refused the request ${path} (HTTP 400): ${g.message ?? 'bad request'}`,
        })
      }
      return res.json<T>()
    }
  }

  private nsPath(ns: string, resource: string): string {
    return `/v1/namespaces/${encodeURIComponent(ns)}/${resource}`
  }

  /** One page of a list call. */
  async listPage(
    resource: string,
    opts: {
      namespace?: string
      filter?: string
      traverse?: boolean
      pageSize: number
      at?: PagePosition | null
      mask?: string
    },
  ): Promise<ListPage> {
    const q: Record<string, string | number | boolean | undefined> = {
      'list_parameters.filter': opts.filter,
      'list_parameters.traverse': opts.traverse ? 'true' : undefined,
      'list_parameters.page_size': opts.pageSize,
      'list_parameters.mask': opts.mask,
    }
    if (opts.at?.pageId) q['list_parameters.page_id'] = opts.at.pageId
    else if (opts.at?.pageToken !== undefined) q['list_parameters.page_token'] = opts.at.pageToken
    const json = await this.get<unknown>(this.nsPath(opts.namespace ?? this.namespace, resource), q)
    const parsed = EndorListResponse.safeParse(json ?? {})
    if (!parsed.success || json === null)
      throw new UpstreamError({
        kind: 'bad_response',
        host: new URL(this.base).host,
        message: `Endor Labs answered the ${resource} list with an unexpected body`,
      })
    const objects = parsed.data.list?.objects ?? []
    const r = parsed.data.list?.response
    const pageId = typeof r?.next_page_id === 'string' && r.next_page_id.trim() ? r.next_page_id.trim() : undefined
    const tokenNum = typeof r?.next_page_token === 'string' ? Number(r.next_page_token) : r?.next_page_token
    const pageToken = typeof tokenNum === 'number' && Number.isFinite(tokenNum) && tokenNum > 0 ? tokenNum : undefined
    return { objects, next: pageId || pageToken !== undefined ? { pageId, pageToken } : null }
  }

  /** `list_parameters.count=true` → the number of objects the filter matches (null when Endor does not say). */
  async count(resource: string, opts: { filter?: string; traverse?: boolean }): Promise<number | null> {
    const json = await this.get<unknown>(this.nsPath(this.namespace, resource), {
      'list_parameters.filter': opts.filter,
      'list_parameters.traverse': opts.traverse ? 'true' : undefined,
      'list_parameters.count': 'true',
    })
    const parsed = EndorListResponse.safeParse(json ?? {})
    const n = parsed.success ? parsed.data.count_response?.count : undefined
    return typeof n === 'number' && Number.isFinite(n) ? n : null
  }

  async getProject(namespace: string, uuid: string): Promise<unknown | null> {
    try {
      return await this.get<unknown>(`${this.nsPath(namespace, 'projects')}/${encodeURIComponent(uuid)}`)
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'permission') return null
      throw err
    }
  }

  /**
   * Pages through a list. Stops on an empty page (after asking once more at the same position, so a transient empty
   * page mid-stream does not end the read) or a page without a cursor; never follows a cursor it has already
   * followed; halves the page size and retries on "context deadline exceeded". `outcome.repeatedCursor` tells the
   * caller the list may be incomplete.
   */
  async *pages(
    resource: string,
    opts: {
      filter?: string
      traverse?: boolean
      pageSize: number
      start?: PagePosition | null
      outcome?: PagingOutcome
    },
  ): AsyncGenerator<PageEvent> {
    let pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(opts.pageSize) || MAX_PAGE_SIZE))
    let at: PagePosition | null = opts.start ?? null
    const seen = new Set<string>()
    const keyOf = (p: PagePosition | null) => (p ? `${p.pageId ?? ''}|${p.pageToken ?? ''}` : '')
    if (at) seen.add(keyOf(at))
    let deadlinesAtMin = 0
    let emptyConfirmed = false
    for (;;) {
      let page: ListPage
      try {
        page = await this.listPage(resource, { filter: opts.filter, traverse: opts.traverse, pageSize, at })
      } catch (err) {
        if (!(err instanceof DeadlineExceeded)) throw err
        if (pageSize > MIN_PAGE_SIZE) {
          pageSize = Math.max(MIN_PAGE_SIZE, Math.floor(pageSize / 2))
          this.ctx.logger.warn({ resource, pageSize }, 'endor: context deadline exceeded, halving the page size')
          continue
        }
        if (++deadlinesAtMin > 3)
          throw new UpstreamError({
            kind: 'timeout',
            host: new URL(this.base).host,
            message: messages.deadline(pageSize),
          })
        await this.ctx.sleep(2_000 * deadlinesAtMin)
        continue
      }
      deadlinesAtMin = 0
      if (page.objects.length === 0) {
        if (!emptyConfirmed) {
          emptyConfirmed = true
          continue
        }
        return
      }
      emptyConfirmed = false
      let next = page.next
      if (next) {
        // prefer page_id (Endor's recommendation) and keep using the same kind of cursor once chosen
        next = next.pageId ? { pageId: next.pageId } : { pageToken: next.pageToken }
        const k = keyOf(next)
        if (seen.has(k)) {
          this.ctx.logger.warn({ resource, cursor: k }, 'endor: the API repeated a page cursor; stopping this list')
          if (opts.outcome) opts.outcome.repeatedCursor = true
          next = null
        } else seen.add(k)
      }
      yield { objects: page.objects, next, pageSize }
      if (!next) return
      at = next
    }
  }
}
