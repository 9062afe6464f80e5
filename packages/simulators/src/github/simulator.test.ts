import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GithubSimulator, startGithubSimulator } from './index.ts'

let sim: GithubSimulator
const get = (path: string, token = 'ghp_admin', headers: Record<string, string> = {}) =>
  fetch(`${sim.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}`, 'user-agent': 'test', ...headers } })

beforeAll(async () => {
  sim = await startGithubSimulator({ seed: 5, repos: 3000 })
})
afterAll(() => sim.close())

describe('github simulator', () => {
  it('pages with a real link header, capping per_page at 100 and omitting link on a single page', async () => {
    const r = await get('/orgs/ACME-CORP/repos?per_page=500&page=2')
    expect(r.status).toBe(200)
    expect(await r.json()).toHaveLength(100)
    const link = r.headers.get('link')!
    expect(link).toContain('page=1>; rel="prev"')
    expect(link).toContain('page=3>; rel="next"')
    expect(link).toContain('page=30>; rel="last"')
    expect(link).toContain('per_page=100')
    const small = await startGithubSimulator({ repos: 5 })
    try {
      const one = await fetch(`${small.apiUrl}/orgs/acme-corp/repos`, {
        headers: { authorization: 'token ghp_admin', 'user-agent': 't' },
      })
      expect(one.headers.get('link')).toBeNull()
    } finally {
      await small.close()
    }
  })

  it('is deterministic for a seed and uses real git_url/ssh_url forms', async () => {
    const again = await startGithubSimulator({ seed: 5, repos: 3000 })
    try {
      const a = await (await get('/orgs/acme-corp/repos?per_page=3')).json()
      const b = await (
        await fetch(`${again.apiUrl}/orgs/acme-corp/repos?per_page=3`, {
          headers: { authorization: 'Bearer ghp_admin', 'user-agent': 't' },
        })
      ).json()
      expect(a.map((x: any) => x.full_name)).toEqual(b.map((x: any) => x.full_name))
      expect(a[0].git_url).toMatch(/^git:\/\/github\.com\/Acme-Corp\/.+\.git$/)
      expect(a[0].ssh_url).toMatch(/^git@github\.com:Acme-Corp\/.+\.git$/)
    } finally {
      await again.close()
    }
  })

  it('answers GitHub error bodies: 401 Bad credentials, 404 Not Found, 403 without User-Agent, 410 for an unknown version', async () => {
    const bad = await get('/orgs/acme-corp/repos', 'nope')
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    })
    const missing = await get('/orgs/nobody/repos')
    expect(missing.status).toBe(404)
    expect((await missing.json()).message).toBe('Not Found')
    const noUa = await fetch(`${sim.apiUrl}/user`, { headers: { authorization: 'Bearer ghp_admin', 'user-agent': '' } })
    expect(noUa.status).toBe(403)
    expect((await get('/user', 'ghp_admin', { 'x-github-api-version': '2020-01-01' })).status).toBe(410)
  })

  it('sends x-ratelimit-* on every answer and models primary and secondary limits', async () => {
    const ok = await get('/user')
    expect(Number(ok.headers.get('x-ratelimit-limit'))).toBe(5000)
    expect(ok.headers.get('x-ratelimit-resource')).toBe('core')
    expect(ok.headers.get('x-oauth-scopes')).toBe('repo, read:org')
    sim.setFaults({ primaryLimitNext: 1, primaryStatus: 429 })
    const p = await get('/user')
    expect(p.status).toBe(429)
    expect(p.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(Number(p.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
    sim.setFaults({ secondaryLimitNext: 1, secondaryRetryAfter: 7 })
    const s = await get('/user')
    expect(s.status).toBe(403)
    expect(s.headers.get('retry-after')).toBe('7')
    expect(Number(s.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0)
    expect((await s.json()).message).toMatch(/secondary rate limit/)
    sim.setFaults({})
  })

  it('wraps /installation/repositories and refuses /user/repos to an installation token', async () => {
    const r = await (await get('/installation/repositories?per_page=2', 'ghs_installation')).json()
    expect(r).toMatchObject({ total_count: 600, repository_selection: 'selected' })
    expect(r.repositories).toHaveLength(2)
    const u = await get('/user/repos', 'ghs_installation')
    expect(u.status).toBe(403)
    expect((await u.json()).message).toBe('Resource not accessible by integration')
  })

  it('finds repositories case-insensitively and hides what a token may not see', async () => {
    const id = sim.visibleIds('ghp_admin').find((x) => !sim.visibleIds('ghp_public').includes(x))!
    const full = sim.repo(id)!.full_name as string
    expect((await get(`/repos/${full.toUpperCase()}`)).status).toBe(200)
    expect((await get(`/repos/${full}`, 'ghp_public')).status).toBe(404)
    expect((await get(`/repositories/${id}`)).status).toBe(200)
  })

  it('lives under /api/v3 without rate-limit headers in GHES mode', async () => {
    const g = await startGithubSimulator({ repos: 3, ghes: true })
    try {
      const r = await fetch(`${g.url}/api/v3/user`, {
        headers: { authorization: 'Bearer ghp_admin', 'user-agent': 't' },
      })
      expect(r.status).toBe(200)
      expect(r.headers.get('x-ratelimit-limit')).toBeNull()
    } finally {
      await g.close()
    }
  })
})
