import {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type Logger,
  UpstreamError,
  type UpstreamErrorKind,
} from '@vulnsync/core'
import { Agent, type Dispatcher, request as undiciRequest } from 'undici'
import { BlockedAddressError, guardedLookup, refusedHost } from './guard.ts'

export interface HttpClientOptions {
  baseUrl?: string
  headers?: Record<string, string>
  timeoutMs?: number
  /** retries on 429, 5xx and network errors (default 4) */
  maxRetries?: number
  /** base of the exponential backoff in ms (default 500) */
  backoffMs?: number
  /** longest single wait the client will do for a Retry-After (default 15 min) */
  maxRetryAfterMs?: number
  allowPrivateNetworks?: boolean
  signal?: AbortSignal
  logger?: Logger
  /** called before every request: a per-connection request budget waits here */
  beforeRequest?: (req: HttpRequest) => Promise<void> | void
  /** called after every response, e.g. to read rate-limit headers */
  afterResponse?: (res: HttpResponse, req: HttpRequest) => Promise<void> | void
  /** told when the client waits (a Retry-After), so the run can show "paused until" */
  onWait?: (ms: number, reason: string) => void
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  maxRedirects?: number
}

const agents = new Map<boolean, Agent>()
const agentFor = (allowPrivate: boolean): Agent => {
  let a = agents.get(allowPrivate)
  if (!a) {
    a = new Agent({ connect: { lookup: guardedLookup(allowPrivate) as any }, keepAliveTimeout: 10_000 })
    agents.set(allowPrivate, a)
  }
  return a
}

export const abortableSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'))
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal?.reason ?? new Error('aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export const parseRetryAfter = (value: string | null, now = Date.now()): number | undefined => {
  if (!value) return undefined
  const secs = Number(value)
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000)
  const at = Date.parse(value)
  if (Number.isFinite(at)) return Math.max(0, at - now)
  return undefined
}

const kindForStatus = (status: number): UpstreamErrorKind => {
  if (status === 401) return 'auth'
  if (status === 403) return 'permission'
  if (status === 404) return 'not_found'
  if (status === 429) return 'rate_limited'
  if (status >= 500) return 'server'
  return 'client'
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed TLS certificate in chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
}

const describeNetworkError = (err: any): { code: string; text: string } => {
  let e = err
  for (let i = 0; i < 4 && e; i++) {
    if (e instanceof BlockedAddressError || e?.code === 'EBLOCKED') return { code: 'EBLOCKED', text: e.message }
    if (e.code && NETWORK_CODES[e.code]) return { code: e.code, text: NETWORK_CODES[e.code]! }
    e = e.cause
  }
  return { code: err?.code ?? 'ERR', text: err?.message ?? String(err) }
}

const buildUrl = (baseUrl: string | undefined, req: HttpRequest): URL => {
  const url = /^https?:\/\//i.test(req.url)
    ? new URL(req.url)
    : new URL(req.url.replace(/^\//, ''), `${(baseUrl ?? '').replace(/\/+$/, '')}/`)
  for (const [k, v] of Object.entries(req.query ?? {})) {
    if (v === undefined || v === null) continue
    if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, x)
    else url.searchParams.set(k, String(v))
  }
  return url
}

/** A response whose body is read as it arrives (a large download), with the same guards as every other call. */
export interface HttpStreamResponse {
  status: number
  headers: Headers
  url: string
  body: AsyncIterable<Uint8Array>
}

export interface GuardedHttpClient extends HttpClient {
  /**
   * The request, with its retries and redirects, answering once the status and headers are in: the body is the
   * caller's to read (the request's timeout covers the whole download). Non-2xx answers throw as `request` does.
   */
  stream(req: HttpRequest): Promise<HttpStreamResponse>
}

/**
 * The guarded HTTP client every connector uses: http(s) only, SSRF guard at connect time, timeouts, abort,
 * jittered exponential backoff on 429/5xx/network errors honouring Retry-After, no redirect to another host,
 * a request-budget hook. Errors come out as UpstreamError with a kind a check can turn into words.
 */
export const createHttpClient = (opts: HttpClientOptions = {}): GuardedHttpClient => {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const maxRetries = opts.maxRetries ?? 4
  const backoffMs = opts.backoffMs ?? 500
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 15 * 60_000
  const sleep = opts.sleep ?? abortableSleep
  const allowPrivate = opts.allowPrivateNetworks ?? false
  const dispatcher: Dispatcher = agentFor(allowPrivate)

  const once = async (url: URL, req: HttpRequest, streamBody: boolean): Promise<HttpResponse & { body?: any }> => {
    const host = url.host
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new UpstreamError({
        kind: 'blocked',
        host,
        message: `only http and https URLs are allowed, not ${url.protocol}`,
      })
    // IP literals and localhost names are judged before any DNS query; other names when they resolve
    const refused = allowPrivate ? null : refusedHost(url.hostname)
    if (refused !== null)
      throw new UpstreamError({
        kind: 'blocked',
        host,
        message: new BlockedAddressError(url.hostname, refused).message,
      })
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'vulnsync/0.1',
      ...opts.headers,
      ...req.headers,
    }
    let body: string | undefined
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
      if (typeof req.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json'
    }
    const timeout = AbortSignal.timeout(req.timeoutMs ?? timeoutMs)
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
    let res: Dispatcher.ResponseData
    try {
      res = await undiciRequest(url, {
        method: req.method ?? 'GET',
        headers,
        body,
        signal,
        dispatcher,
        maxRedirections: 0,
      } as any)
    } catch (err: any) {
      if (opts.signal?.aborted)
        throw new UpstreamError({ kind: 'aborted', host, message: 'the request was cancelled', cause: err })
      if (timeout.aborted)
        throw new UpstreamError({
          kind: 'timeout',
          host,
          message: `${host} did not answer within ${Math.round((req.timeoutMs ?? timeoutMs) / 1000)} s`,
          cause: err,
        })
      const d = describeNetworkError(err)
      if (d.code === 'EBLOCKED') throw new UpstreamError({ kind: 'blocked', host, message: d.text, cause: err })
      throw new UpstreamError({ kind: 'unreachable', host, message: `could not reach ${host}: ${d.text}`, cause: err })
    }
    const h = new Headers()
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue
      if (Array.isArray(v)) for (const x of v) h.append(k, x)
      else h.set(k, String(v))
    }
    if (streamBody && res.statusCode >= 200 && res.statusCode < 300) {
      const notRead = () => {
        throw new Error('a streamed response is read from its body')
      }
      return { status: res.statusCode, headers: h, url: url.toString(), body: res.body, text: notRead, json: notRead }
    }
    let text: string
    try {
      text = await res.body.text()
    } catch (err: any) {
      throw new UpstreamError({
        kind: 'unreachable',
        host,
        message: `${host} closed the connection mid-response`,
        cause: err,
      })
    }
    return {
      status: res.statusCode,
      headers: h,
      url: url.toString(),
      text: () => text,
      json: <T>() => {
        try {
          return JSON.parse(text) as T
        } catch (err) {
          throw new UpstreamError({
            kind: 'bad_response',
            host,
            status: res.statusCode,
            message: `${host} returned a body that is not valid JSON (HTTP ${res.statusCode})`,
            body: text.slice(0, 500),
            cause: err,
          })
        }
      },
    }
  }

  const send = async (req: HttpRequest, streamBody: boolean): Promise<HttpResponse & { body?: any }> => {
    let url = buildUrl(opts.baseUrl, req)
    const originHost = url.host
    let attempt = 0
    let redirects = 0
    for (;;) {
      await opts.beforeRequest?.(req)
      let res: HttpResponse
      try {
        res = await once(url, req, streamBody)
      } catch (err) {
        const e = err as UpstreamError
        const retriable =
          (e.kind === 'unreachable' || e.kind === 'timeout') && req.retry !== false && attempt < maxRetries
        if (!retriable) throw err
        attempt++
        const wait = Math.round(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()))
        opts.logger?.warn({ host: url.host, attempt, waitMs: wait, err: e.message }, 'upstream unreachable, retrying')
        await sleep(wait, opts.signal)
        continue
      }
      await opts.afterResponse?.(res, req)
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        const next = new URL(res.headers.get('location')!, url)
        if (next.host !== originHost)
          throw new UpstreamError({
            kind: 'blocked',
            host: url.host,
            status: res.status,
            message: `${url.host} redirected to another host (${next.host}); vulnsync does not follow redirects across hosts: use the final URL in the configuration`,
          })
        if (++redirects > (opts.maxRedirects ?? 5))
          throw new UpstreamError({
            kind: 'bad_response',
            host: url.host,
            status: res.status,
            message: `${url.host} redirected too many times`,
          })
        url = next
        continue
      }
      if (req.acceptStatus?.includes(res.status) || (res.status >= 200 && res.status < 300)) return res
      const retriable = (res.status === 429 || res.status >= 500) && req.retry !== false && attempt < maxRetries
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
      if (retriable && (retryAfter === undefined || retryAfter <= maxRetryAfterMs)) {
        attempt++
        const wait = retryAfter ?? Math.round(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()))
        opts.onWait?.(wait, res.status === 429 ? 'rate_limited' : `HTTP ${res.status}`)
        opts.logger?.warn({ host: url.host, status: res.status, attempt, waitMs: wait }, 'upstream asked to retry')
        await sleep(wait, opts.signal)
        continue
      }
      const body = res.text()
      throw new UpstreamError({
        kind: kindForStatus(res.status),
        status: res.status,
        host: url.host,
        body: body.slice(0, 2000),
        retryAfterMs: retryAfter,
        message: `${req.method ?? 'GET'} ${url.pathname} on ${url.host} answered HTTP ${res.status}`,
      })
    }
  }

  const request = (req: HttpRequest): Promise<HttpResponse> => send(req, false)
  return {
    request,
    json: async <T>(req: HttpRequest) => (await request(req)).json<T>(),
    stream: async (req) => {
      const res = await send(req, true)
      return { status: res.status, headers: res.headers, url: res.url, body: res.body }
    },
  }
}
