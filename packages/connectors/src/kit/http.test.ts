import { UpstreamError } from '@vulnsync/core'
import { type Simulator, startSimulator } from '@vulnsync/simulators'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, parseRetryAfter } from './http.ts'

let sim: Simulator
let other: Simulator
let hits = 0
beforeAll(async () => {
  other = await startSimulator({
    name: 'other',
    routes: [{ method: 'GET', path: '/x', handler: () => ({ body: { other: true } }) }],
  })
  sim = await startSimulator({
    name: 'http-test',
    routes: [
      { method: 'GET', path: '/ok', handler: () => ({ body: { ok: true } }) },
      {
        method: 'GET',
        path: '/flaky',
        handler: () => (++hits % 3 === 0 ? { body: { ok: hits } } : { status: 503, body: { e: 1 } }),
      },
      { method: 'GET', path: '/slow', handler: async () => new Promise((r) => setTimeout(() => r({ body: {} }), 500)) },
      { method: 'GET', path: '/same-host-redirect', handler: () => ({ status: 302, headers: { location: '/ok' } }) },
      {
        method: 'GET',
        path: '/cross-host-redirect',
        handler: () => ({ status: 302, headers: { location: `${other.url}/x` } }),
      },
      { method: 'GET', path: '/forbidden', handler: () => ({ status: 403, body: { message: 'no' } }) },
      { method: 'GET', path: '/text', handler: () => ({ body: 'not json' }) },
    ],
  })
})
afterAll(async () => {
  await sim?.close()
  await other?.close()
})

const recorder = () => {
  const waits: number[] = []
  return { waits, sleep: async (ms: number) => void waits.push(ms) }
}

describe('the guarded HTTP client', () => {
  it('refuses loopback and private addresses unless private networks are allowed', async () => {
    const guarded = createHttpClient({ retry: false } as any)
    await expect(guarded.request({ url: `${sim.url}/ok` })).rejects.toMatchObject({ kind: 'blocked' })
    await expect(guarded.request({ url: 'http://10.1.2.3/x' })).rejects.toMatchObject({ kind: 'blocked' })
    await expect(guarded.request({ url: 'http://169.254.169.254/latest/meta-data' })).rejects.toMatchObject({
      kind: 'blocked',
    })
    const open = createHttpClient({ allowPrivateNetworks: true })
    expect(await open.json({ url: `${sim.url}/ok` })).toEqual({ ok: true })
  })

  it('refuses a DNS name that resolves to loopback, at connect time', async () => {
    const guarded = createHttpClient({ maxRetries: 0 })
    const err = await guarded.request({ url: `http://localhost:${sim.port}/ok` }).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('blocked')
    expect(err.message).toMatch(/VULNSYNC_ALLOW_PRIVATE_NETWORKS=true/)
  })

  it('refuses schemes other than http and https', async () => {
    const c = createHttpClient({ allowPrivateNetworks: true })
    await expect(c.request({ url: 'file:///etc/passwd' })).rejects.toBeTruthy()
  })

  it('retries 429 honouring Retry-After and 5xx with backoff, then gives up with a classified error', async () => {
    const r = recorder()
    const c = createHttpClient({ allowPrivateNetworks: true, sleep: r.sleep, backoffMs: 10, maxRetries: 4 })
    sim.setFaults({ rateLimitNext: 2, retryAfterSeconds: 7 })
    expect(await c.json({ url: `${sim.url}/ok` })).toEqual({ ok: true })
    expect(r.waits).toEqual([7000, 7000])
    hits = 0
    expect(await c.json({ url: `${sim.url}/flaky` })).toEqual({ ok: 3 })
    expect(r.waits.length).toBe(4)
    sim.setFaults({ rateLimitNext: 10, retryAfterSeconds: 1 })
    const err = await c.request({ url: `${sim.url}/ok` }).catch((e) => e)
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429 })
    sim.setFaults({})
  })

  it('follows a redirect on the same host and refuses one to another host', async () => {
    const c = createHttpClient({ allowPrivateNetworks: true })
    expect(await c.json({ url: `${sim.url}/same-host-redirect` })).toEqual({ ok: true })
    await expect(c.request({ url: `${sim.url}/cross-host-redirect` })).rejects.toMatchObject({ kind: 'blocked' })
  })

  it('times out, honours abort, classifies statuses and bad bodies', async () => {
    const c = createHttpClient({ allowPrivateNetworks: true, maxRetries: 0 })
    await expect(c.request({ url: `${sim.url}/slow`, timeoutMs: 100 })).rejects.toMatchObject({ kind: 'timeout' })
    const ac = new AbortController()
    const aborting = createHttpClient({ allowPrivateNetworks: true, signal: ac.signal })
    const p = aborting.request({ url: `${sim.url}/slow` })
    ac.abort()
    await expect(p).rejects.toMatchObject({ kind: 'aborted' })
    await expect(c.request({ url: `${sim.url}/forbidden` })).rejects.toMatchObject({ kind: 'permission', status: 403 })
    expect((await c.request({ url: `${sim.url}/forbidden`, acceptStatus: [403] })).status).toBe(403)
    await expect(c.json({ url: `${sim.url}/text` })).rejects.toMatchObject({ kind: 'bad_response' })
    await expect(
      createHttpClient({ allowPrivateNetworks: true, maxRetries: 0 }).request({ url: 'http://127.0.0.1:9/x' }),
    ).rejects.toMatchObject({ kind: 'unreachable' })
  })

  it('asks the request budget before every request', async () => {
    let n = 0
    const c = createHttpClient({ allowPrivateNetworks: true, beforeRequest: () => void n++ })
    await c.request({ url: `${sim.url}/ok` })
    await c.request({ url: `${sim.url}/same-host-redirect` })
    expect(n).toBe(3)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('12')).toBe(12000)
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30000)
    expect(parseRetryAfter(null)).toBeUndefined()
  })
})
