import { afterEach, describe, expect, it } from 'vitest'
import { createEndorDataset } from './dataset.ts'
import { evaluate, FilterError, parseFilter } from './filter.ts'
import { type EndorSimulator, type EndorSimulatorOptions, startEndorSimulator } from './index.ts'

const sims: EndorSimulator[] = []
afterEach(async () => {
  while (sims.length) await sims.pop()!.close()
})
const start = async (o: EndorSimulatorOptions = {}) => {
  const s = await startEndorSimulator(o)
  sims.push(s)
  return s
}
const tokenFor = async (sim: EndorSimulator, key = 'endr+sim-key', secret = 'endr+sim-secret') => {
  const res = await fetch(`${sim.url}/v1/auth/api-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, secret }),
  })
  return { status: res.status, body: (await res.json()) as any }
}
const get = async (sim: EndorSimulator, token: string | null, path: string, params: Record<string, string> = {}) => {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [`list_parameters.${k}`, v]))
  const res = await fetch(`${sim.url}${path}?${qs}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  return { status: res.status, body: (await res.json()) as any }
}
const MAIN_VULN =
  'context.type==CONTEXT_TYPE_MAIN and spec.finding_categories contains [FINDING_CATEGORY_VULNERABILITY]'

describe('endor filter grammar', () => {
  const paths = new Set(['a', 'b.c', 'tags', 't', 'n', 'flag'])
  const obj = {
    a: 'X',
    b: { c: [{ d: 1 }] },
    tags: ['T1', 'T2'],
    t: '2024-05-01T16:50:03.830911988Z',
    n: 5,
    flag: true,
  }
  const yes = (f: string, o: unknown = obj) => evaluate(parseFilter(f, paths, Date.parse('2024-06-01T00:00:00Z')), o)
  it('understands the operators, values and combinations the connector and Endor docs use', () => {
    expect(yes('a==X')).toBe(true)
    expect(yes('a=="X"')).toBe(true)
    expect(yes("a=='X'")).toBe(true)
    expect(yes('a!=X')).toBe(false)
    expect(yes('tags contains [T9, T2]')).toBe(true)
    expect(yes('tags contains T1')).toBe(true)
    expect(yes('tags Contains "T1"')).toBe(true)
    expect(yes('tags not contains [T1]')).toBe(false)
    expect(yes('a in ["Y","X"]')).toBe(true)
    expect(yes('a not in [X]')).toBe(false)
    expect(yes('a matches "(?i)^x$"')).toBe(true)
    expect(yes('b.c exists')).toBe(true)
    expect(yes('flag == true and n >= 5')).toBe(true)
    expect(yes('t >= date(2024-05-01)')).toBe(true)
    expect(yes('t >= now(-72h)')).toBe(false)
    expect(yes('(a==Y or a==X) and (tags contains T2)')).toBe(true)
    expect(yes('flag != true', { a: 'X' })).toBe(true) // absent boolean = false
  })
  it('refuses unknown paths and broken syntax', () => {
    expect(() => parseFilter('spec.not_a_field==1', paths)).toThrow(new FilterError("invalid path 'spec.not_a_field'"))
    expect(() => parseFilter('a==', paths)).toThrow(FilterError)
    expect(() => parseFilter('(a==X', paths)).toThrow(FilterError)
    expect(() => parseFilter('a ~ X', paths)).toThrow(FilterError)
  })
})

describe('endor simulator', () => {
  it('exchanges a key for a JWT-shaped token with the configured expiry field', async () => {
    const sim = await start()
    const a = await tokenFor(sim)
    expect(a.status).toBe(200)
    expect(a.body.token.split('.')).toHaveLength(3)
    expect(Date.parse(a.body.expirationTime) - Date.now()).toBeGreaterThan(4 * 3600_000 - 10_000)
    sim.setFaults({ expiryField: 'expiration_time' })
    expect(Object.keys((await tokenFor(sim)).body).sort()).toEqual(['expiration_time', 'token'])
    sim.setFaults({ expiryField: 'none' })
    const none = (await tokenFor(sim)).body
    expect(Object.keys(none)).toEqual(['token'])
    expect(JSON.parse(Buffer.from(none.token.split('.')[1], 'base64url').toString()).exp).toBeGreaterThan(
      Date.now() / 1000,
    )
  })

  it('answers the gRPC error envelope for 401, 403, 400, 404 and 429', async () => {
    const sim = await start()
    expect(await tokenFor(sim, 'endr+sim-key', 'endr+bad')).toEqual({
      status: 401,
      body: {
        code: 16,
        message: 'Unauthenticated: invalid API key or secret',
        details: [{ '@type': 'type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo', status_code: 401 }],
      },
    })
    expect(await get(sim, null, '/v1/namespaces/acme/findings')).toEqual({
      status: 401,
      body: {
        code: 16,
        message: 'Invalid authorization header: Bearer',
        details: [{ '@type': 'type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo', status_code: 401 }],
      },
    })
    const { token } = (await tokenFor(sim)).body
    expect(await get(sim, token, '/v1/namespaces/globex/findings')).toMatchObject({
      status: 403,
      body: { code: 7, message: 'Unauthorized request for given endpoint' },
    })
    expect(await get(sim, token, '/v1/namespaces/acme/findings', { filter: 'spec.not_a_field==1' })).toMatchObject({
      status: 400,
      body: { code: 3, message: "invalid path 'spec.not_a_field'" },
    })
    expect(await get(sim, token, '/v1/namespaces/acme/findings', { mask: 'uui' })).toMatchObject({
      status: 400,
      body: {
        code: 3,
        message: 'mask: proto: invalid path &#34;uui&#34; for message &#34;internal.endor.ai.endor.v1.Finding&#34;',
      },
    })
    expect(await get(sim, token, '/v1/namespaces/acme/findings/6656ffffffffffffffffffff')).toMatchObject({
      status: 404,
      body: { code: 5 },
    })
    sim.setFaults({ rateLimitNext: 1 })
    expect(await get(sim, token, '/v1/namespaces/acme/projects')).toMatchObject({ status: 429, body: { code: 8 } })
    sim.setFaults({ deadlineAbovePageSize: 100 })
    expect(await get(sim, token, '/v1/namespaces/acme/findings', { page_size: '200' })).toEqual({
      status: 504,
      body: { code: 4, message: 'context deadline exceeded', details: [] },
    })
  })

  it('expires tokens after the configured lifetime', async () => {
    const sim = await start({ faults: { tokenLifetimeSeconds: 0.2 } })
    const { token } = (await tokenFor(sim)).body
    expect((await get(sim, token, '/v1/namespaces/acme/projects')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 300))
    expect((await get(sim, token, '/v1/namespaces/acme/projects')).status).toBe(401)
  })

  it('pages with page_id and page_token, omitting the last cursor or ending with an empty page', async () => {
    const sim = await start({ findings: 1000 })
    const { token } = (await tokenFor(sim)).body
    const walk = async (kind: 'page_id' | 'page_token') => {
      const uuids: string[] = []
      let cursor: string | undefined
      for (let n = 0; n < 50; n++) {
        const p: Record<string, string> = { filter: MAIN_VULN, traverse: 'true', page_size: '100' }
        if (cursor) p[kind] = cursor
        const r = await get(sim, token, '/v1/namespaces/acme/findings', p)
        uuids.push(...r.body.list.objects.map((o: any) => o.uuid))
        const next = kind === 'page_id' ? r.body.list.response.next_page_id : r.body.list.response.next_page_token
        if (!r.body.list.objects.length || next === undefined)
          return { uuids, lastResponse: r.body.list.response, pages: n + 1 }
        cursor = String(next)
      }
      throw new Error('did not end')
    }
    const count = (
      await get(sim, token, '/v1/namespaces/acme/findings', { filter: MAIN_VULN, traverse: 'true', count: 'true' })
    ).body.count_response.count
    const byId = await walk('page_id')
    const byToken = await walk('page_token')
    expect(byId.uuids.length).toBe(count)
    expect(byToken.uuids).toEqual(byId.uuids)
    expect([...byId.uuids].sort()).toEqual(byId.uuids)
    expect(byId.pages).toBe(Math.ceil(count / 100))
    sim.setFaults({ lastPage: 'empty' })
    const empty = await walk('page_id')
    expect(empty.uuids).toEqual(byId.uuids)
    expect(empty.pages).toBe(Math.ceil(count / 100) + 1) // the terminal empty page
    expect(empty.lastResponse).toEqual({})
  })

  it('shows child namespaces only with traverse, and only to keys that propagate', async () => {
    const sim = await start({ keys: [{ key: 'k', secret: 's', namespace: 'acme', propagate: false }] })
    const { token } = (await tokenFor(sim, 'k', 's')).body
    const flat = await get(sim, token, '/v1/namespaces/acme/projects', { page_size: '500' })
    expect(new Set(flat.body.list.objects.map((p: any) => p.tenant_meta.namespace))).toEqual(new Set(['acme']))
    const deep = await get(sim, token, '/v1/namespaces/acme/projects', { page_size: '500', traverse: 'true' })
    expect(deep.body.list.objects.length).toBe(12)
    expect((await get(sim, token, '/v1/namespaces/acme.backend/projects')).status).toBe(403)
  })

  it('serves projects whose URLs come in different forms and cases, SBOM projects without git', async () => {
    const ds = createEndorDataset()
    const urls = Array.from(
      { length: 7 },
      (_, i) => ds.project(i).spec.git?.http_clone_url || ds.project(i).spec.git?.git_clone_url || null,
    )
    expect(urls).toEqual([
      'https://github.com/acme/service-0.git',
      'https://github.com/acme/web-app-1.git',
      'https://github.com/Acme/Payments-2',
      'https://www.gitlab.com/acme/platform/api-3.git',
      'https://GitHub.com/ACME/Mobile-4.git/',
      null,
      'git@bitbucket.org:acme/tools-6.git',
    ])
  })

  it('takes explicit project URLs to line projects up with a simulated SCM', () => {
    const ds = createEndorDataset({
      projectUrls: ['https://github.com/Acme-Corp/Payments-API.git', 'git@github.com:acme-corp/auth-web.git', null],
    })
    expect(ds.projectCount).toBe(3)
    expect(ds.project(0).spec.git).toEqual({ http_clone_url: 'https://github.com/Acme-Corp/Payments-API.git' })
    expect(ds.project(1).spec.git).toEqual({
      http_clone_url: '',
      git_clone_url: 'git@github.com:acme-corp/auth-web.git',
    })
    expect(ds.project(2).spec.git).toBeUndefined()
  })

  it('generates every quirk the connector must handle', () => {
    const ds = createEndorDataset({ findings: 2000 })
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const f = ds.finding(i)
      if (f.context.type !== 'CONTEXT_TYPE_MAIN') seen.add(f.context.type)
      const cats: string[] = f.spec.finding_categories
      if (!cats.includes('FINDING_CATEGORY_VULNERABILITY')) seen.add(cats[0]!)
      const v = f.spec.finding_metadata?.vulnerability
      if (!v) continue
      if (v.meta.name.startsWith('GHSA-') && !v.spec.aliases.some((a: string) => a.startsWith('CVE-')))
        seen.add('ghsa-only')
      if (v.meta.name.startsWith('CVE-')) seen.add('cve-advisory')
      if (v.meta.name.startsWith('MAL-')) seen.add('malware')
      if (v.spec.raw?.endor_vulnerability) seen.add('raw-cve')
      if (v.spec.aliases.filter((a: string) => a.startsWith('CVE-')).length > 1) seen.add('two-cves')
      if (f.spec.dismiss) seen.add('dismissed')
      if (f.spec.finding_tags.includes('FINDING_TAGS_EXCEPTION')) seen.add('excepted')
      if (f.spec.finding_tags.includes('FINDING_TAGS_EXPLOITED')) seen.add('kev')
      if (/\.\d{9}Z$/.test(f.meta.create_time)) seen.add('nanos')
      if (f.spec.dependency_file_paths[0].startsWith('services/')) seen.add('twin-manifest')
    }
    for (const q of [
      'CONTEXT_TYPE_CI_RUN',
      'CONTEXT_TYPE_REF',
      'FINDING_CATEGORY_LICENSE_RISK',
      'FINDING_CATEGORY_SECRETS',
      'FINDING_CATEGORY_SAST',
      'ghsa-only',
      'cve-advisory',
      'malware',
      'raw-cve',
      'two-cves',
      'dismissed',
      'excepted',
      'kev',
      'nanos',
      'twin-manifest',
    ])
      expect(seen, q).toContain(q)
  })

  it('scales to a million findings generated lazily per page', async () => {
    const sim = await start({ findings: 1_000_000, projects: 2000 })
    const { token } = (await tokenFor(sim)).body
    const t0 = performance.now()
    const last = await get(sim, token, '/v1/namespaces/acme/findings', {
      traverse: 'true',
      page_size: '500',
      page_id: sim.dataset.findingUuid(999_000),
    })
    expect(last.body.list.objects.length).toBe(500)
    expect(last.body.list.objects[0].uuid).toBe(sim.dataset.findingUuid(999_001))
    const tail = await get(sim, token, '/v1/namespaces/acme/findings', {
      traverse: 'true',
      page_size: '500',
      page_id: sim.dataset.findingUuid(999_500),
    })
    expect(tail.body.list.objects.length).toBe(499)
    expect(tail.body.list.response).toEqual({})
    expect(performance.now() - t0).toBeLessThan(5_000)
  })

  it('applies masks, counts and get-by-id like Endor', async () => {
    const sim = await start({ findings: 100 })
    const { token } = (await tokenFor(sim)).body
    const masked = await get(sim, token, '/v1/namespaces/acme/findings', {
      traverse: 'true',
      mask: 'spec.level,meta.create_time',
      page_size: '1',
    })
    expect(Object.keys(masked.body.list.objects[0]).sort()).toEqual(['meta', 'spec', 'uuid'])
    expect(Object.keys(masked.body.list.objects[0].spec)).toEqual(['level'])
    const one = sim.dataset.finding(0)
    expect((await get(sim, token, `/v1/namespaces/${one.tenant_meta.namespace}/findings/${one.uuid}`)).body).toEqual(
      one,
    )
  })
})
