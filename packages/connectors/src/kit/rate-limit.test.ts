import { describe, expect, it } from 'vitest'
import { silentLogger } from './context.ts'
import { createRateLimitWaiter } from './rate-limit.ts'

const fakeCtx = () => {
  const c = { t: 0, sleeps: [] as number[], progress: [] as unknown[] }
  return {
    c,
    ctx: {
      now: () => new Date(c.t),
      sleep: async (ms: number) => {
        c.sleeps.push(ms)
        c.t += ms
      },
      progress: (p: unknown) => c.progress.push(p),
      logger: silentLogger,
    },
  }
}

describe('wait out the rate limit, then retry', () => {
  it('waits each limit out, shows the run paused until then, and returns the first answer that is not a limit', async () => {
    const { c, ctx } = fakeCtx()
    const waiter = createRateLimitWaiter(ctx, { vendor: 'Acme', host: 'acme.test', maxWaits: 5, maxWaitMs: 60_000 })
    const answers = [429, 429, 200]
    const res = await waiter.call({
      send: async () => answers.shift()!,
      classify: (status, hits) => (status === 429 ? { waitMs: 1_000 * 2 ** hits, why: 'rate limit' } : null),
      pausedWhy: 'budget spent',
      gaveUp: () => new Error('gave up'),
    })
    expect(res).toBe(200)
    expect(c.sleeps).toEqual([1_000, 2_000])
    expect(c.progress[0]).toEqual({
      pausedUntil: new Date(1_000),
      message: 'Acme rate limit: waiting until 1970-01-01T00:00:01.000Z',
    })
    expect(c.progress[1]).toEqual({ pausedUntil: null })
  })

  it('gives up after its waits, or before a wait longer than it may wait, with the connector’s error', async () => {
    const { ctx } = fakeCtx()
    const waiter = createRateLimitWaiter(ctx, { vendor: 'Acme', host: 'acme.test', maxWaits: 2, maxWaitMs: 60_000 })
    const always = {
      send: async () => 429,
      classify: () => ({ waitMs: 1_000, why: 'rate limit' }),
      pausedWhy: 'budget spent',
      gaveUp: (_: unknown, why: { outOfWaits: boolean; tooLong: boolean; waits: number }) =>
        new Error(`gave up: ${JSON.stringify(why)}`),
    }
    await expect(waiter.call(always)).rejects.toThrow('gave up: {"tooLong":false,"outOfWaits":true,"waits":2}')
    const patient = createRateLimitWaiter(ctx, { vendor: 'Acme', host: 'h', maxWaits: 9, maxWaitMs: 500 })
    await expect(patient.call(always)).rejects.toThrow('"tooLong":true')
  })

  it('waits for a spent budget to reset before the next call instead of taking a refusal', async () => {
    const { c, ctx } = fakeCtx()
    const waiter = createRateLimitWaiter(ctx, { vendor: 'Acme', host: 'h', maxWaits: 5, maxWaitMs: 60_000 })
    waiter.pauseUntil(30_000)
    const sent: number[] = []
    await waiter.call({
      send: async () => sent.push(c.t),
      classify: () => null,
      pausedWhy: 'budget spent',
      gaveUp: () => new Error('gave up'),
    })
    expect(c.sleeps).toEqual([30_000])
    expect(sent).toEqual([30_000])
  })
})
