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
  }, 300_000)

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
    expect(banner).toMatch(/open issues by owning team: (\w+ \d+, ){4}\w+ \d+; unowned \d+/)
  })

  it('fills the queue, with issues two scanners report and targets waiting under Unmatched', async () => {
    const q = await api('/api/v1/vulnerabilities?limit=1')
    // the scanners' issues, and those the generated past found and fixed
    expect(q.body.total).toBe(demo!.total + demo!.history.issues)
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

  it('starts with both feeds loaded: a JFrog-only issue whose CVE is in KEV ranks critical', async () => {
    const feeds = (await api('/api/v1/feeds')).body.items
    for (const f of feeds) expect(f, f.name).toMatchObject({ lastError: null, refreshing: false })
    expect(demo!.feeds.kev).toBeGreaterThan(1400)
    expect(demo!.feeds.epss).toBeGreaterThan(20_000)
    const k = demo!.kevJfrogOnly!
    expect(k.was).not.toBe('critical')
    expect(k.priority).toBe('critical')
    const issue = (await api(`/api/v1/vulnerabilities/${k.id}`)).body
    expect(issue.sources.map((s: any) => s.kind)).toEqual(['jfrog'])
    expect(issue.kev).toMatchObject({ dateAdded: '2026-11-02', knownRansomware: true })
    expect(issue.factors.find((f: any) => f.code === 'kev').text).toMatch(/listed in CISA KEV since 2026-11-02/)
    expect(issue.epss).toMatchObject({ score: expect.any(Number), date: '2026-12-01' })
    expect(banner).toContain(`${k.cve}, found by JFrog alone`)
    // every issue of the queue with a CVE is scored
    const unscored: any[] = []
    let cursor: string | undefined
    do {
      const page = (
        await api(`/api/v1/vulnerabilities?sort=cve&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      ).body
      unscored.push(...page.items.filter((i: any) => i.epss === null))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    expect(
      unscored.filter((i) => /^CVE-/.test(i.cve ?? '')).map((i) => [i.cve, i.status, i.target.name, i.package.purl]),
    ).toEqual([])

    expect((await api('/api/v1/vulnerabilities?kev=true&source=jfrog&limit=1')).body.total).toBeGreaterThanOrEqual(3)
  })

  it('owns demo issues by at least three teams, each with its reason, from CODEOWNERS and the scanners', async () => {
    const teams = (await api('/api/v1/teams')).body.items as any[]
    expect(teams.map((t) => t.slug).sort()).toEqual(['commerce', 'data', 'identity', 'payments', 'platform'])
    const owning: string[] = []
    const sources = new Set<string>()
    for (const t of teams) {
      const q = await api(`/api/v1/vulnerabilities?team=${t.id}&limit=50`)
      expect(q.status).toBe(200)
      if (q.body.total === 0) continue
      owning.push(t.slug)
      expect(t.issues.open).toBeGreaterThan(0)
      for (const i of q.body.items) {
        expect(i.owner.team).toEqual({ id: t.id, name: t.name })
        expect(i.owner.reason).toMatch(new RegExp(`^team ${t.name}, `))
        sources.add(i.owner.source)
      }
    }
    expect(owning.length).toBeGreaterThanOrEqual(3)
    expect(sources.has('codeowners')).toBe(true)
    // a CODEOWNERS reason names the file, the line and the pattern, and the manifest it matched
    const co = await api('/api/v1/vulnerabilities?source=endor&limit=500')
    const byFile = co.body.items.find(
      (i: any) => i.owner.source === 'codeowners' && /matched `services\//.test(i.owner.reason),
    )
    expect(byFile.owner.reason).toMatch(
      /^team \w+, (\.github\/|docs\/)?CODEOWNERS line \d+ `[^`]+ @[\w-]+\/\w+`, matched `services\/[^`]+`$/,
    )
    // the scanners' applications came with their business priority
    const apps = (await api('/api/v1/applications')).body.items as any[]
    expect(apps.some((a) => a.origin === 'scanner' && a.businessPriority !== null)).toBe(true)
    // a bad CODEOWNERS line is reported on its repository, with the line and why
    const repos = (await api('/api/v1/repositories?limit=200')).body.items as any[]
    let reported: any
    for (const r of repos) {
      const o = (await api(`/api/v1/repositories/${r.id}/ownership`)).body
      if (o.codeowners?.errors.length) {
        reported = o.codeowners
        break
      }
    }
    expect(reported.errors[0]).toMatchObject({ line: expect.any(Number), message: expect.stringMatching(/owner/) })
  })

  it('gives the dashboard six months of history: daily snapshots, and issues found and fixed in the past', async () => {
    expect(demo!.history.snapshotDays).toBe(182)
    expect(demo!.history.issues).toBeGreaterThan(20)
    expect(banner).toMatch(/dashboard: 182 days of history, \d+ issues found and fixed in the past six months/)
    const from = new Date(Date.now() - 181 * 86_400_000).toISOString().slice(0, 10)
    const open = await api(`/api/v1/insights/open-by-priority?interval=week&from=${from}`)
    expect(open.status).toBe(200)
    // every week has a snapshot, and the open issues of today were not all there six months ago
    expect(open.body.series.every((p: any) => p.asOf !== null)).toBe(true)
    expect(open.body.series.at(-1).total).toBeGreaterThan(open.body.series[0].total)
    const flow = await api(`/api/v1/insights/new-vs-fixed?interval=week&from=${from}`)
    const weeksWithFixes = flow.body.series.filter((p: any) => p.fixed > 0).length
    expect(weeksWithFixes).toBeGreaterThan(15)
    const ttf = await api(`/api/v1/insights/time-to-fix?interval=month&from=${from}`)
    expect(ttf.body.series[0].fixed).toBe(demo!.history.issues)
    // the queue's open issues are untouched: still the ones the scanners report
    const q = await api('/api/v1/vulnerabilities?status=open&limit=1')
    const all = await api('/api/v1/vulnerabilities?limit=1')
    expect(all.body.total - q.body.total).toBeGreaterThanOrEqual(demo!.history.issues)
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

  it('has repositories with real files to fix: plans from the registries and a dry run with the diffs', async () => {
    expect(demo!.fixable).toHaveLength(3)
    expect(banner).toContain(`fix pull requests: ${demo!.fixable.join(', ')}`)
    const repos = (await api('/api/v1/repositories?limit=500')).body.items as any[]
    const node = repos.find((r) => r.fullName === demo!.fixable[0])
    const plans = (await api(`/api/v1/repositories/${node.id}/fix-plans`)).body
    expect(plans.repository).toMatchObject({ fullName: node.fullName, pullRequestsEnabled: true })
    expect(plans.items.find((p: any) => p.package.name === 'lodash')).toMatchObject({
      fixVersion: '4.17.21',
      strategy: 'direct',
      versionSource: 'registry',
    })
    const res = await fetch(`${demo!.url}/api/v1/repositories/${node.id}/fix-prs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dryRun: true }),
    })
    expect(res.status).toBe(200)
    const [pr] = ((await res.json()) as any).pullRequests
    expect(pr.changes.map((c: any) => c.path)).toEqual(['package.json', 'package-lock.json'])
    expect(pr.changes[0].diff).toContain('+    "lodash": "^4.17.21"')
  }, 60_000)

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
    // decisions of every kind, so the documents carry analyses and statements beyond "in triage" (on open issues: the
    // demo's generated past holds fixed ones too)
    const [a, b, c] = (await api('/api/v1/vulnerabilities?status=open&limit=3')).body.items
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
      // fixed: the issues of the generated past
      new Set(['under_investigation', 'not_affected', 'affected', 'fixed']),
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
