import { afterEach, describe, expect, it } from 'vitest'
import { generatedDataset } from './dataset.ts'
import { type OxSimulator, type OxSimulatorOptions, startOxSimulator } from './index.ts'

let sim: OxSimulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

const start = async (opts: OxSimulatorOptions = {}) => {
  sim = await startOxSimulator(opts)
  return sim
}

const post = async (s: OxSimulator, body: unknown, key: string | null = s.apiKey) => {
  const res = await fetch(`${s.url}/api/apollo-gateway`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: key } : {}) },
    body: JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }
}

const getIssues = (input: Record<string, unknown>) => ({
  operationName: 'GetIssues',
  query:
    'query GetIssues($getIssuesInput: IssuesInput) { getIssues(getIssuesInput: $getIssuesInput) { totalIssues totalFilteredIssues offset issues { issueId scaVulnerabilities { cve } } } }',
  variables: { getIssuesInput: input },
})

describe('OX simulator', () => {
  it('serves the 635 captured issues and 29 applications, with the offset quirk', async () => {
    const s = await start()
    const all = await post(s, getIssues({ offset: 0, limit: 1000 }))
    expect(all.status).toBe(200)
    expect(all.body.data.getIssues).toMatchObject({ totalIssues: 635, totalFilteredIssues: 635, offset: 1000 })
    expect(all.body.data.getIssues.issues).toHaveLength(635)
    const oss = await post(
      s,
      getIssues({
        offset: 100,
        limit: 50,
        conditionalFilters: [
          { condition: 'OR', fieldName: 'categories', values: ['Open Source Security', 'Container Security'] },
        ],
      }),
    )
    expect(oss.body.data.getIssues).toMatchObject({ totalFilteredIssues: 111, offset: 150 })
    expect(oss.body.data.getIssues.issues).toHaveLength(11)
    const apps = await post(s, {
      operationName: 'GetApplications',
      query: 'query GetApplications { getApplications { applications { appId link } total offset } }',
      variables: { getApplicationsInput: { offset: 0, limit: 1000 } },
    })
    expect(apps.body.data.getApplications).toMatchObject({ total: 29, offset: 1000 })
    expect(apps.body.data.getApplications.applications.find((a: any) => a.appId === '584352228').link).toBe(
      'https://github.com/OX-Security-Demo/Bank-Website',
    )
  })

  it('answers 401 for a missing or wrong key, and RateLimit-* headers on every answer', async () => {
    const s = await start()
    expect((await post(s, getIssues({ offset: 0, limit: 1 }), null)).status).toBe(401)
    expect((await post(s, getIssues({ offset: 0, limit: 1 }), 'wrong')).status).toBe(401)
    const ok = await post(s, getIssues({ offset: 0, limit: 1 }))
    expect(ok.headers.get('ratelimit-hourlimit')).toBe('1000')
    expect(ok.headers.get('ratelimit-daylimit')).toBe('15000')
    expect(ok.headers.get('ratelimit-remaining')).toBe('999')
    expect(Number(ok.headers.get('ratelimit-reset'))).toBeGreaterThan(3590)
  })

  it('answers 429 when the hourly budget is spent, until the window resets', async () => {
    let t = 1_000_000
    const s = await start({ rateLimit: { hourLimit: 2, windowMs: 60_000 }, now: () => t })
    expect((await post(s, getIssues({ offset: 0, limit: 1 }))).status).toBe(200)
    const last = await post(s, getIssues({ offset: 0, limit: 1 }))
    expect(last.headers.get('ratelimit-remaining')).toBe('0')
    const limited = await post(s, getIssues({ offset: 0, limit: 1 }))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('ratelimit-reset')).toBe('60')
    expect(limited.body.errors[0].message).toMatch(/rate limit/i)
    t += 60_000
    expect((await post(s, getIssues({ offset: 0, limit: 1 }))).status).toBe(200)
  })

  it('answers GraphQL errors arrays on demand, validation errors for a missing limit and for rejected fields', async () => {
    const s = await start({ faults: { graphqlErrorNext: 1, graphqlErrorMessage: 'boom' } })
    const err = await post(s, getIssues({ offset: 0, limit: 1 }))
    expect(err.status).toBe(200)
    expect(err.body).toMatchObject({ data: null, errors: [{ message: 'boom', path: ['getIssues'] }] })
    expect((await post(s, getIssues({ offset: 0 }))).status).toBe(400)
    s.setFaults({ listSelection: 'none' })
    const v = await post(s, getIssues({ offset: 0, limit: 1 }))
    expect(v.status).toBe(400)
    expect(v.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED')
  })

  it('answers getSingleIssueInfo with the real capture for the issue it covers', async () => {
    const s = await start()
    const r = await post(s, {
      operationName: 'GetSingleIssueInfo',
      query: 'query GetSingleIssueInfo { getSingleIssueInfo { issueId } }',
      variables: {
        getSingleIssueInput: { issueId: '584352228-oxPolicy_securityScan_120-org.springframework:spring-web_5.3.19' },
      },
    })
    expect(r.body.data.getSingleIssueInfo.scaVulnerabilities[0].cve).toBe('CVE-2016-1000027')
    expect(r.body.data.getSingleIssueInfo.sbom.packageManager).toBe('maven')
  })

  it('generates 300,000 issues lazily: any page without the others, filters by arithmetic', () => {
    const ds = generatedDataset({ issues: 300_000 })
    const all = ds.query({})
    expect(all.total).toBe(300_000)
    const inScope = ds.query({ categories: ['Open Source Security', 'Container Security'] })
    expect(inScope.total).toBe(240_000)
    const lastIssue = inScope.at(inScope.total - 1)
    expect(['Open Source Security', 'Container Security']).toContain(lastIssue.category.name)
    expect(inScope.at(inScope.total)).toBeUndefined()
    // deterministic and addressable by id
    expect(ds.issue(lastIssue.issueId)).toEqual(lastIssue)
    const apps = ds.applications().filter((a) => !a.fakeApp)
    const one = ds.query({ categories: ['Container Security'], appIds: [apps[3]!.appId] })
    const seen = Array.from({ length: one.total }, (_, k) => one.at(k))
    expect(seen.every((i) => i.app.id === apps[3]!.appId && i.category.categoryId === 12)).toBe(true)
    // 15,000 blocks of 20 issues over 2,000 apps: app 3 owns blocks 3, 2003 … 14003 (8 blocks), 5 container issues each
    expect(apps).toHaveLength(2000)
    expect(one.total).toBe(40)
  })

  it('generates realistic SCA and container details', () => {
    const ds = generatedDataset({ issues: 40 })
    const sca = ds.query({ categories: ['Open Source Security'] }).at(0)
    expect(sca.scaVulnerabilities.length).toBeGreaterThan(0)
    expect(sca.sbom.packageManager).toBeTruthy()
    const c = ds.query({ categories: ['Container Security'] }).at(0)
    expect(c.aggregations.items[0]).toMatchObject({
      image: expect.stringMatching(/^registry\.acme\.io\/.+:\d/),
      sha256: expect.stringMatching(/^sha256:/),
      layer: expect.stringMatching(/^sha256:/),
      baseImage: expect.any(String),
    })
  })
})
