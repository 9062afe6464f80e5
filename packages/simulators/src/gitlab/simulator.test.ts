import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GitlabSimulator, startGitlabSimulator } from './index.ts'

let sim: GitlabSimulator
const get = (path: string, token = 'glpat-admin') =>
  fetch(`${sim.url}/api/v4${path}`, { headers: { 'private-token': token } })

beforeAll(async () => {
  sim = await startGitlabSimulator({ seed: 3, repos: 2500 })
})
afterAll(() => sim.close())

describe('gitlab simulator', () => {
  it('pages by offset with link, x-next-page, x-total and an empty x-next-page on the last page', async () => {
    const r = await get('/projects?membership=true&per_page=100&page=2&order_by=id&sort=asc')
    expect(r.headers.get('x-page')).toBe('2')
    expect(r.headers.get('x-next-page')).toBe('3')
    expect(r.headers.get('x-prev-page')).toBe('1')
    expect(r.headers.get('x-total')).toBe('2500')
    expect(r.headers.get('x-total-pages')).toBe('25')
    expect(r.headers.get('link')).toContain('rel="last"')
    const last = await get('/projects?membership=true&per_page=100&page=25')
    expect(last.headers.get('x-next-page')).toBe('')
    expect(last.headers.get('link')).not.toContain('rel="next"')
  })

  it('leaves totals and rel="last" out above 10,000 records, and refuses offsets beyond the maximum', async () => {
    const big = await startGitlabSimulator({ repos: 10_050, maxOffset: 10_000 })
    try {
      const r = await fetch(`${big.url}/api/v4/projects?membership=true&per_page=100`, {
        headers: { 'private-token': 'glpat-admin' },
      })
      expect(r.headers.get('x-total')).toBeNull()
      expect(r.headers.get('x-total-pages')).toBeNull()
      expect(r.headers.get('link')).not.toContain('rel="last"')
      const far = await fetch(`${big.url}/api/v4/projects?membership=true&per_page=100&page=101`, {
        headers: { 'private-token': 'glpat-admin' },
      })
      expect(far.status).toBe(400)
      expect((await far.json()).message).toMatch(/maximum allowed offset of 10000/)
    } finally {
      await big.close()
    }
  })

  it('pages by keyset with an id_after link, ending on a page without link', async () => {
    const first = await get('/projects?membership=true&pagination=keyset&order_by=id&sort=asc&per_page=100')
    const items = await first.json()
    expect(first.headers.get('link')).toMatch(new RegExp(`id_after=${items[99].id}.*rel="next"`))
    expect(first.headers.get('x-total')).toBeNull()
    let url: string | null = /<([^>]+)>; rel="next"/.exec(first.headers.get('link')!)![1]!
    let pages = 1
    let last: unknown[] = items
    while (url) {
      const r: Response = await fetch(url, { headers: { 'private-token': 'glpat-admin' } })
      last = await r.json()
      pages++
      url = /<([^>]+)>; rel="next"/.exec(r.headers.get('link') ?? '')?.[1] ?? null
    }
    expect(pages).toBe(26)
    expect(last).toEqual([])
  })

  it('keeps nested groups in path_with_namespace and lists a group with or without subgroups', async () => {
    const allRes = await get('/groups/acme%2Fplatform/projects?include_subgroups=true&per_page=100')
    const directRes = await get('/groups/acme%2Fplatform/projects?per_page=100')
    expect(Number(allRes.headers.get('x-total'))).toBeGreaterThan(Number(directRes.headers.get('x-total')))
    const all = await allRes.json()
    const direct = await directRes.json()
    expect(all.some((p: any) => p.path_with_namespace.split('/').length === 5)).toBe(true)
    expect(direct.every((p: any) => p.namespace.full_path === 'acme/platform')).toBe(true)
    expect((await get('/groups/acme%2Fnope')).status).toBe(404)
    expect(await (await get('/groups/acme%2Fnope')).json()).toEqual({ message: '404 Group Not Found' })
  })

  it('answers 401 as JSON, 403 insufficient_scope, and 429 as plain text with RateLimit headers', async () => {
    const bad = await get('/projects', 'nope')
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ message: '401 Unauthorized' })
    const scope = await get('/projects', 'glpat-readuser')
    expect(scope.status).toBe(403)
    expect((await scope.json()).error).toBe('insufficient_scope')
    const ok = await get('/user')
    expect(ok.headers.get('ratelimit-name')).toBe('throttle_authenticated_api')
    expect(Number(ok.headers.get('ratelimit-remaining'))).toBeGreaterThan(0)
    sim.setFaults({ gitlabRateLimitNext: 1, gitlabRetryAfter: 9 })
    const limited = await get('/user')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await limited.text()).toBe('Retry later\n')
    expect(limited.headers.get('retry-after')).toBe('9')
    expect(limited.headers.get('ratelimit-resettime')).toMatch(/GMT$/)
    sim.setFaults({})
  })

  it('finds a project by URL-encoded path, case-insensitively, and hides projects outside membership', async () => {
    const id = sim.visibleIds('glpat-admin').find((x) => !sim.visibleIds('glpat-platform').includes(x))!
    const path = sim.project(id)!.path_with_namespace as string
    expect((await get(`/projects/${encodeURIComponent(path.toUpperCase())}`)).status).toBe(200)
    expect((await get(`/projects/${id}`, 'glpat-platform')).status).toBe(404)
  })
})
