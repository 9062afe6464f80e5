import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { badResponse } from '../kit/failure.ts'
import { parseRetryAfter } from '../kit/http.ts'
import { type Page, parseLink } from '../kit/paging.ts'
import { createRestApi, type WaitLimits } from '../kit/rest.ts'
import { type GitlabConfig, type GitlabSecrets, gitlabApiBase } from './config.ts'
import { GitlabErrorBody } from './raw.ts'
import { words } from './words.ts'

type Ctx = ConnectorContext<GitlabConfig, GitlabSecrets>

export const GITLAB_USER_AGENT = 'vulnsync (repository inventory)'

/** A page: `next` is `link rel="next"` as given, else built from `x-next-page`; `total` is `x-total` when sent. */
export interface GitlabPage extends Page<unknown, string> {
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

/**
 * GitLab REST v4 calls on top of ctx.http: PRIVATE-TOKEN, link/x-next-page paging, RateLimit-* headers, and 429
 * ("Retry later", plain text) waited out through the kit's waiter a bounded number of times.
 */
export const createGitlabClient = (ctx: Ctx, opts: WaitLimits = {}) => {
  // rate limits: 12 waits, each at most 10 min (GitLab windows are a minute long)
  const base = gitlabApiBase(ctx.config)
  const host = new URL(base).host
  const rateLimitError = (res: HttpResponse | null, ms: number, afterWaits: number | null): UpstreamError => {
    const name = res?.headers.get('ratelimit-name')
    const limit = res?.headers.get('ratelimit-limit')
    const which = name ? `; ${name}${limit ? `, ${limit} requests per minute` : ''}` : ''
    const said = res ? gitlabMessage(res) : 'RateLimit-Remaining is 0'
    const status = res?.status ?? 429
    return new UpstreamError({
      kind: 'rate_limited',
      host,
      status,
      retryAfterMs: ms,
      message: words.rateLimited(status, said, which, afterWaits, ms),
    })
  }

  /** Turns a non-2xx answer into an error a user can act on. `what` says what was attempted. */
  const errorFor = (res: HttpResponse, what: string): UpstreamError => {
    const s = res.status
    const msg = gitlabMessage(res)
    const said = msg ? `: ${msg}` : ''
    const error = (kind: UpstreamError['kind'], message: string, body?: string) =>
      new UpstreamError({ kind, host, status: s, message, ...(body !== undefined ? { body } : {}) })
    if (s === 401) return error('auth', words.tokenRejected(said))
    if (s === 403 && /insufficient_scope/.test(msg)) return error('permission', words.scopeMissing(what, said))
    if (s === 403) return error('permission', words.forbidden(what, said))
    if (s === 404) return error('not_found', words.notFound(what, said))
    return error(s >= 500 ? 'server' : 'client', words.failed(s, what, said), res.text().slice(0, 500))
  }

  const { get, send, absolute } = createRestApi(ctx, {
    vendor: 'GitLab',
    base,
    headers: { 'private-token': ctx.secrets.token, accept: 'application/json', 'user-agent': GITLAB_USER_AGENT },
    acceptStatus: [400, 401, 403, 404, 405, 409, 422, 429],
    maxWaits: opts.maxWaits ?? 12,
    maxWaitMs: opts.maxWaitMs ?? 10 * 60_000,
    classify: (r, hits) =>
      r.status === 429 ? { waitMs: gitlabWaitMs(r, ctx.now().getTime(), hits), why: 'rate limit (HTTP 429)' } : null,
    pausedWhy: 'rate limit (RateLimit-Remaining 0)',
    gaveUp: (limit, why) =>
      limit.res
        ? rateLimitError(limit.res, limit.verdict.waitMs, why.tooLong ? null : why.waits)
        : rateLimitError(null, limit.waitMs, why.outOfWaits ? why.waits : null),
    budget: { remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' },
    errorFor,
  })

  const page = async (pathOrUrl: string, what: string, accept: number[] = []): Promise<GitlabPage> => {
    const url = absolute(pathOrUrl)
    const res = await get(url, what, accept)
    if (res.status >= 300) return { items: [], next: null, total: null, res }
    const body = res.text() === '' ? [] : res.json()
    if (!Array.isArray(body)) throw badResponse(res, words.notAList(what))
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

  return { base, host, get, send, page, errorFor }
}

export type GitlabClient = ReturnType<typeof createGitlabClient>
