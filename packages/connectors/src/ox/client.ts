import { type ConnectorContext, type HttpResponse, UpstreamError } from '@vulnsync/core'
import type { OxConfig, OxSecrets } from './config.ts'

/** A GraphQL `errors` entry as OX (Apollo) sends it. */
export interface OxGraphQLErrorEntry {
  message?: string
  path?: (string | number)[]
  extensions?: { code?: string; [k: string]: unknown }
}

/** OX answered with GraphQL errors (in a 200 or a 400 body). */
export class OxGraphQLError extends Error {
  readonly errors: OxGraphQLErrorEntry[]
  readonly status: number
  constructor(errors: OxGraphQLErrorEntry[], status: number) {
    super(errors.map((e) => e.message ?? 'unknown error').join('; ') || `GraphQL error (HTTP ${status})`)
    this.name = 'OxGraphQLError'
    this.errors = errors
    this.status = status
  }
  get codes(): string[] {
    return this.errors.map((e) => String(e.extensions?.code ?? ''))
  }
  /** the selection asked for a field this OX does not have */
  get isValidation(): boolean {
    return (
      this.codes.includes('GRAPHQL_VALIDATION_FAILED') ||
      this.errors.some((e) => /cannot query field|unknown (field|argument)/i.test(e.message ?? ''))
    )
  }
  get isAuth(): boolean {
    return this.codes.includes('UNAUTHENTICATED')
  }
  get isForbidden(): boolean {
    return (
      this.codes.includes('FORBIDDEN') ||
      this.errors.some((e) => /forbidden|not authori[sz]ed|permission/i.test(e.message ?? ''))
    )
  }
}

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

/**
 * The OX GraphQL client on top of ctx.http: raw key in Authorization (no Bearer), POST /api/apollo-gateway, GraphQL
 * errors as OxGraphQLError, and OX's request budget (1,000 an hour, 15,000 a day per key): it reads the RateLimit-*
 * headers of every response, pauses before a request when the budget is spent, and waits out a 429 until the window
 * resets, telling the run through ctx.progress({pausedUntil}).
 */
export class OxClient {
  readonly budget: OxBudget = { used: 0, pauses: 0, pausedMs: 0 }
  private readonly opts: Required<OxClientOptions>
  constructor(
    private readonly ctx: ConnectorContext<OxConfig, OxSecrets>,
    opts: OxClientOptions = {},
  ) {
    this.opts = {
      pauseWhenExhausted: opts.pauseWhenExhausted ?? true,
      reserve: opts.reserve ?? 0,
      maxConsecutivePauses: opts.maxConsecutivePauses ?? 30,
      timeoutMs: opts.timeoutMs ?? 180_000,
      defaultWaitMs: opts.defaultWaitMs ?? 60_000,
    }
  }

  private readHeaders(res: HttpResponse): void {
    const now = this.ctx.now().getTime()
    const limit = header(res, 'ratelimit-limit', 'x-ratelimit-limit')
    const remaining = header(res, 'ratelimit-remaining', 'x-ratelimit-remaining')
    const reset = header(res, 'ratelimit-reset', 'x-ratelimit-reset')
    const hour = header(res, 'ratelimit-hourlimit')
    const day = header(res, 'ratelimit-daylimit')
    if (limit !== undefined) this.budget.limit = limit
    if (hour !== undefined) this.budget.hourLimit = hour
    if (day !== undefined) this.budget.dayLimit = day
    if (remaining !== undefined) this.budget.remaining = remaining
    // RateLimit-Reset is seconds until the active window resets; tolerate an epoch-seconds value too
    if (reset !== undefined) this.budget.resetAt = reset > 1e9 ? reset * 1000 : now + reset * 1000
  }

  /** the day window is the one that ran out (RateLimit-Limit names the active limit) */
  private dailyActive(): boolean {
    const b = this.budget
    return b.dayLimit !== undefined && b.limit === b.dayLimit && b.limit !== b.hourLimit
  }

  private describeLimit(): string {
    const parts: string[] = []
    if (this.budget.hourLimit)
      parts.push(
        `${this.budget.hourLimit.toLocaleString('en-US')} request${this.budget.hourLimit === 1 ? '' : 's'} an hour`,
      )
    if (this.budget.dayLimit) parts.push(`${this.budget.dayLimit.toLocaleString('en-US')} a day`)
    if (!parts.length && this.budget.limit) parts.push(`${this.budget.limit.toLocaleString('en-US')} per window`)
    return parts.length ? parts.join(' and ') : '1,000 requests an hour and 15,000 a day'
  }

  /** Waits until the rate-limit window resets, showing it on the run. */
  private async pause(waitMs: number, why: string): Promise<void> {
    const ms = Math.max(1_000, Math.ceil(waitMs) + 1_000)
    const until = new Date(this.ctx.now().getTime() + ms)
    this.budget.pauses++
    this.budget.pausedMs += ms
    this.ctx.logger.warn(
      { waitMs: ms, until: until.toISOString(), budget: this.budget },
      'OX request budget spent, pausing',
    )
    this.ctx.progress({
      pausedUntil: until,
      message: `${why}: OX allows ${this.describeLimit()} per API key; waiting until ${until.toISOString()} for the window to reset`,
    })
    await this.ctx.sleep(ms)
    this.budget.remaining = undefined
    this.ctx.progress({ pausedUntil: null, message: 'OX request window reset, continuing' })
  }

  private waitForReset(): number {
    const now = this.ctx.now().getTime()
    return this.budget.resetAt !== undefined && this.budget.resetAt > now
      ? this.budget.resetAt - now
      : this.opts.defaultWaitMs
  }

  /** One GraphQL operation. Throws UpstreamError (auth, permission, rate_limited, unreachable …) or OxGraphQLError. */
  async graphql<T>(operationName: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let consecutive = 0
    for (;;) {
      const now = this.ctx.now().getTime()
      if (
        this.budget.remaining !== undefined &&
        this.budget.remaining <= this.opts.reserve &&
        this.budget.resetAt !== undefined &&
        this.budget.resetAt > now
      ) {
        if (!this.opts.pauseWhenExhausted) throw this.rateLimited(undefined)
        if (++consecutive > this.opts.maxConsecutivePauses) throw this.rateLimited(undefined)
        await this.pause(
          this.budget.resetAt - now,
          `the OX request budget for ${this.dailyActive() ? 'today' : 'this hour'} is spent`,
        )
      }
      this.budget.used++
      const res = await this.ctx.http.request({
        method: 'POST',
        url: OX_GRAPHQL_PATH,
        headers: {
          authorization: this.ctx.secrets.apiToken,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: { operationName, query, variables },
        acceptStatus: [400, 401, 403, 429],
        timeoutMs: this.opts.timeoutMs,
      })
      this.readHeaders(res)
      const host = new URL(res.url).host
      if (res.status === 429) {
        if (!this.opts.pauseWhenExhausted || ++consecutive > this.opts.maxConsecutivePauses) throw this.rateLimited(res)
        const retryAfter = header(res, 'retry-after')
        const wait =
          this.budget.resetAt !== undefined && this.budget.resetAt > this.ctx.now().getTime()
            ? this.waitForReset()
            : retryAfter !== undefined
              ? retryAfter * 1000
              : this.opts.defaultWaitMs
        await this.pause(wait, 'OX answered HTTP 429 (request budget spent)')
        continue
      }
      if (res.status === 401 || res.status === 403) {
        throw new UpstreamError({
          kind: res.status === 401 ? 'auth' : 'permission',
          status: res.status,
          host,
          body: res.text().slice(0, 2000),
          message:
            res.status === 401
              ? `OX Security rejected the API token (HTTP 401)`
              : `the OX API token is not allowed to run ${operationName} (HTTP 403)`,
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
          message: `${host} did not answer as OX's GraphQL API (HTTP ${res.status}, not JSON): check the API base URL`,
          cause: err,
        })
      }
      const errors = Array.isArray(body?.errors) ? body.errors : []
      if (errors.length) {
        const e = new OxGraphQLError(errors, res.status)
        if (e.isAuth)
          throw new UpstreamError({
            kind: 'auth',
            status: res.status,
            host,
            message: `OX Security rejected the API token (${e.message})`,
          })
        // a partial answer (data for the fields that worked) is returned only when the caller's field is there
        const data = body?.data
        if (!data || Object.values(data).some((v) => v === null) || res.status >= 400) throw e
        this.ctx.logger.warn({ operationName, errors }, 'OX answered with GraphQL errors beside data')
      }
      if (res.status === 400) throw new OxGraphQLError([{ message: `HTTP 400 for ${operationName}` }], 400)
      if (!body || typeof body !== 'object' || !body.data)
        throw new UpstreamError({
          kind: 'bad_response',
          status: res.status,
          host,
          message: `OX answered ${operationName} without data`,
        })
      return body.data as T
    }
  }

  private rateLimited(res: HttpResponse | undefined): UpstreamError {
    const until = new Date(this.ctx.now().getTime() + this.waitForReset())
    return new UpstreamError({
      kind: 'rate_limited',
      status: res?.status ?? 429,
      host: res ? new URL(res.url).host : 'OX',
      retryAfterMs: this.waitForReset(),
      message: `the OX request budget for this API token is spent (${this.describeLimit()}); it resets at ${until.toISOString()}`,
    })
  }
}
