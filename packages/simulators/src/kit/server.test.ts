import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRng, rngFor } from './random.ts'
import { type Simulator, startSimulator } from './server.ts'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({
    name: 'kit',
    routes: [
      {
        method: 'GET',
        path: '/items/:id',
        handler: (req) => ({ body: { id: req.params.id, list: [1, 2, 3, 4, 5, 6, 7, 8] } }),
      },
    ],
    errorBody: (status, message) => ({ vendorError: { status, message } }),
  })
})
afterAll(() => sim?.close())
const get = (p: string) => fetch(`${sim.url}${p}`)

describe('the simulator kit', () => {
  it('serves routes with parameters on a real loopback port, and 404s in the vendor error shape', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await (await get('/items/42')).json()).toMatchObject({ id: '42' })
    const nf = await get('/nope')
    expect(nf.status).toBe(404)
    expect(await nf.json()).toMatchObject({ vendorError: { status: 404 } })
  })

  it('answers 429 with Retry-After, 5xx, truncated JSON and late auth failures when switched on', async () => {
    sim.setFaults({ rateLimitNext: 1, retryAfterSeconds: 9 })
    const limited = await get('/items/1')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('9')
    sim.setFaults({ serverErrorNext: 1 })
    expect((await get('/items/1')).status).toBe(503)
    sim.setFaults({ truncateNext: 1 })
    const cut = await (await get('/items/1')).text()
    expect(() => JSON.parse(cut)).toThrow()
    sim.resetStats()
    sim.setFaults({ authFailAfter: 2 })
    expect((await get('/items/1')).status).toBe(200)
    expect((await get('/items/1')).status).toBe(200)
    expect((await get('/items/1')).status).toBe(401)
    sim.setFaults({})
    expect((await get('/items/1')).status).toBe(200)
  })

  it('changes faults at run time over HTTP and slows responses', async () => {
    await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 150 }),
    })
    const t0 = Date.now()
    await get('/items/1')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    sim.setFaults({})
  })

  it('generates the same dataset from the same seed, record by record', () => {
    expect(rngFor(7, 1000).hex(8)).toBe(rngFor(7, 1000).hex(8))
    expect(rngFor(7, 1000).hex(8)).not.toBe(rngFor(7, 1001).hex(8))
    const a = createRng(3)
    const b = createRng(3)
    expect([a.int(0, 100), a.int(0, 100)]).toEqual([b.int(0, 100), b.int(0, 100)])
  })
})
