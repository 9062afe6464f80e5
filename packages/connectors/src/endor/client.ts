import { addStageTime, type ConnectorContext, type HttpResponse, stageTimers, UpstreamError } from '@vulnsync/core'
import { splitJsonList } from '../kit/json-list.ts'
import { waitOut } from '../kit/rate-limit.ts'
import { type EndorConfig, type EndorSecrets, endorBaseUrl } from './config.ts'
import { EndorListResponse } from './raw.ts'
import { words } from './words.ts'

/** Endor API-key sessions last 4 hours (endor.md §2.2); used when the exchange gives no usable expiry. */
export const TOKEN_LIFETIME_MS = 4 * 60 * 60_000
/** Re-exchange this long before expiry (Endor's SDK: 30 min), never more than a quarter of the token's lifetime. */
export const TOKEN_REFRESH_MARGIN_MS = 30 * 60_000
export const MAX_PAGE_SIZE = 500
export const MIN_PAGE_SIZE = 10
/** Endor answers no Retry-After we know of: after the HTTP client's own retries, wait this long and try again. */
const RATE_LIMIT_ROUNDS = [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]
const REQUEST_TIMEOUT_S = 120

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

const LIST_PATH = ['list', 'objects']

export interface ListPage {
  /** each object of the page as the JSON text Endor sent (parsed by the reader, one at a time) */
  objects: string[]
  next: PagePosition | null
}

export interface PageEvent {
  /** each object of the page as the JSON text Endor sent */
  objects: string[]
  /** where the next page starts; null when this was the last page */
  next: PagePosition | null
  pageSize: number
}

export interface PagingOutcome {
  /** paging stopped because the API handed back a cursor it had already given */
  repeatedCursor: boolean
}

type Ctx = ConnectorContext<EndorConfig, EndorSecrets>

/**
 * Endor Labs REST calls on top of the guarded client: token exchange and refresh, gRPC errors, list paging.
 * `interactive` (check): no extra rate-limit rounds and a 30 s timeout, so a user waiting on the form gets an answer.
 */
export const createEndorClient = (ctx: Ctx, opts: { interactive?: boolean } = {}) => {
  const base = endorBaseUrl(ctx.config)
  const host = new URL(base).host
  const rounds = opts.interactive ? [] : RATE_LIMIT_ROUNDS
  const timeoutS = opts.interactive ? 30 : REQUEST_TIMEOUT_S
  const session = { token: null as string | null, expiresAt: 0, refreshAt: 0, exchanges: 0 }
  const url = (path: string): string => `${base}${path}`
  const nsPath = (ns: string, resource: string): string => `/v1/namespaces/${encodeURIComponent(ns)}/${resource}`

  /** Runs a request; when the client's own retries on 429 are used up, waits and tries again for a few rounds. */
  const withRateLimitRounds = async (fn: () => Promise<HttpResponse>): Promise<HttpResponse> => {
    for (let round = 0; ; round++) {
      try {
        return await fn()
      } catch (err) {
        if (!(err instanceof UpstreamError) || err.kind !== 'rate_limited' || round >= rounds.length) {
          if (err instanceof UpstreamError && err.kind === 'rate_limited')
            throw new UpstreamError({
              kind: 'rate_limited',
              status: 429,
              host: err.host,
              message: words.rateLimited,
              cause: err,
            })
          throw err
        }
        const wait = Math.max(rounds[round]!, err.retryAfterMs ?? 0)
        await waitOut(ctx, wait, {
          message: () => `Endor Labs rate limit: waiting ${Math.round(wait / 1000)} s`,
          log: { msg: 'endor: rate limited, backing off', fields: { round: round + 1 } },
        })
      }
    }
  }

  /** POST /v1/auth/api-key with {key, secret}; remembers the token and when to refresh it. */
  const exchange = async (): Promise<void> => {
    const now = ctx.now()
    const res = await withRateLimitRounds(() =>
      ctx.http.request({
        method: 'POST',
        url: url('/v1/auth/api-key'),
        body: { key: ctx.secrets.apiKey, secret: ctx.secrets.apiSecret },
        headers: { 'request-timeout': '60' },
        acceptStatus: [400, 401, 403, 404],
      }),
    )
    if (res.status === 404)
      throw new UpstreamError({ kind: 'not_found', status: 404, host, message: words.noExchange(base) })
    if (res.status !== 200 && res.status !== 201)
      throw new UpstreamError({
        kind: 'auth',
        status: res.status,
        host,
        body: res.text().slice(0, 500),
        message: words.keyRejected(res.status),
      })
    const body = res.json<Record<string, unknown>>()
    const token = typeof body?.token === 'string' ? body.token : ''
    if (!token)
      throw new UpstreamError({ kind: 'bad_response', status: res.status, host, message: words.noToken(host) })
    let { at, source } = tokenExpiry(body, token, now)
    if (at.getTime() - now.getTime() < 60_000) {
      // an expiry already (nearly) past is a clock skew or a bad field: do not re-exchange before every call,
      // assume Endor's 4 h and let a 401 trigger the re-exchange
      ctx.logger.warn({ source, expiresAt: at.toISOString() }, 'endor: token expiry is in the past, assuming 4 h')
      at = new Date(now.getTime() + TOKEN_LIFETIME_MS)
    }
    const lifetime = at.getTime() - now.getTime()
    session.token = token
    session.expiresAt = at.getTime()
    session.refreshAt = at.getTime() - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 4)
    session.exchanges++
  }

  const ensureToken = async (): Promise<string> => {
    if (!session.token || ctx.now().getTime() >= session.refreshAt) await exchange()
    return session.token!
  }

  /**
   * GET with the bearer token. 401 → re-exchange once and retry once, then fail; 403 → namespace not granted;
   * 404 → null; "context deadline exceeded" → DeadlineExceeded; 400 → client error with Endor's message.
   */
  const get = async <T>(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
    read: (res: HttpResponse) => T = (res) => res.json<T>(),
  ): Promise<T | null> => {
    for (let reauth = 0; ; reauth++) {
      const token = await ensureToken()
      let res: HttpResponse
      const t0 = stageTimers.on ? performance.now() : 0
      try {
        res = await withRateLimitRounds(() =>
          ctx.http.request({
            url: url(path),
            query,
            // no Accept-Encoding: the HTTP client does not decompress
            headers: { authorization: `Bearer ${token}`, 'request-timeout': String(timeoutS) },
            timeoutMs: (timeoutS + 15) * 1000,
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
      if (stageTimers.on) addStageTime('endor.http', t0)
      const at = new URL(res.url).host
      if (res.status === 401) {
        if (reauth === 0) {
          session.token = null
          continue
        }
        throw new UpstreamError({
          kind: 'auth',
          status: 401,
          host: at,
          body: res.text().slice(0, 500),
          message: words.tokenRejectedAgain(401),
        })
      }
      if (res.status === 403) {
        const ns = /^\/v1\/namespaces\/([^/]+)/.exec(path)?.[1] ?? ctx.config.namespace
        throw new UpstreamError({
          kind: 'permission',
          status: 403,
          host: at,
          body: res.text().slice(0, 500),
          message: words.namespaceDenied(decodeURIComponent(ns)),
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
          host: at,
          body: res.text().slice(0, 500),
          message: words.refused(path, g.message ?? 'bad request'),
        })
      }
      if (!stageTimers.on) return read(res)
      const t1 = performance.now()
      const json = read(res)
      addStageTime('endor.jsonParse', t1)
      return json
    }
  }

  /** A list body as its records' texts (kit/json-list.ts); parsed whole when it cannot be split. */
  const readList = (res: HttpResponse): { doc: unknown; items: string[] | null } => {
    try {
      const split = splitJsonList(res.text(), LIST_PATH)
      if (split) return split
    } catch {
      // not JSON: res.json() says so in the kit's words
    }
    return { doc: res.json(), items: null }
  }

  /** One page of a list call. */
  const listPage = async (
    resource: string,
    o: {
      namespace?: string
      filter?: string
      traverse?: boolean
      pageSize: number
      at?: PagePosition | null
      mask?: string
    },
  ): Promise<ListPage> => {
    const q: Record<string, string | number | boolean | undefined> = {
      'list_parameters.filter': o.filter,
      'list_parameters.traverse': o.traverse ? 'true' : undefined,
      'list_parameters.page_size': o.pageSize,
      'list_parameters.mask': o.mask,
    }
    if (o.at?.pageId) q['list_parameters.page_id'] = o.at.pageId
    else if (o.at?.pageToken !== undefined) q['list_parameters.page_token'] = o.at.pageToken
    const got = await get(nsPath(o.namespace ?? ctx.config.namespace, resource), q, readList)
    const t0 = stageTimers.on ? performance.now() : 0
    const parsed = EndorListResponse.safeParse(got?.doc ?? {})
    if (stageTimers.on) addStageTime('endor.zodList', t0)
    if (!parsed.success || got === null)
      throw new UpstreamError({ kind: 'bad_response', host, message: words.unexpectedList(resource) })
    // a page the split could not read (an unusual shape) was parsed whole: its records' texts are made from it
    const objects = got.items ?? (parsed.data.list?.objects ?? []).map((x) => JSON.stringify(x))
    const r = parsed.data.list?.response
    const pageId = typeof r?.next_page_id === 'string' && r.next_page_id.trim() ? r.next_page_id.trim() : undefined
    const tokenNum = typeof r?.next_page_token === 'string' ? Number(r.next_page_token) : r?.next_page_token
    const pageToken = typeof tokenNum === 'number' && Number.isFinite(tokenNum) && tokenNum > 0 ? tokenNum : undefined
    return { objects, next: pageId || pageToken !== undefined ? { pageId, pageToken } : null }
  }

  /** `list_parameters.count=true` → the number of objects the filter matches (null when Endor does not say). */
  const count = async (resource: string, o: { filter?: string; traverse?: boolean }): Promise<number | null> => {
    const json = await get<unknown>(nsPath(ctx.config.namespace, resource), {
      'list_parameters.filter': o.filter,
      'list_parameters.traverse': o.traverse ? 'true' : undefined,
      'list_parameters.count': 'true',
    })
    const parsed = EndorListResponse.safeParse(json ?? {})
    const n = parsed.success ? parsed.data.count_response?.count : undefined
    return typeof n === 'number' && Number.isFinite(n) ? n : null
  }

  const getProject = async (namespace: string, uuid: string): Promise<unknown | null> => {
    try {
      return await get<unknown>(`${nsPath(namespace, 'projects')}/${encodeURIComponent(uuid)}`)
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
  async function* pages(
    resource: string,
    o: { filter?: string; traverse?: boolean; pageSize: number; start?: PagePosition | null; outcome?: PagingOutcome },
  ): AsyncGenerator<PageEvent> {
    let pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(o.pageSize) || MAX_PAGE_SIZE))
    let at: PagePosition | null = o.start ?? null
    const seen = new Set<string>()
    const keyOf = (p: PagePosition | null) => (p ? `${p.pageId ?? ''}|${p.pageToken ?? ''}` : '')
    if (at) seen.add(keyOf(at))
    let deadlinesAtMin = 0
    let emptyConfirmed = false
    for (;;) {
      let page: ListPage
      try {
        page = await listPage(resource, { filter: o.filter, traverse: o.traverse, pageSize, at })
      } catch (err) {
        if (!(err instanceof DeadlineExceeded)) throw err
        if (pageSize > MIN_PAGE_SIZE) {
          pageSize = Math.max(MIN_PAGE_SIZE, Math.floor(pageSize / 2))
          ctx.logger.warn({ resource, pageSize }, 'endor: context deadline exceeded, halving the page size')
          continue
        }
        if (++deadlinesAtMin > 3) throw new UpstreamError({ kind: 'timeout', host, message: words.deadline(pageSize) })
        await ctx.sleep(2_000 * deadlinesAtMin)
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
          ctx.logger.warn({ resource, cursor: k }, 'endor: the API repeated a page cursor; stopping this list')
          if (o.outcome) o.outcome.repeatedCursor = true
          next = null
        } else seen.add(k)
      }
      yield { objects: page.objects, next, pageSize }
      if (!next) return
      at = next
    }
  }

  return {
    base,
    get namespace() {
      return ctx.config.namespace
    },
    /** the current token's expiry (ms since epoch) and how many exchanges this client made */
    session,
    exchange,
    get,
    listPage,
    count,
    getProject,
    pages,
  }
}

export type EndorClient = ReturnType<typeof createEndorClient>
