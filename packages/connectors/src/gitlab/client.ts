import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { parseLink } from '../github/client.ts'
import { parseRetryAfter } from '../kit/http.ts'
import { type GitlabConfig, type GitlabSecrets, gitlabApiBase } from './config.ts'
import { GitlabErrorBody } from './raw.ts'

export const GITLAB_USER_AGENT = 'vulnsync (repository inventory)'

export interface GitlabClientOptions {
  /** how many rate-limit waits one client may do before it gives up (default 12) */
  maxWaits?: number
  /** the longest single rate-limit wait (default 10 min: GitLab windows are a minute long) */
  maxWaitMs?: number
}

export interface GitlabPage {
  items: unknown[]
  /** the next page: `link rel="next"` as given, else built from `x-next-page`; null at the end */
  next: string | null
  /** `x-total`, absent above 10,000 records and on keyset pages */
  total: number | null
  res: HttpResponse
}

/** The text GitLab gave: `message` (string or validation object), `error`/`error_description`, or a plain-text body. */
export const gitlabMessage = (res: HttpResponse): string => {
  const text = res.text().trim()
  try {
    const parsed = GitlabErrorBody.safeParse(JSON.parse(text))
    if (parsed.success) {
      const b = parsed.data
      if (b.error) return b.error_description ? `${b.error}: ${b.error_description}` : b.error
      if (typeof b.message === 'string') return b.message
      if (b.message !== undefined) return JSON.stringify(b.message)
    }
  } catch {
    // plain text (the 429 body is "Retry later")
  }
  return text.slice(0, 200)
}

/** How long a 429 asks to wait: Retry-After, else RateLimit-Reset (Unix time), else RateLimit-ResetTime (a date). */
export const gitlabWaitMs = (res: HttpResponse, nowMs: number, hits = 0): number => {
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'), nowMs)
  if (retryAfter !== undefined) return retryAfter
  const reset = Number(res.headers.get('ratelimit-reset'))
  if (Number.isFinite(reset) && reset > 0) return Math.max(1_000, reset * 1000 - nowMs + 1_000)
  const resetTime = Date.parse(res.headers.get('ratelimit-resettime') ?? '')
  if (Number.isFinite(resetTime)) return Math.max(1_000, resetTime - nowMs + 1_000)
  return 30_000 * 2 ** Math.min(hits, 4)
}

export type GitlabClient = ReturnType<typeof createGitlabClient>

/**
 * GitLab REST v4 calls on top of ctx.http: PRIVATE-TOKEN, link/x-next-page paging, RateLimit-* headers, and 429
 * ("Retry later", plain text) waited out through ctx.sleep a bounded number of times.
 */
export const createGitlabClient = (
  ctx: ConnectorContext<GitlabConfig, GitlabSecrets>,
  opts: GitlabClientOptions = {},
) => {
  const base = gitlabApiBase(ctx.config)
  const origin = new URL(base).origin
  const host = new URL(base).host
  const maxWaits = opts.maxWaits ?? 12
  const maxWaitMs = opts.maxWaitMs ?? 10 * 60_000
  const headers = { 'private-token': ctx.secrets.token, accept: 'application/json', 'user-agent': GITLAB_USER_AGENT }
  let waits = 0
  let hits = 0
  let pauseUntil = 0

  const absolute = (pathOrUrl: string): string => {
    if (!/^https?:\/\//i.test(pathOrUrl)) return `${base}/${pathOrUrl.replace(/^\//, '')}`
    const u = new URL(pathOrUrl)
    // follow a link as given, but never to another host (a GitLab behind a proxy may name its internal host)
    return u.origin === origin ? u.toString() : `${origin}${u.pathname}${u.search}`
  }

  const wait = async (ms: number, why: string) => {
    const until = new Date(ctx.now().getTime() + ms)
    ctx.progress({ pausedUntil: until, message: `GitLab ${why}: waiting until ${until.toISOString()}` })
    ctx.logger.warn({ host, waitMs: ms, why }, 'gitlab rate limit: waiting')
    await ctx.sleep(ms)
    ctx.progress({ pausedUntil: null })
  }

  const rateLimitError = (res: HttpResponse | null, ms: number, gaveUp: boolean): UpstreamError => {
    const name = res?.headers.get('ratelimit-name')
    const limit = res?.headers.get('ratelimit-limit')
    const which = name ? `; ${name}${limit ? `, ${limit} requests per minute` : ''}` : ''
    const body = res ? gitlabMessage(res) : 'RateLimit-Remaining is 0'
    return new UpstreamError({
      kind: 'rate_limited',
      host,
      status: res?.status ?? 429,
      retryAfterMs: ms,
      message: `GitLab is rate-limiting this token (HTTP ${res?.status ?? 429}: ${body}${which})${gaveUp ? ` and kept doing so after ${waits} waits` : ''}: wait ${Math.ceil(ms / 1000)} s and try again, or ask the GitLab administrator about the authenticated API rate limit.`,
    })
  }

  /** Turns a non-2xx answer into an error a user can act on. `what` says what was attempted. */
  const errorFor = (res: HttpResponse, what: string): UpstreamError => {
    const s = res.status
    const msg = gitlabMessage(res)
    const m = msg ? `: ${msg}` : ''
    if (s === 401)
      return new UpstreamError({
        kind: 'auth',
        host,
        status: s,
        message: `GitLab rejected the token (HTTP 401${m}): check that it was copied whole, has not passed its expiry date and was not revoked.`,
      })
    if (s === 403 && /insufficient_scope/.test(msg))
      return new UpstreamError({
        kind: 'permission',
        host,
        status: s,
        message: `the token lacks the scope to ${what} (HTTP 403${m}): create a token with the read_api scope.`,
      })
    if (s === 403)
      return new UpstreamError({
        kind: 'permission',
        host,
        status: s,
        message: `the token may not ${what} (HTTP 403${m}): its user needs at least the Reporter role on the projects, and the token the read_api scope.`,
      })
    if (s === 404)
      return new UpstreamError({
        kind: 'not_found',
        host,
        status: s,
        message: `GitLab found nothing to ${what} (HTTP 404${m}).`,
      })
    return new UpstreamError({
      kind: s >= 500 ? 'server' : 'client',
      host,
      status: s,
      message: `GitLab answered HTTP ${s} when asked to ${what}${m}.`,
      body: res.text().slice(0, 500),
    })
  }

  const get = async (pathOrUrl: string, what: string, accept: number[] = []): Promise<HttpResponse> => {
    const url = absolute(pathOrUrl)
    for (;;) {
      const now = ctx.now().getTime()
      if (pauseUntil > now) {
        const ms = pauseUntil - now
        pauseUntil = 0
        if (ms > maxWaitMs || waits >= maxWaits) throw rateLimitError(null, ms, waits >= maxWaits)
        waits++
        await wait(ms, 'rate limit (RateLimit-Remaining 0)')
      }
      const res = await ctx.http.request({ url, headers, acceptStatus: [400, 401, 403, 404, 405, 409, 422, 429] })
      if (res.status === 429) {
        const ms = gitlabWaitMs(res, ctx.now().getTime(), hits)
        hits++
        if (ms > maxWaitMs) throw rateLimitError(res, ms, false)
        if (waits >= maxWaits) throw rateLimitError(res, ms, true)
        waits++
        await wait(ms, 'rate limit (HTTP 429)')
        continue
      }
      hits = 0
      if (res.status >= 200 && res.status < 300) {
        if (res.headers.get('ratelimit-remaining') === '0') {
          const reset = Number(res.headers.get('ratelimit-reset'))
          if (Number.isFinite(reset) && reset > 0) pauseUntil = Math.max(pauseUntil, reset * 1000 + 1_000)
        }
        return res
      }
      if (accept.includes(res.status)) return res
      throw errorFor(res, what)
    }
  }

  const page = async (pathOrUrl: string, what: string, accept: number[] = []): Promise<GitlabPage> => {
    const url = absolute(pathOrUrl)
    const res = await get(url, what, accept)
    if (res.status >= 300) return { items: [], next: null, total: null, res }
    const body = res.text() === '' ? [] : res.json()
    if (!Array.isArray(body))
      throw new UpstreamError({
        kind: 'bad_response',
        host,
        status: res.status,
        message: `GitLab answered ${what} with something that is not a list`,
        body: res.text().slice(0, 500),
      })
    let next = parseLink(res.headers.get('link'), 'next')
    const nextPage = res.headers.get('x-next-page')
    if (!next && nextPage && /^\d+$/.test(nextPage.trim())) {
      const u = new URL(url)
      u.searchParams.set('page', nextPage.trim())
      next = u.toString()
    }
    const totalRaw = res.headers.get('x-total')
    const total = totalRaw && /^\d+$/.test(totalRaw) ? Number(totalRaw) : null
    return { items: body, next: next ? absolute(next) : null, total, res }
  }

  return { base, host, get, page, errorFor }
}
