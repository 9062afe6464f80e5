import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, runDemo } from './demo.ts'
import { cyclonedxValidator, openvexValidator } from './exports/schemas.ts'

/** `vulnsync demo` end to end: five simulators, a fresh server, five connections made through the public API. */
describe('vulnsync demo', () => {
  let demo: Demo | undefined
  let dataDir = ''
  let banner = ''

  const api = async (path: string, token: string | null = demo!.token) => {
    const res = await fetch(`${demo!.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    return { status: res.status, body: (await res.json()) as any }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vulnsync-demo-test-'))
    demo = await runDemo({ port: 0, dataDir, logLevel: 'silent', out: { write: (s: string) => (banner += s) } })
  }, 120_000)

  afterAll(async () => {
    await demo?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('connects one of each kind and every initial sync succeeds', async () => {
    expect(demo!.connections.map((c) => c.kind)).toEqual(['github', 'gitlab', 'ox', 'endor', 'jfrog'])
    for (const c of demo!.connections) expect(c.status, `${c.name}: ${JSON.stringify(c.error)}`).toBe('succeeded')
    const list = await api('/api/v1/connections')
    expect(list.status).toBe(200)
    expect(list.body.items).toHaveLength(5)
    for (const c of list.body.items) expect(c.lastRun.status).toBe('succeeded')
    // the banner tells where to go and how to sign in
    expect(banner).toContain(demo!.url)
    expect(banner).toContain('demo / password demo-password')
    expect(banner).toContain(demo!.token)
    expect(banner).toMatch(/queue: \d+ vulnerabilities/)
  })

  it('fills the queue, with issues two scanners report and targets waiting under Unmatched', async () => {
    const q = await api('/api/v1/vulnerabilities?limit=1')
    expect(q.body.total).toBe(demo!.total)
    expect(demo!.total).toBeGreaterThan(1000)
    for (const kind of ['ox', 'endor', 'jfrog'])
      expect((await api(`/api/v1/vulnerabilities?source=${kind}&limit=1`)).body.total).toBeGreaterThan(0)

    expect(demo!.multiSource).toBeGreaterThan(0)
    const page = await api('/api/v1/vulnerabilities?source=ox&limit=500')
    const both = page.body.items.find((i: any) => new Set(i.sources.map((s: any) => s.kind)).size >= 2)
    expect(both).toBeDefined()
    expect(both.sources.map((s: any) => s.kind).sort()).toEqual(['endor', 'ox'])
    expect(both.target.kind).toBe('repository')

    const unmatched = await api('/api/v1/unmatched')
    expect(unmatched.body.items.length).toBeGreaterThan(0)
    expect(unmatched.body.items.some((u: any) => u.kind === 'endor' && /legacy-monolith/.test(u.display))).toBe(true)
  })

  it('serves the web app at / (built on install, or at start when missing or out of date)', async () => {
    const res = await fetch(`${demo!.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toContain('<div id="root"></div>')
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/)
  })

  it('signs the demo user in with its password', async () => {
    const res = await fetch(`${demo!.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: demo!.username, password: demo!.password }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as any).user).toMatchObject({ username: 'demo', role: 'admin' })
  })

  it("exports the demo's issues as CycloneDX 1.6 VEX and OpenVEX 0.2.0 that validate against the official schemas", async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${demo!.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${demo!.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(res.status, await res.clone().text()).toBe(201)
    }
    // every status a VEX statement exists for (excluded issues are outside the scanned locations: none)
    const EVERY = 'open,fixed,accepted,false_positive,not_affected'
    // decisions of every kind, so the documents carry analyses and statements beyond "in triage"
    const [a, b, c] = (await api('/api/v1/vulnerabilities?limit=3')).body.items
    await post('/api/v1/decisions', {
      issueId: a.id,
      kind: 'not_affected',
      reason: 'the vulnerable function is never called',
      justification: 'vulnerable_code_not_in_execute_path',
    })
    await post('/api/v1/decisions', { issueId: b.id, kind: 'false_positive', reason: 'wrong package matched' })
    await post('/api/v1/decisions', {
      issueId: c.id,
      kind: 'accepted',
      reason: 'internal tool',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    })
    const all = await api(`/api/v1/vulnerabilities?status=${EVERY}&limit=1`)
    const cdx = await api(`/api/v1/exports/cyclonedx-vex?status=${EVERY}`)
    expect(cdx.status).toBe(200)
    expect(cyclonedxValidator()(cdx.body).errors).toBe('')
    expect(cdx.body.vulnerabilities.length).toBeGreaterThan(1000)
    const states = new Set(cdx.body.vulnerabilities.map((v: any) => v.analysis.state))
    for (const s of ['in_triage', 'not_affected', 'false_positive']) expect(states).toContain(s)
    const ovx = await api(`/api/v1/exports/openvex?status=${EVERY}`)
    expect(ovx.status).toBe(200)
    expect(openvexValidator()(ovx.body).errors).toBe('')
    expect(ovx.body.statements).toHaveLength(all.body.total)
    expect(new Set(ovx.body.statements.map((s: any) => s.status))).toEqual(
      new Set(['under_investigation', 'not_affected', 'affected']),
    )
  }, 60_000)

  it('refuses to wipe a directory it did not make', async () => {
    const other = mkdtempSync(join(tmpdir(), 'vulnsync-not-a-demo-'))
    writeFileSync(join(other, 'precious.txt'), 'keep me')
    try {
      await expect(
        runDemo({ port: 0, dataDir: other, logLevel: 'silent', out: { write: () => true } }),
      ).rejects.toThrow(/refusing to wipe/)
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })

  it('stops cleanly: the server and every simulator stop listening', async () => {
    const urls = [demo!.url, ...Object.values(demo!.simulators)]
    await demo!.stop()
    await demo!.stop() // idempotent
    for (const u of urls)
      await expect(fetch(`${u}/api/v1/auth/me`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow()
  })
})
