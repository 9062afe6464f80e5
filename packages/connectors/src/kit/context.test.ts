import { type Simulator, startSimulator } from '@vulnsync/simulators'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTEXT_POLICY, connectionContext } from './context.ts'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ name: 'policy', routes: [{ method: 'GET', path: '/x', handler: () => ({ body: {} }) }] })
})
afterAll(async () => {
  await sim?.close()
})

const connector = { baseUrl: (c: { url: string }) => c.url }
const contextFor = (purpose: 'check' | 'discover' | 'read', signal?: AbortSignal) =>
  connectionContext(connector, purpose, {
    config: { url: sim.url },
    secrets: {},
    allowPrivateNetworks: true,
    sleep: async () => {},
    ...(signal ? { signal } : {}),
  })

describe('one context builder, one retry/timeout policy', () => {
  it('retries a failing upstream once for a check and four times for a sync or the location picker', async () => {
    for (const [purpose, tries] of [
      ['check', 2],
      ['discover', 5],
      ['read', 5],
    ] as const) {
      sim.resetStats()
      sim.setFaults({ serverErrorNext: 10 })
      await expect(contextFor(purpose).http.request({ url: '/x' })).rejects.toMatchObject({ kind: 'server' })
      expect(sim.stats.requests, purpose).toBe(tries)
    }
    sim.setFaults({})
  })

  it('gives a check a minute and the location picker two in all; a sync ends only through its own signal', async () => {
    expect(CONTEXT_POLICY.check).toMatchObject({ deadlineMs: 60_000, http: { maxRetries: 1, timeoutMs: 20_000 } })
    expect(CONTEXT_POLICY.discover.deadlineMs).toBe(120_000)
    expect(CONTEXT_POLICY.read.deadlineMs).toBeUndefined()
    const run = new AbortController()
    const read = contextFor('read', run.signal)
    run.abort()
    expect(read.signal.aborted).toBe(true)
    expect(contextFor('check').signal.aborted).toBe(false)
    const base = contextFor('discover')
    expect((await base.http.json({ url: '/x' })) as object).toEqual({})
  })
})
