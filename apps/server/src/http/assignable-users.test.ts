import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'

const scanner = createTestConnector(() =>
  arrayDataset([
    {
      id: 'x1',
      ids: ['CVE-2024-7001'],
      purl: 'pkg:npm/lodash@4.17.20',
      repo: 'https://github.com/acme/web',
      severity: 'high',
      detectedAt: '2024-03-01T00:00:00Z',
    },
  ]),
)

/**
 * Members assign issues but may not list users (GET /users is admin-only, with roles and dates): the assignee
 * pickers read GET /users/assignable, which every role may call and which says only who can be assigned.
 */
describe.each(DRIVERS)('assignable users on %s', (driver) => {
  let t: TestApp
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    t = await startTestApp({ driver, connectors: { test: scanner as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'w1' }])
    for (const [username, role] of [
      ['mia', 'member'],
      ['Bob', 'viewer'],
      ['gone', 'member'],
    ] as const) {
      const r = await t.api('POST', '/api/v1/users', { username, password: 'a-long-password', role })
      expect(r.status).toBe(201)
      ids[username] = r.body.user.id
    }
    expect((await t.api('DELETE', `/api/v1/users/${ids.gone}`)).status).toBe(204)
  })
  afterAll(() => t?.close())

  it('lists the active users, id and name only, to every role; removed users are not assignable', async () => {
    for (const role of ['viewer', 'member'] as const) {
      const token = (await t.api('POST', '/api/v1/tokens', { name: `${role} token`, role })).body.token
      expect((await t.api('GET', '/api/v1/users', undefined, { token })).status).toBe(403)
      const r = await t.api('GET', '/api/v1/users/assignable', undefined, { token })
      expect(r.status).toBe(200)
      // sorted by name, case-insensitively; the bootstrap admin is a user too
      expect(r.body.items).toEqual([
        { id: expect.any(String), username: 'admin' },
        { id: ids.Bob, username: 'Bob' },
        { id: ids.mia, username: 'mia' },
      ])
    }
    expect((await t.api('GET', '/api/v1/users/assignable', undefined, { token: null })).status).toBe(401)
  })

  it('an id it lists is accepted as an assignee; the removed user is refused', async () => {
    const c = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'T', secrets: { token: 'x' } })
    await t.waitForRun(c.body.run.id)
    const issue = (await t.api('GET', '/api/v1/vulnerabilities')).body.items[0]
    const mia = (await t.api('GET', '/api/v1/users/assignable')).body.items.find((u: any) => u.username === 'mia')
    const ok = await t.api('PATCH', `/api/v1/vulnerabilities/${issue.id}`, { assigneeId: mia.id })
    expect(ok.status).toBe(200)
    expect(ok.body.assignee).toEqual(mia)
    const gone = await t.api('PATCH', `/api/v1/vulnerabilities/${issue.id}`, { assigneeId: ids.gone })
    expect(gone.status).toBe(422)
    expect(gone.body.error.message).toMatch(/^assigneeId: no active user/)
  })
})
