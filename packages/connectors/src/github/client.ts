import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { badResponse } from '../kit/failure.ts'
import { parseRetryAfter } from '../kit/http.ts'
import { type Page, parseLink } from '../kit/paging.ts'
import type { GaveUp } from '../kit/rate-limit.ts'
import { createRestApi, type WaitLimits } from '../kit/rest.ts'
import { type GithubConfig, type GithubSecrets, githubApiBase } from './config.ts'
import { GithubErrorBody, GithubInstallationRepos } from './raw.ts'
import { words } from './words.ts'

type Ctx = ConnectorContext<GithubConfig, GithubSecrets>

export const GITHUB_USER_AGENT = 'vulnsync (repository inventory)'

export interface GithubPage extends Page<unknown, string> {
  /** the `rel="last"` page number when GitHub could compute it */
  lastPage: number | null
  /** `total_count` of /installation/repositories */
  totalCount: number | null
  res: HttpResponse
}

const bodyOf = (res: HttpResponse): GithubErrorBody => {
  try {
    const parsed = GithubErrorBody.safeParse(JSON.parse(res.text()))
    return parsed.success ? parsed.data : {}
  } catch {
    return { message: res.text().slice(0, 200) || undefined }
  }
}

export interface RateLimitVerdict {
  kind: 'primary' | 'secondary'
  waitMs: number
  /** when the window resets, if GitHub said */
  resetAt: Date | null
  message: string
}

/**
 * Tells a rate-limit answer apart from a permission 403 (scm.md §1.7, go-github and octokit logic): 403/429 with
 * `x-ratelimit-remaining: 0` is the primary limit (wait until `x-ratelimit-reset`); 403/429 whose message or
 * documentation_url says secondary/abuse, or any other 429, is the secondary limit (wait `retry-after`, else until
 * the reset if remaining is 0, else a minute doubled per consecutive hit).
 */
export const classifyRateLimit = (res: HttpResponse, nowMs: number, secondaryHits = 0): RateLimitVerdict | null => {
  if (res.status !== 403 && res.status !== 429) return null
  const body = bodyOf(res)
  const message = body.message ?? ''
  const remaining = res.headers.get('x-ratelimit-remaining')
  const resetRaw = Number(res.headers.get('x-ratelimit-reset'))
  const resetAt = Number.isFinite(resetRaw) && resetRaw > 0 ? new Date(resetRaw * 1000) : null
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'), nowMs)
  const secondary =
    /\bsecondary rate\b|abuse detection/i.test(message) ||
    /secondary-rate-limits|abuse-rate-limits/i.test(body.documentation_url ?? '')
  const untilReset = resetAt ? Math.max(1_000, resetAt.getTime() - nowMs + 1_000) : null
  if (secondary || (res.status === 429 && remaining !== '0')) {
    const waitMs =
      retryAfter ?? (remaining === '0' && untilReset !== null ? untilReset : 60_000 * 2 ** Math.min(secondaryHits, 4))
    return { kind: 'secondary', waitMs, resetAt, message: message || 'secondary rate limit' }
  }
  if (remaining === '0' || /rate limit exceeded/i.test(message)) {
    const waitMs = retryAfter ?? untilReset ?? 60_000
    return { kind: 'primary', waitMs, resetAt, message: message || 'API rate limit exceeded' }
  }
  return null
}

/**
 * GitHub REST calls on top of ctx.http: auth and version headers, `link` paging, and rate limits waited out
 * through the kit's waiter (shown as pausedUntil) instead of failing, a bounded number of times.
 */
export const createGithubClient = (ctx: Ctx, opts: WaitLimits = {}) => {
  // rate limits: 12 waits, each at most 65 min (a primary window is one hour)
  const base = githubApiBase(ctx.config)
  const origin = new URL(base).origin
  const host = new URL(base).host
  const headers = {
    authorization: `Bearer ${ctx.secrets.token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': ctx.config.apiVersion ?? '2022-11-28',
    'user-agent': GITHUB_USER_AGENT,
  }
  const rateLimitError = (v: RateLimitVerdict, status: number, why: GaveUp): UpstreamError => {
    const afterWaits = why.tooLong ? null : why.waits
    const message =
      v.kind === 'primary'
        ? words.primaryLimit(status, v.message, afterWaits, v.resetAt)
        : words.secondaryLimit(status, v.message, afterWaits, v.waitMs)
    return new UpstreamError({ kind: 'rate_limited', host, status, message, retryAfterMs: v.waitMs })
  }

  /** Turns a non-2xx answer into an error a user can act on. `what` says what was attempted. */
  const errorFor = (res: HttpResponse, what: string): UpstreamError => {
    const b = bodyOf(res)
    const said = b.message ? `: ${b.message}` : ''
    const s = res.status
    const sso = res.headers.get('x-github-sso')
    const error = (kind: UpstreamError['kind'], message: string, body?: string) =>
      new UpstreamError({ kind, host, status: s, message, ...(body !== undefined ? { body } : {}) })
    if (s === 401) return error('auth', words.tokenRejected(said))
    if (s === 403 && sso) return error('permission', words.ssoNotAuthorised(said, /url=(\S+)/.exec(sso)?.[1]))
    if (s === 403) return error('permission', words.forbidden(what, said))
    if (s === 404) {
      const onApiHost = /\/api\/v3$/i.test(base) || new URL(base).hostname.startsWith('api.')
      return error('not_found', words.notFound(what, said, onApiHost ? '' : words.gheApiHint(origin)))
    }
    if (s === 410) return error('client', words.apiVersionRefused(headers['x-github-api-version'], said))
    return error(s >= 500 ? 'server' : 'client', words.failed(s, what, said), res.text().slice(0, 500))
  }

  /**
   * One GET (`get(pathOrUrl, what, accept)`). Rate limits are waited out; statuses in `accept` come back to the
   * caller; other non-2xx throw an UpstreamError worded for the user.
   */
  const { get, send, absolute } = createRestApi(ctx, {
    vendor: 'GitHub',
    base,
    headers,
    acceptStatus: [400, 401, 403, 404, 409, 410, 422, 429],
    maxWaits: opts.maxWaits ?? 12,
    maxWaitMs: opts.maxWaitMs ?? 65 * 60_000,
    classify: (r, hits) => {
      const v = classifyRateLimit(r, ctx.now().getTime(), hits)
      return v && { ...v, why: `${v.kind} rate limit (HTTP ${r.status})`, hit: v.kind === 'secondary' }
    },
    pausedWhy: 'primary rate limit (remaining 0)',
    gaveUp: (limit, why) =>
      limit.res
        ? rateLimitError(limit.verdict, limit.res.status, why)
        : rateLimitError(
            {
              kind: 'primary',
              waitMs: limit.waitMs,
              resetAt: new Date(ctx.now().getTime() + limit.waitMs),
              message: 'x-ratelimit-remaining is 0',
            },
            200,
            why,
          ),
    budget: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' },
    errorFor,
  })

  const json = (res: HttpResponse): unknown => (res.status === 204 || res.text() === '' ? null : res.json())

  /** One page of a listing: an array, or the /installation/repositories wrapper. */
  const page = async (pathOrUrl: string, what: string, accept: number[] = []): Promise<GithubPage> => {
    const res = await get(pathOrUrl, what, accept)
    if (res.status >= 300) return { items: [], next: null, lastPage: null, totalCount: null, res }
    const body = json(res)
    let items: unknown[]
    let totalCount: number | null = null
    if (body === null) items = []
    else if (Array.isArray(body)) items = body
    else {
      const wrapped = GithubInstallationRepos.safeParse(body)
      if (!wrapped.success) throw badResponse(res, words.notAList(what))
      items = wrapped.data.repositories
      totalCount = wrapped.data.total_count ?? null
    }
    const link = res.headers.get('link')
    const next = parseLink(link, 'next')
    const last = parseLink(link, 'last')
    const lastPage = last ? Number(new URL(last).searchParams.get('page')) || null : null
    return { items, next: next ? absolute(next) : null, lastPage, totalCount, res }
  }

  return { base, host, get, send, page, json, errorFor, absolute }
}

export type GithubClient = ReturnType<typeof createGithubClient>
