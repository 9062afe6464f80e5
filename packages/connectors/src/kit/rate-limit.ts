import type { ConnectorContext } from '@vulnsync/core'

type Ctx = Pick<ConnectorContext<unknown, unknown>, 'now' | 'sleep' | 'progress' | 'logger'>

/**
 * Waits `ms` for an upstream rate-limit window, the one way every connector does it: the run shows "paused until"
 * with `message(until)`, the wait goes through ctx.sleep (abortable; tests make it instant), and the run shows it is
 * moving again afterwards (`resumed`, or no message).
 */
export const waitOut = async (
  ctx: Ctx,
  ms: number,
  o: { message: (until: Date) => string; resumed?: string; log: { msg: string; fields?: Record<string, unknown> } },
): Promise<void> => {
  const until = new Date(ctx.now().getTime() + ms)
  ctx.logger.warn({ waitMs: ms, ...o.log.fields }, o.log.msg)
  ctx.progress({ pausedUntil: until, message: o.message(until) })
  await ctx.sleep(ms)
  ctx.progress(o.resumed === undefined ? { pausedUntil: null } : { pausedUntil: null, message: o.resumed })
}

/** A rate limit an answer announced: how long it asks to wait, why (shown on the run), and whether it counts as a hit. */
export interface RateLimitVerdict {
  waitMs: number
  why: string
  /** consecutive hits grow a backoff (`hits` given to the classifier); default true */
  hit?: boolean
}

/** Why waiting stopped: the wait asked for is longer than allowed, or the client has used up its waits. */
export interface GaveUp {
  tooLong: boolean
  outOfWaits: boolean
  /** waits done so far */
  waits: number
}

/**
 * The one "wait out the rate limit, then retry" helper: `call()` is repeated while `classify` says its answer is a
 * rate limit, each limit waited out (see `waitOut`); a success that says the budget is spent sets `pauseUntil`, so
 * the next call waits for the reset first instead of taking a refusal. It gives up, with the error `gaveUp` words,
 * after `maxWaits` waits or before a single wait longer than `maxWaitMs`.
 */
export const createRateLimitWaiter = (
  ctx: Ctx,
  o: { vendor: string; host: string; maxWaits: number; maxWaitMs: number },
) => {
  let waits = 0
  let hits = 0
  let pausedUntil = 0
  const log: Array<{ kind: string; ms: number }> = []

  const wait = async (ms: number, why: string) => {
    log.push({ kind: why, ms })
    await waitOut(ctx, ms, {
      message: (until) => `${o.vendor} ${why}: waiting until ${until.toISOString()}`,
      log: { msg: `${o.vendor.toLowerCase()} rate limit: waiting`, fields: { host: o.host, why } },
    })
  }
  const limits = (ms: number): GaveUp | null => {
    const g = { tooLong: ms > o.maxWaitMs, outOfWaits: waits >= o.maxWaits, waits }
    return g.tooLong || g.outOfWaits ? g : null
  }

  return {
    /** the waits done so far, with why and how long (benchmarks and logs) */
    log,
    /** the next call waits until `atMs` (epoch ms) before it goes out */
    pauseUntil(atMs: number) {
      pausedUntil = Math.max(pausedUntil, atMs)
    },
    async call<R, V extends RateLimitVerdict>(o2: {
      send: () => Promise<R>
      classify: (res: R, hits: number) => V | null
      /** the error for a limit that is not waited out: an answer's, or (`res` null) a remembered reset's */
      gaveUp: (limit: { res: R; verdict: V } | { res: null; waitMs: number }, why: GaveUp) => Error
      /** why the run pauses before a call when an earlier answer said the budget is spent */
      pausedWhy: string
    }): Promise<R> {
      for (;;) {
        const now = ctx.now().getTime()
        if (pausedUntil > now) {
          const ms = pausedUntil - now
          pausedUntil = 0
          const stop = limits(ms)
          if (stop) throw o2.gaveUp({ res: null, waitMs: ms }, stop)
          waits++
          await wait(ms, o2.pausedWhy)
        }
        const res = await o2.send()
        const verdict = o2.classify(res, hits)
        if (!verdict) {
          hits = 0
          return res
        }
        if (verdict.hit !== false) hits++
        const stop = limits(verdict.waitMs)
        if (stop) throw o2.gaveUp({ res, verdict }, stop)
        waits++
        await wait(verdict.waitMs, verdict.why)
      }
    },
  }
}

export type RateLimitWaiter = ReturnType<typeof createRateLimitWaiter>
