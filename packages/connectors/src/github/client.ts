import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { parseRetryAfter } from '../kit/http.ts'
import { type GithubConfig, type GithubSecrets, githubApiBase } from './config.ts'
import { GithubErrorBody, GithubInstallationRepos } from './raw.ts'

export const GITHUB_USER_AGENT = 'vulnsync (repository inventory)'

export interface GithubClientOptions {
  /** how many rate-limit waits one client may do before it gives up (default 12) */
  maxWaits?: number
  /** the longest single rate-limit wait (default 65 min: a primary window is one hour) */
  maxWaitMs?: number
}

export interface GithubPage {
  items: unknown[]
  /** the `rel="next"` URL exactly as given (rebased on the configured origin), or null on the last page */
  next: string | null
  /** the `rel="last"` page number when GitHub could compute it */
  lastPage: number | null
  /** `total_count` of /installation/repositories */
  totalCount: number | null
  res: HttpResponse
}

/** Finds `rel="next"` (or another relation) in a `link` header, case-insensitively (scm.md §1.6). */
export const parseLink = (header: string | null, rel = 'next'): string | null => {
  if (!header) return null
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^<>]+)>\s*;(.*)$/.exec(part.trim())
    const rels =
      /rel\s*=\s*"?([^";]*)"?/i
        .exec(m?.[2] ?? '')?.[1]
        ?.toLowerCase()
        .split(/\s+/) ?? []
    if (m && rels.includes(rel.toLowerCase())) return m[1]!
  }
  return null
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

export type GithubClient = ReturnType<typeof createGithubClient>

/**
 * GitHub REST calls on top of ctx.http: auth and version headers, `link` paging, and rate limits waited out
 * through ctx.sleep (shown as pausedUntil) instead of failing, a bounded number of times.
 */
export const createGithubClient = (
  ctx: ConnectorContext<GithubConfig, GithubSecrets>,
  opts: GithubClientOptions = {},
) => {
  const base = githubApiBase(ctx.config)
  const origin = new URL(base).origin
  const host = new URL(base).host
  const maxWaits = opts.maxWaits ?? 12
  const maxWaitMs = opts.maxWaitMs ?? 65 * 60_000
  const headers = {
    authorization: `Bearer ${ctx.secrets.token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': ctx.config.apiVersion ?? '2022-11-28',
    'user-agent': GITHUB_USER_AGENT,
  }
  let waits = 0
  let secondaryHits = 0
  /** set when a successful answer said remaining 0: the next call waits for the reset first */
  let pauseUntil = 0
  const stats = { requests: 0, waits: [] as Array<{ kind: string; ms: number }> }

  const absolute = (pathOrUrl: string): string => {
    if (!/^https?:\/\//i.test(pathOrUrl)) return `${base}/${pathOrUrl.replace(/^\//, '')}`
    const u = new URL(pathOrUrl)
    // follow a link as given, but never to another host: rebase it on the configured origin
    return u.origin === origin ? u.toString() : `${origin}${u.pathname}${u.search}`
  }

  const wait = async (ms: number, why: string) => {
    const until = new Date(ctx.now().getTime() + ms)
    stats.waits.push({ kind: why, ms })
    ctx.progress({ pausedUntil: until, message: `GitHub ${why}: waiting until ${until.toISOString()}` })
    ctx.logger.warn({ host, waitMs: ms, why }, 'github rate limit: waiting')
    await ctx.sleep(ms)
    ctx.progress({ pausedUntil: null })
  }

  const rateLimitError = (v: RateLimitVerdict, status: number, gaveUp: 'waits' | 'too_long'): UpstreamError => {
    const reset = v.resetAt ? ` It resets at ${v.resetAt.toISOString()}.` : ''
    const message =
      v.kind === 'primary'
        ? `GitHub's API rate limit for this token is used up (HTTP ${status}: ${v.message})${gaveUp === 'waits' ? ` and stayed so after ${waits} waits` : ''}.${reset} Try again after the reset, or use a token with its own budget (a GitHub App installation gets a higher limit).`
        : `GitHub's secondary rate limit was hit (HTTP ${status}: ${v.message})${gaveUp === 'waits' ? ` and kept being hit after ${waits} waits` : ''}: wait ${Math.ceil(v.waitMs / 1000)} s and try again, and avoid running other heavy jobs with the same token at the same time.`
    return new UpstreamError({ kind: 'rate_limited', host, status, message, retryAfterMs: v.waitMs })
  }

  /** Turns a non-2xx answer into an error a user can act on. `what` says what was attempted. */
  const errorFor = (res: HttpResponse, what: string): UpstreamError => {
    const b = bodyOf(res)
    const msg = b.message ? `: ${b.message}` : ''
    const s = res.status
    const sso = res.headers.get('x-github-sso')
    if (s === 401)
      return new UpstreamError({
        kind: 'auth',
        host,
        status: s,
        message: `GitHub rejected the token (HTTP 401${msg}): check that it was copied whole and has not expired or been revoked (GitHub App installation tokens expire after one hour).`,
      })
    if (s === 403 && sso) {
      const url = /url=(\S+)/.exec(sso)?.[1]
      return new UpstreamError({
        kind: 'permission',
        host,
        status: s,
        message: `the token is not authorised for the organisation's SAML single sign-on (HTTP 403${msg}): ${url ? `open ${url} to authorise it` : 'authorise it under GitHub → Settings → Personal access tokens → Configure SSO'}, then try again.`,
      })
    }
    if (s === 403)
      return new UpstreamError({
        kind: 'permission',
        host,
        status: s,
        message: `the token may not ${what} (HTTP 403${msg}): give a fine-grained token access to the organisation's repositories with the read-only "Metadata" permission, or a classic token the "repo" and "read:org" scopes; a GitHub App needs "Metadata: read".`,
      })
    if (s === 404) {
      const apiHint =
        /\/api\/v3$/i.test(base) || new URL(base).hostname.startsWith('api.')
          ? ''
          : ` If this is GitHub Enterprise Server, the API base URL is ${origin}/api/v3.`
      return new UpstreamError({
        kind: 'not_found',
        host,
        status: s,
        message: `GitHub found nothing to ${what} (HTTP 404${msg}).${apiHint}`,
      })
    }
    if (s === 410)
      return new UpstreamError({
        kind: 'client',
        host,
        status: s,
        message: `GitHub refused REST API version ${headers['x-github-api-version']} (HTTP 410${msg}): choose a supported version in the connection settings.`,
      })
    return new UpstreamError({
      kind: s >= 500 ? 'server' : 'client',
      host,
      status: s,
      message: `GitHub answered HTTP ${s} when asked to ${what}${msg}.`,
      body: res.text().slice(0, 500),
    })
  }

  /**
   * One GET. Rate limits are waited out; statuses in `accept` come back to the caller; other non-2xx throw an
   * UpstreamError worded for the user.
   */
  const get = async (pathOrUrl: string, what: string, accept: number[] = []): Promise<HttpResponse> => {
    const url = absolute(pathOrUrl)
    for (;;) {
      const now = ctx.now().getTime()
      if (pauseUntil > now) {
        const ms = pauseUntil - now
        pauseUntil = 0
        if (ms > maxWaitMs || waits >= maxWaits)
          throw rateLimitError(
            { kind: 'primary', waitMs: ms, resetAt: new Date(now + ms), message: 'x-ratelimit-remaining is 0' },
            200,
            ms > maxWaitMs ? 'too_long' : 'waits',
          )
        waits++
        await wait(ms, 'primary rate limit (remaining 0)')
      }
      stats.requests++
      const res = await ctx.http.request({ url, headers, acceptStatus: [400, 401, 403, 404, 409, 410, 422, 429] })
      const verdict = classifyRateLimit(res, ctx.now().getTime(), secondaryHits)
      if (verdict) {
        if (verdict.kind === 'secondary') secondaryHits++
        if (verdict.waitMs > maxWaitMs) throw rateLimitError(verdict, res.status, 'too_long')
        if (waits >= maxWaits) throw rateLimitError(verdict, res.status, 'waits')
        waits++
        await wait(verdict.waitMs, `${verdict.kind} rate limit (HTTP ${res.status})`)
        continue
      }
      secondaryHits = 0
      if (res.status >= 200 && res.status < 300) {
        if (res.headers.get('x-ratelimit-remaining') === '0') {
          const reset = Number(res.headers.get('x-ratelimit-reset'))
          if (Number.isFinite(reset) && reset > 0) pauseUntil = Math.max(pauseUntil, reset * 1000 + 1_000)
        }
        return res
      }
      if (accept.includes(res.status)) return res
      throw errorFor(res, what)
    }
  }

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
      if (!wrapped.success)
        throw new UpstreamError({
          kind: 'bad_response',
          host,
          status: res.status,
          message: `GitHub answered ${what} with an object that is not a repository list`,
          body: res.text().slice(0, 500),
        })
      items = wrapped.data.repositories
      totalCount = wrapped.data.total_count ?? null
    }
    const link = res.headers.get('link')
    const next = parseLink(link, 'next')
    const last = parseLink(link, 'last')
    const lastPage = last ? Number(new URL(last).searchParams.get('page')) || null : null
    return { items, next: next ? absolute(next) : null, lastPage, totalCount, res }
  }

  return { base, host, get, page, json, errorFor, stats, absolute }
}
