import type { ConnectorContext, HttpResponse, UpstreamError } from '@vulnsync/core'
import { rebaseOn } from './paging.ts'
import { createRateLimitWaiter, type GaveUp, type RateLimitVerdict } from './rate-limit.ts'

type Ctx = Pick<ConnectorContext<unknown, unknown>, 'http' | 'now' | 'sleep' | 'progress' | 'logger'>

/** How long a REST client waits out rate limits before it gives up (each client has its vendor's defaults). */
export interface WaitLimits {
  /** how many rate-limit waits one client may do */
  maxWaits?: number
  /** the longest single rate-limit wait */
  maxWaitMs?: number
}

/** What a REST API connector tells the kit about its vendor: headers, rate-limit rules and its words for errors. */
export interface RestApiOptions<V extends RateLimitVerdict> {
  vendor: string
  /** the API base URL (`https://api.github.com`, `https://gitlab.example.com/api/v4`) */
  base: string
  headers: Record<string, string>
  /** statuses the client judges itself instead of the HTTP client throwing them (rate limits, errors it words) */
  acceptStatus: number[]
  maxWaits: number
  maxWaitMs: number
  /** is this answer a rate limit, and how long does it ask to wait */
  classify: (res: HttpResponse, hits: number) => V | null
  /** why the run pauses before a call when an earlier answer said the budget is spent */
  pausedWhy: string
  /** the error for a limit that is not waited out */
  gaveUp: (limit: { res: HttpResponse; verdict: V } | { res: null; waitMs: number }, why: GaveUp) => Error
  /** the headers of a successful answer that say the budget is spent (`'0'`) and when it resets (epoch seconds) */
  budget: { remaining: string; reset: string }
  /** the vendor's words for a non-2xx answer to `what` */
  errorFor: (res: HttpResponse, what: string) => UpstreamError
}

/**
 * GETs on a REST API the way every REST connector needs them: paths and links made absolute on the configured
 * origin, the vendor's headers, rate limits waited out (and a spent budget waited for before the next call),
 * statuses in `accept` handed back, every other non-2xx thrown in the vendor's words.
 */
export const createRestApi = <V extends RateLimitVerdict>(ctx: Ctx, o: RestApiOptions<V>) => {
  const host = new URL(o.base).host
  const absolute = rebaseOn(o.base)
  const limiter = createRateLimitWaiter(ctx, { vendor: o.vendor, host, maxWaits: o.maxWaits, maxWaitMs: o.maxWaitMs })

  const get = async (pathOrUrl: string, what: string, accept: number[] = []): Promise<HttpResponse> => {
    const url = absolute(pathOrUrl)
    const res = await limiter.call({
      send: () => ctx.http.request({ url, headers: o.headers, acceptStatus: o.acceptStatus }),
      classify: o.classify,
      pausedWhy: o.pausedWhy,
      gaveUp: o.gaveUp,
    })
    if (res.status >= 200 && res.status < 300) {
      const reset = Number(res.headers.get(o.budget.reset))
      if (res.headers.get(o.budget.remaining) === '0' && Number.isFinite(reset) && reset > 0)
        limiter.pauseUntil(reset * 1000 + 1_000)
      return res
    }
    if (accept.includes(res.status)) return res
    throw o.errorFor(res, what)
  }

  /** A write (POST, PATCH, PUT, DELETE) with a JSON body, rate limits waited out like a GET's. */
  const send = async (
    method: 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    pathOrUrl: string,
    body: unknown,
    what: string,
    accept: number[] = [],
  ): Promise<HttpResponse> => {
    const url = absolute(pathOrUrl)
    const res = await limiter.call({
      send: () =>
        ctx.http.request({ method, url, headers: o.headers, body, acceptStatus: o.acceptStatus, retry: false }),
      classify: o.classify,
      pausedWhy: o.pausedWhy,
      gaveUp: o.gaveUp,
    })
    if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return res
    throw o.errorFor(res, what)
  }

  return { base: o.base, host, absolute, get, send, waits: limiter.log }
}
