import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config.ts'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { startTestApp, type TestApp } from '../testing.ts'
import { LOGIN_LIMITS } from './login-limit.ts'

const rows: TestRaw[] = Array.from({ length: 12 }, (_, i) => ({
  id: `s-${i}`,
  ids: [`CVE-2024-${String(1000 + i)}`],
  purl: `pkg:npm/left-pad-${i % 3}@1.0.${i}`,
  repo: 'https://github.com/acme/unmatched-thing',
  severity: 'high',
  detectedAt: '2024-03-01T00:00:00Z',
}))
const testConnector = createTestConnector(() => arrayDataset(rows), { pageSize: 5 })

/** A web session: signs in through the API and sends the cookie the way a browser on the same site would. */
const signIn = async (t: TestApp, body: unknown) => {
  const res = await fetch(`${t.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? null
  return { status: res.status, body: (await res.json()) as any, cookie }
}
const withCookie = (t: TestApp, cookie: string, headers: Record<string, string> = {}) => {
  const host = new URL(t.url).host
  return (method: string, path: string, body?: unknown) =>
    t.api(method, path, body, {
      token: null,
      headers: { cookie, ...(method !== 'GET' ? { origin: `http://${host}` } : {}), ...headers },
    })
}

describe.each(DRIVERS)('security on %s', (driver) => {
  let t: TestApp
  let connectionId = ''
  beforeAll(async () => {
    t = await startTestApp({ driver, connectors: { test: testConnector as any } })
    const c = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'sec', secrets: { token: 'x' } })
    connectionId = c.body.connection.id
    await t.waitForRun(c.body.run.id)
  })
  afterAll(() => t?.close())

  const createUser = async (username: string, role: string, password = 'correct-horse-battery') => {
    const r = await t.api('POST', '/api/v1/users', { username, password, role })
    expect(r.status).toBe(201)
    return r.body.user.id as string
  }

  it('a session opened with a viewer or member token never carries more than that token', async () => {
    // the bootstrap token belongs to the admin user: an admin creates lesser tokens for itself
    for (const role of ['viewer', 'member'] as const) {
      const tok = await t.api('POST', '/api/v1/tokens', { name: `${role} token`, role })
      const s = await signIn(t, { token: tok.body.token })
      expect(s.status).toBe(200)
      expect(s.body.user.role).toBe(role)
      const as = withCookie(t, s.cookie!)
      expect((await as('GET', '/api/v1/auth/me')).body.user.role).toBe(role)
      expect((await as('GET', '/api/v1/users')).status).toBe(403)
      const escalate = await as('POST', '/api/v1/tokens', { name: 'mine now', role: 'admin' })
      expect(escalate.status).toBe(403)
      expect(escalate.body.error.message).toBe(`this needs the admin role; you have ${role}`)
      // the session ends with its token
      await t.api('DELETE', `/api/v1/tokens/${tok.body.id}`)
      expect((await as('GET', '/api/v1/auth/me')).status).toBe(401)
    }
  })

  it("demoting or disabling a user takes effect on that user's tokens and sessions at once", async () => {
    const id = await createUser('dana', 'admin')
    const s = await signIn(t, { username: 'dana', password: 'correct-horse-battery' })
    const asDana = withCookie(t, s.cookie!)
    const tok = await asDana('POST', '/api/v1/tokens', { name: 'dana admin token', role: 'admin' })
    expect(tok.status).toBe(201)
    expect((await t.api('GET', '/api/v1/users', undefined, { token: tok.body.token })).status).toBe(200)

    expect((await t.api('PATCH', `/api/v1/users/${id}`, { role: 'viewer' })).status).toBe(200)
    const viaToken = await t.api('GET', '/api/v1/users', undefined, { token: tok.body.token })
    expect(viaToken.status).toBe(403)
    expect(viaToken.body.error.message).toMatch(/you have viewer/)
    expect((await t.api('GET', '/api/v1/auth/me', undefined, { token: tok.body.token })).body.user.role).toBe('viewer')
    expect((await asDana('GET', '/api/v1/users')).status).toBe(403)
    expect((await asDana('GET', '/api/v1/auth/me')).body.user.role).toBe('viewer')

    // promoted back: the token returns to its own role, never above it
    expect((await t.api('PATCH', `/api/v1/users/${id}`, { role: 'admin' })).status).toBe(200)
    expect((await t.api('GET', '/api/v1/users', undefined, { token: tok.body.token })).status).toBe(200)

    expect((await t.api('DELETE', `/api/v1/users/${id}`)).status).toBe(204)
    expect((await t.api('GET', '/api/v1/auth/me', undefined, { token: tok.body.token })).status).toBe(401)
    expect((await asDana('GET', '/api/v1/auth/me')).status).toBe(401)
  })

  it("a password change ends the user's other sessions, by an admin or by the user", async () => {
    const id = await createUser('erin', 'member')
    const a = await signIn(t, { username: 'erin', password: 'correct-horse-battery' })
    const b = await signIn(t, { username: 'erin', password: 'correct-horse-battery' })
    expect((await withCookie(t, a.cookie!)('GET', '/api/v1/auth/me')).status).toBe(200)
    const byAdmin = await t.api('PATCH', `/api/v1/users/${id}`, { password: 'a-new-password-1' })
    expect(byAdmin.status).toBe(200)
    expect((await withCookie(t, a.cookie!)('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await withCookie(t, b.cookie!)('GET', '/api/v1/auth/me')).status).toBe(401)

    const c = await signIn(t, { username: 'erin', password: 'a-new-password-1' })
    const d = await signIn(t, { username: 'erin', password: 'a-new-password-1' })
    const asC = withCookie(t, c.cookie!)
    const wrong = await asC('POST', '/api/v1/auth/password', {
      currentPassword: 'not-it-at-all',
      newPassword: 'another-password-2',
    })
    expect(wrong.status).toBe(403)
    const own = await asC('POST', '/api/v1/auth/password', {
      currentPassword: 'a-new-password-1',
      newPassword: 'another-password-2',
    })
    expect(own.status).toBe(200)
    expect(own.body.sessionsEnded).toBe(1)
    expect((await asC('GET', '/api/v1/auth/me')).status).toBe(200)
    expect((await withCookie(t, d.cookie!)('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await signIn(t, { username: 'erin', password: 'a-new-password-1' })).status).toBe(401)
    expect((await signIn(t, { username: 'erin', password: 'another-password-2' })).status).toBe(200)
  })

  it('refuses cookie requests from other sites with a 403, never a 500', async () => {
    await createUser('fay', 'admin')
    const s = await signIn(t, { username: 'fay', password: 'correct-horse-battery' })
    for (const origin of ['null', '::::', 'http://a:b', 'https://evil.example', 'file:///etc/passwd']) {
      const r = await t.api(
        'POST',
        '/api/v1/tokens',
        { name: 'x', role: 'admin' },
        { token: null, headers: { cookie: s.cookie!, origin } },
      )
      expect(r.status, origin).toBe(403)
      expect(r.body.error.code).toBe('cross_site_request')
    }
    const crossSite = await t.api(
      'POST',
      '/api/v1/tokens',
      { name: 'x', role: 'admin' },
      { token: null, headers: { cookie: s.cookie!, 'sec-fetch-site': 'cross-site' } },
    )
    expect(crossSite.status).toBe(403)
    expect(crossSite.body.error.message).toMatch(/another site/)
    const sameSite = await withCookie(t, s.cookie!, { 'sec-fetch-site': 'same-origin' })('GET', '/api/v1/auth/me')
    expect(sameSite.status).toBe(200)
  })

  it('looks connectors up by their own kinds only', async () => {
    for (const kind of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = await t.api('POST', '/api/v1/connections', { kind, name: `k-${kind}`, secrets: {} })
      expect(r.status, kind).toBe(422)
      expect(r.body.error.message).toBe(`unknown kind ${JSON.stringify(kind)}`)
    }
  })

  it('refuses NUL bytes and unpaired surrogates in every text that reaches the database', async () => {
    // in a URL only a NUL can be sent (%00); an unpaired surrogate has no UTF-8 form, so it comes as invalid bytes
    const bad: [string, string][] = [
      ['a\u0000b', 'a%00b'],
      ['\ud800', '%ED%A0%80'],
      ['x\udc00y', 'x%ED%B0%80y'],
    ]
    for (const [v, e] of bad) {
      const cases: [string, string, unknown?][] = [
        ['POST', '/api/v1/auth/login', { username: v, password: 'whatever-it-is' }],
        ['POST', '/api/v1/tokens', { name: v }],
        ['POST', '/api/v1/connections', { kind: 'test', name: v, secrets: { token: 'x' } }],
        ['POST', '/api/v1/users', { username: 'ok-name', password: v.repeat(6), role: 'viewer' }],
        ['GET', `/api/v1/vulnerabilities?q=${e}`],
        ['GET', `/api/v1/vulnerabilities?cve=${e}`],
        ['GET', `/api/v1/vulnerabilities?package=${e}`],
        ['GET', `/api/v1/vulnerabilities?repository=${e}`],
        ['GET', `/api/v1/vulnerabilities?source=${e}`],
        ['GET', `/api/v1/vulnerabilities/summary?q=${e}`],
        ['GET', `/api/v1/vulnerabilities/export.csv?q=${e}`],
        ['GET', `/api/v1/repositories?q=${e}`],
        ['GET', `/api/v1/unmatched?q=${e}`],
        ['PUT', `/api/v1/unmatched/${e}/mapping`, { repositoryId: '1' }],
      ]
      for (const [method, path, body] of cases) {
        const r = await t.api(method, path, body)
        const where = `${method} ${path} ${JSON.stringify(body)}`
        const inBody = body !== undefined && !path.includes('/unmatched/')
        if (inBody || e.includes('%00')) {
          expect([400, 422], where).toContain(r.status)
          expect(String(r.body?.error?.message), `${where} ${r.text}`).toMatch(
            /NUL character or an unpaired UTF-16 surrogate/,
          )
        } else expect(r.status, where).toBeLessThan(500) // invalid UTF-8 in a URL decodes to U+FFFD: harmless text
      }
    }
  })

  it('refuses ids and cursors that do not fit their columns', async () => {
    const huge = '99999999999999999999'
    expect((await t.api('GET', `/api/v1/vulnerabilities/${huge}`)).status).toBe(400)
    expect((await t.api('GET', '/api/v1/vulnerabilities/9223372036854775807')).status).toBe(404)
    expect((await t.api('GET', `/api/v1/vulnerabilities?repository=${huge}`)).status).toBe(400)
    expect((await t.api('GET', '/api/v1/vulnerabilities?repository=9223372036854775807')).body.total).toBe(0)
    expect((await t.api('GET', `/api/v1/repositories?cursor=${huge}`)).status).toBe(400)
    const unmatched = await t.api('GET', '/api/v1/unmatched')
    const key = unmatched.body.items[0].key as string
    for (const repositoryId of [huge, 1e300, -1, 0, 1.5, 'abc', null, true])
      expect(
        (await t.api('PUT', `/api/v1/unmatched/${encodeURIComponent(key)}/mapping`, { repositoryId })).status,
        String(repositoryId),
      ).toBe(422)
    const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const crafted = [
      cursor(['a', 'b', 'c']),
      cursor([{}, [], true]),
      cursor([1e308, 1, 1]),
      cursor([3, 3, 1e300]),
      cursor([3, 3, Number.MIN_SAFE_INTEGER - 2]),
      cursor([null, null, null]),
      cursor([3, 3]),
      cursor({ a: 1 }),
      'not base64 at all!',
      '',
    ]
    for (const c of crafted)
      for (const sort of ['priority', 'detectedAt', 'cve']) {
        const r = await t.api('GET', `/api/v1/vulnerabilities?sort=${sort}&cursor=${encodeURIComponent(c)}`)
        if (c === '') expect(r.status).toBe(200)
        else {
          expect(r.status, `${sort} ${c}`).toBe(400)
          expect(r.body.error.code).toBe('invalid_cursor')
        }
      }
    expect(
      (await t.api('GET', `/api/v1/vulnerabilities?sort=detectedAt&cursor=${cursor(['2023-02-30T00:00:00.000Z', 1])}`))
        .status,
    ).toBe(400)
  })

  it('answers a CSV export whose query fails with an error, not a 200 and a truncated file', async () => {
    const real = t.rt.db.query.bind(t.rt.db)
    ;(t.rt.db as any).query = async (sql: string, params?: unknown[]) => {
      if (/FROM issues i WHERE/.test(sql)) throw new Error('the database went away')
      return real(sql, params)
    }
    try {
      const r = await t.api('GET', '/api/v1/vulnerabilities/export.csv')
      expect(r.status).toBe(500)
      expect(r.headers.get('content-type')).toMatch(/json/)
      expect(r.body.error.code).toBe('internal')
    } finally {
      ;(t.rt.db as any).query = real
    }
  })

  it('a CSV export that fails after its first page breaks the transfer instead of ending it cleanly', async () => {
    // more than one export page (500 rows) of issues
    const { seedRepositories } = await import('../sync/test-support.ts')
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/csv', externalId: 'csv-1' }])
    rows.push(
      ...Array.from({ length: 520 }, (_, i) => ({
        ...rows[0]!,
        id: `b-${i}`,
        ids: [`CVE-2025-${10000 + i}`],
        repo: 'https://github.com/acme/csv',
      })),
    )
    const real = t.rt.db.query.bind(t.rt.db)
    try {
      const sync = await t.api('POST', `/api/v1/connections/${connectionId}/syncs`)
      await t.waitForRun(sync.body.run.id)
      let pages = 0
      ;(t.rt.db as any).query = async (sql: string, params?: unknown[]) => {
        if (/FROM issues i WHERE/.test(sql) && ++pages > 1) throw new Error('the database went away')
        return real(sql, params)
      }
      const res = await fetch(`${t.url}/api/v1/vulnerabilities/export.csv`, {
        headers: { authorization: `Bearer ${t.token}` },
      })
      expect(res.status).toBe(200)
      await expect(res.text()).rejects.toThrow()
      expect(pages).toBe(2)
    } finally {
      ;(t.rt.db as any).query = real
      rows.splice(12)
    }
  })

  it('refuses a JSON body of null, names of only spaces, and mapping keys vulnsync never issued', async () => {
    const nullBody = await fetch(`${t.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: 'null',
    })
    expect(nullBody.status).toBe(422)
    expect(((await nullBody.json()) as any).error.message).toBe(
      'body: the request body must be a JSON object, not null',
    )
    for (const [method, path, body] of [
      ['POST', '/api/v1/tokens', { name: '   ' }],
      ['POST', '/api/v1/connections', { kind: 'test', name: ' \t ', secrets: { token: 'x' } }],
      ['PATCH', `/api/v1/connections/${connectionId}`, { name: '  ' }],
    ] as const) {
      const r = await t.api(method, path, body)
      expect(r.status, path).toBe(422)
      expect(r.body.error.message).toMatch(/must not be empty or only spaces/)
    }
    const repos = await t.api('GET', '/api/v1/repositories')
    expect(repos.status).toBe(200)
    const forged = await t.api('PUT', '/api/v1/unmatched/url%3Aevil.example%2Fanything/mapping', {
      repositoryId: '1',
    })
    expect(forged.status).toBe(404)
    expect(forged.body.error.hint).toMatch(/GET \/api\/v1\/unmatched/)
  })

  it('a viewer cannot make vulnsync call a vendor with stored credentials', async () => {
    const viewer = await t.api('POST', '/api/v1/tokens', { name: 'reader', role: 'viewer' })
    const r = await t.api('GET', `/api/v1/connections/${connectionId}/locations`, undefined, {
      token: viewer.body.token,
    })
    expect(r.status).toBe(403)
    expect(
      (await t.api('POST', `/api/v1/connections/${connectionId}/check`, undefined, { token: viewer.body.token }))
        .status,
    ).toBe(403)
  })

  it('limits failed sign-ins per account with a 429 and Retry-After, and audits every failure', async () => {
    await createUser('gus', 'viewer')
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++)
      expect((await signIn(t, { username: 'gus', password: `wrong-guess-${i}` })).status).toBe(401)
    const limited = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'GUS', password: 'correct-horse-battery' }),
    })
    expect(limited.status).toBe(429)
    const retry = Number(limited.headers.get('retry-after'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(LOGIN_LIMITS.windowMs / 1000)
    expect(((await limited.json()) as any).error.code).toBe('too_many_attempts')
    // another account from the same address is not locked out by this one
    await createUser('hal', 'viewer')
    expect((await signIn(t, { username: 'hal', password: 'correct-horse-battery' })).status).toBe(200)
    const audit = await t.api('GET', '/api/v1/audit?limit=500')
    const failures = audit.body.items.filter((e: any) => e.action === 'auth.login_failed' && e.target === 'gus')
    expect(failures).toHaveLength(LOGIN_LIMITS.perAccount)
    expect(failures[0].detail).toMatchObject({ reason: 'invalid_password', address: '127.0.0.1' })
  })

  it('sends security headers with every response', async () => {
    for (const path of ['/healthz', '/api/v1/vulnerabilities', '/api/v1/nope']) {
      const r = await t.api('GET', path)
      expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/)
      expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/)
      expect(r.headers.get('x-content-type-options')).toBe('nosniff')
      expect(r.headers.get('referrer-policy')).toBe('no-referrer')
    }
  })
})

describe('listening address', () => {
  it('serve listens on 127.0.0.1 unless HOST says otherwise', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1')
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0')
    expect(loadConfig({}).trustProxy).toBe(false)
  })
})
