import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../testing.ts'

// End to end through the public API: connect GitHub, sync the inventory, read it back.
const REPOS = 340
let sim: GithubSimulator
let app: TestApp

beforeAll(async () => {
  sim = await startGithubSimulator({ seed: 21, repos: REPOS })
  app = await startTestApp()
}, 120_000)
afterAll(async () => {
  await app?.close()
  await sim?.close()
})

const allRepositories = async () => {
  const items: any[] = []
  let cursor: string | null = null
  do {
    const r: { status: number; body: any } = await app.api(
      'GET',
      `/api/v1/repositories?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    )
    expect(r.status).toBe(200)
    items.push(...r.body.items)
    cursor = r.body.nextCursor
  } while (cursor)
  return items
}

describe('github end to end', () => {
  it('refuses a connection with a bad token (422 with the check message) and stores nothing', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'gh-bad',
      config: { baseUrl: sim.apiUrl, org: 'acme-corp' },
      secrets: { token: 'ghp_wrong' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error).toMatchObject({
      code: 'check_failed',
      details: { check: 'auth' },
      message:
        'GitHub rejected the token (HTTP 401: Bad credentials): check that it was copied whole and has not expired or been revoked (GitHub App installation tokens expire after one hour).',
    })
  })

  it('refuses a missing organisation with the 404 message', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'gh-404',
      config: { baseUrl: sim.apiUrl, org: 'nobody' },
      secrets: { token: 'ghp_admin' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error).toMatchObject({ code: 'check_failed', details: { check: 'not_found' } })
    expect(res.body.error.message).toContain('GitHub organisation "nobody" was not found (HTTP 404)')
  })

  it('connects, syncs every repository of the organisation into the inventory, and waits out a rate limit on a manual sync', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'github',
      name: 'GitHub Acme',
      config: { baseUrl: sim.apiUrl, org: 'acme-corp' },
      secrets: { token: 'ghp_admin' },
    })
    expect(res.status).toBe(201)
    const run = await app.waitForRun(res.body.run.id)
    expect(run.status).toBe('succeeded')
    expect(run.counts.fetched).toBe(REPOS)
    const repos = await allRepositories()
    expect(repos).toHaveLength(REPOS)
    const one = repos.find((r) => r.externalId === String(sim.visibleIds('ghp_admin')[0]))
    expect(one).toMatchObject({
      provider: 'github',
      fullName: expect.stringMatching(/^Acme-Corp\//),
      webUrl: expect.stringMatching(/^https:\/\/github\.com\/Acme-Corp\//),
    })
    expect(repos.filter((r) => r.archived).length).toBeGreaterThan(0)
    expect(new Set(repos.map((r) => r.visibility))).toEqual(new Set(['public', 'private', 'internal']))

    sim.setFaults({ primaryLimitNext: 1, primaryResetSeconds: 30, secondaryLimitNext: 1, secondaryRetryAfter: 5 })
    const again = await app.api('POST', `/api/v1/connections/${res.body.connection.id}/syncs`)
    expect(again.status).toBe(202)
    const run2 = await app.waitForRun(again.body.run.id)
    expect(run2.status).toBe('succeeded')
    expect(run2.counts.fetched).toBe(REPOS)
    expect(await allRepositories()).toHaveLength(REPOS)
  })
})
