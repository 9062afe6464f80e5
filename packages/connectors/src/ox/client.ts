import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import { waitOut } from '../kit/rate-limit.ts'
import type { OxConfig, OxSecrets } from './config.ts'
import { OxGraphQLError, type OxGraphQLErrorEntry } from './raw.ts'
import { words } from './words.ts'

/** What OX's RateLimit-* headers said last. */
export interface OxBudget {
  limit?: number | undefined
  hourLimit?: number | undefined
  dayLimit?: number | undefined
  remaining?: number | undefined
  /** when the active window resets (epoch ms on ctx.now's clock) */
  resetAt?: number | undefined
  /** requests this client sent */
  used: number
  /** how often and how long it waited for a window */
  pauses: number
  pausedMs: number
}

export interface OxClientOptions {
  /** wait for the window to reset when the budget is spent (a run), or report it (a check) */
  pauseWhenExhausted?: boolean
  /** requests kept in reserve: pause when RateLimit-Remaining falls to this (default 0) */
  reserve?: number
  /** give up after this many consecutive waits for a window (default 30: more than a day of hourly windows) */
  maxConsecutivePauses?: number
  /** per-request timeout for large pages (default 180 s) */
  timeoutMs?: number
  /** how long to wait on a 429 that names no reset (default 60 s) */
  defaultWaitMs?: number
}

export const OX_GRAPHQL_PATH = '/api/apollo-gateway'

const header = (res: HttpResponse, ...names: string[]): number | undefined => {
  for (const n of names) {
    const v = res.headers.get(n)
    if (v == null || v.trim() === '') continue
    const num = Number(v.split(',')[0])
    if (Number.isFinite(num)) return num
  }
  return undefined
}

/** "1,000 requests an hour and 15,000 a day", from what the headers said (OX's documented budget otherwise). */
const describeLimit = (b: OxBudget): string => {
  const parts: string[] = []
  if (b.hourLimit) parts.push(`${b.hourLimit.toLocaleString('en-US')} request${b.hourLimit === 1 ? '' : 's'} an hour`)
  if (b.dayLimit) parts.push(`${b.dayLimit.toLocaleString('en-US')} a day`)
  if (!parts.length && b.limit) parts.push(`${b.limit.toLocaleString('en-US')} per window`)
  return parts.length ? parts.join(' and ') : '1,000 requests an hour and 15,000 a day'
}

/**
 * The OX GraphQL client on top of ctx.http: raw key in Authorization (no Bearer), POST /api/apollo-gateway, GraphQL
 * errors as OxGraphQLError, and OX's request budget (1,000 an hour, 15,000 a day per key): it reads the RateLimit-*
 * headers of every response, pauses before a request when the budget is spent, and waits out a 429 until the window
 * resets, telling the run through ctx.progress({pausedUntil}).
 */
export const createOxClient = (ctx: ConnectorContext<OxConfig, OxSecrets>, options: OxClientOptions = {}) => {
  const budget: OxBudget = { used: 0, pauses: 0, pausedMs: 0 }
  const opts = {
    pauseWhenExhausted: options.pauseWhenExhausted ?? true,
    reserve: options.reserve ?? 0,
    maxConsecutivePauses: options.maxConsecutivePauses ?? 30,
    timeoutMs: options.timeoutMs ?? 180_000,
    defaultWaitMs: options.defaultWaitMs ?? 60_000,
  }

  const readHeaders = (res: HttpResponse): void => {
    const now = ctx.now().getTime()
    const limit = header(res, 'ratelimit-limit', 'x-ratelimit-limit')
    const remaining = header(res, 'ratelimit-remaining', 'x-ratelimit-remaining')
    const reset = header(res, 'ratelimit-reset', 'x-ratelimit-reset')
    const hour = header(res, 'ratelimit-hourlimit')
    const day = header(res, 'ratelimit-daylimit')
    if (limit !== undefined) budget.limit = limit
    if (hour !== undefined) budget.hourLimit = hour
    if (day !== undefined) budget.dayLimit = day
    if (remaining !== undefined) budget.remaining = remaining
    // RateLimit-Reset is seconds until the active window resets; tolerate an epoch-seconds value too
    if (reset !== undefined) budget.resetAt = reset > 1e9 ? reset * 1000 : now + reset * 1000
  }

  /** the day window is the one that ran out (RateLimit-Limit names the active limit) */
  const dailyActive = (): boolean =>
    budget.dayLimit !== undefined && budget.limit === budget.dayLimit && budget.limit !== budget.hourLimit

  /** Waits until the rate-limit window resets, showing it on the run. */
  const pause = async (waitMs: number, why: string): Promise<void> => {
    const ms = Math.max(1_000, Math.ceil(waitMs) + 1_000)
    budget.pauses++
    budget.pausedMs += ms
    await waitOut(ctx, ms, {
      message: (until) => words.pausing(why, describeLimit(budget), until),
      resumed: 'OX request window reset, continuing',
      log: { msg: 'OX request budget spent, pausing', fields: { budget } },
    })
    budget.remaining = undefined
  }

  const waitForReset = (): number => {
    const now = ctx.now().getTime()
    return budget.resetAt !== undefined && budget.resetAt > now ? budget.resetAt - now : opts.defaultWaitMs
  }

  const rateLimited = (res: HttpResponse | undefined): UpstreamError =>
    new UpstreamError({
      kind: 'rate_limited',
      status: res?.status ?? 429,
      host: res ? new URL(res.url).host : 'OX',
      retryAfterMs: waitForReset(),
      message: words.budgetSpent(describeLimit(budget), new Date(ctx.now().getTime() + waitForReset())),
    })

  /** One GraphQL operation. Throws UpstreamError (auth, permission, rate_limited, unreachable …) or OxGraphQLError. */
  const graphql = async <T>(
    operationName: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> => {
    let consecutive = 0
    for (;;) {
      const now = ctx.now().getTime()
      if (
        budget.remaining !== undefined &&
        budget.remaining <= opts.reserve &&
        budget.resetAt !== undefined &&
        budget.resetAt > now
      ) {
        if (!opts.pauseWhenExhausted) throw rateLimited(undefined)
        if (++consecutive > opts.maxConsecutivePauses) throw rateLimited(undefined)
        await pause(budget.resetAt - now, `the OX request budget for ${dailyActive() ? 'today' : 'this hour'} is spent`)
      }
      budget.used++
      const res = await ctx.http.request({
        method: 'POST',
        url: OX_GRAPHQL_PATH,
        headers: {
          authorization: ctx.secrets.apiToken,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: { operationName, query, variables },
        acceptStatus: [400, 401, 403, 429],
        timeoutMs: opts.timeoutMs,
      })
      readHeaders(res)
      const host = new URL(res.url).host
      if (res.status === 429) {
        if (!opts.pauseWhenExhausted || ++consecutive > opts.maxConsecutivePauses) throw rateLimited(res)
        const retryAfter = header(res, 'retry-after')
        const wait =
          budget.resetAt !== undefined && budget.resetAt > ctx.now().getTime()
            ? waitForReset()
            : retryAfter !== undefined
              ? retryAfter * 1000
              : opts.defaultWaitMs
        await pause(wait, 'OX answered HTTP 429 (request budget spent)')
        continue
      }
      if (res.status === 401 || res.status === 403) {
        throw new UpstreamError({
          kind: res.status === 401 ? 'auth' : 'permission',
          status: res.status,
          host,
          body: res.text().slice(0, 2000),
          message: res.status === 401 ? words.tokenRejected('HTTP 401') : words.operationForbidden(operationName),
        })
      }
      let body: { data?: Record<string, unknown> | null; errors?: OxGraphQLErrorEntry[] }
      try {
        body = res.json()
      } catch (err) {
        throw new UpstreamError({
          kind: 'bad_response',
          status: res.status,
          host,
          body: res.text().slice(0, 500),
          message: words.notTheApi(host, res.status),
          cause: err,
        })
      }
      const errors = Array.isArray(body?.errors) ? body.errors : []
      if (errors.length) {
        const e = new OxGraphQLError(errors, res.status)
        if (e.isAuth)
          throw new UpstreamError({ kind: 'auth', status: res.status, host, message: words.tokenRejected(e.message) })
        // a partial answer (data for the fields that worked) is returned only when the caller's field is there
        const data = body?.data
        if (!data || Object.values(data).some((v) => v === null) || res.status >= 400) throw e
        ctx.logger.warn({ operationName, errors }, 'OX answered with GraphQL errors beside data')
      }
      if (res.status === 400) throw new OxGraphQLError([{ message: `HTTP 400 for ${operationName}` }], 400)
      if (!body || typeof body !== 'object' || !body.data)
        throw new UpstreamError({
          kind: 'bad_response',
          status: res.status,
          host,
          message: words.noData(operationName),
        })
      return body.data as T
    }
  }

  return { budget, graphql }
}

export type OxClient = ReturnType<typeof createOxClient>
