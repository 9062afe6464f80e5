import { type GitlabSimulator, startGitlabSimulator } from '@vulnsync/simulators/gitlab/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../testing.ts'

// End to end through the public API: connect GitLab (a group with nested subgroups), sync the inventory, read it back.
const PROJECTS = 420
let sim: GitlabSimulator
let app: TestApp

beforeAll(async () => {
  sim = await startGitlabSimulator({
    seed: 8,
    repos: PROJECTS,
    webBaseUrl: 'https://gitlab.example.com',
    sshPort: 2222,
  })
  app = await startTestApp()
}, 120_000)
afterAll(async () => {
  await app?.close()
  await sim?.close()
})

describe('gitlab end to end', () => {
  it('refuses a missing group with the 404 check message', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'gitlab',
      name: 'gl-404',
      config: { baseUrl: sim.url, group: 'acme/nope' },
      secrets: { token: 'glpat-admin' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error).toMatchObject({ code: 'check_failed', details: { check: 'not_found' } })
    expect(res.body.error.message).toContain('GitLab group "acme/nope" was not found (HTTP 404)')
  })

  it('refuses a token without read_api', async () => {
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'gitlab',
      name: 'gl-scope',
      config: { baseUrl: sim.url },
      secrets: { token: 'glpat-readuser' },
    })
    expect(res.status).toBe(422)
    expect(res.body.error).toMatchObject({
      code: 'check_failed',
      details: { check: 'permission' },
      message:
        'the token has the scopes read_user but not read_api, which listing projects needs: create a token with the read_api scope.',
    })
  })

  it('connects to a group, syncs every project of its subgroups into the inventory, through a 429', async () => {
    sim.setFaults({ gitlabRateLimitNext: 0 })
    const res = await app.api('POST', '/api/v1/connections', {
      kind: 'gitlab',
      name: 'GitLab Acme',
      config: { baseUrl: sim.url, group: 'acme' },
      secrets: { token: 'glpat-admin' },
    })
    expect(res.status).toBe(201)
    sim.setFaults({ gitlabRateLimitNext: 1, gitlabRetryAfter: 3 })
    const run = await app.waitForRun(res.body.run.id)
    expect(run.status).toBe('succeeded')
    expect(run.counts.fetched).toBe(PROJECTS)
    const r = await app.api('GET', '/api/v1/repositories?limit=500&q=payments')
    expect(r.status).toBe(200)
    expect(r.body.items.length).toBeGreaterThan(0)
    expect(r.body.items.every((x: any) => x.provider === 'gitlab')).toBe(true)
    const all = await app.api('GET', '/api/v1/repositories?limit=500')
    expect(all.body.total).toBe(PROJECTS)
    expect(all.body.items.some((x: any) => x.fullName.split('/').length >= 5)).toBe(true)
    expect(all.body.items.some((x: any) => /^ssh:\/\/git@gitlab\.example\.com:2222\//.test(x.sshUrl))).toBe(true)
  })
})
