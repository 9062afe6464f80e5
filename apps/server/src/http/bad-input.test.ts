import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'

/**
 * Hostile input against every route of the OpenAPI document: each path parameter, each query parameter and each
 * body field gets every value of a corpus of malformed, oversized, out-of-range and type-confused values, and raw
 * bodies that are not objects. Whatever the input, the answer is a response with a status below 500.
 */
const rows: TestRaw[] = Array.from({ length: 8 }, (_, i) => ({
  id: `c-${i}`,
  ids: [`CVE-2024-${String(2000 + i)}`],
  purl: `pkg:npm/corp-${i % 2}@3.0.${i}`,
  repo: i < 4 ? 'https://github.com/acme/corpus' : 'https://github.com/acme/nowhere',
  severity: 'medium',
  detectedAt: '2024-05-01T00:00:00Z',
}))

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

/** Text values for URLs: what a query string or a path segment can carry. */
const URL_VALUES = [
  '',
  ' ',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%FF%FE',
  '%',
  '%%',
  '99999999999999999999',
  '9223372036854775808',
  '-1',
  '0',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  "'%20OR%201%3D1%20--",
  '%25',
  '_',
  '%5C',
  '..%2F..%2Fetc%2Fpasswd',
  '%3Cscript%3E',
  '%F0%9F%98%80',
  'x'.repeat(5000),
  encodeURIComponent(cursor(['a', 'b', 'c'])),
  encodeURIComponent(cursor([{}, [], true])),
  encodeURIComponent(cursor([1e308, 1, 1])),
  encodeURIComponent(cursor([null, null, null])),
  encodeURIComponent(cursor(['2023-02-30T00:00:00.000Z', 1])),
  encodeURIComponent(cursor([-1, 'x', 9e99])),
  'a,b,,c,',
  'critical,__proto__',
]

/** JSON values for body fields. */
const JSON_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  2 ** 64,
  -(2 ** 63),
  '',
  '   ',
  'a\u0000b',
  '\ud800',
  'x\udc00',
  '99999999999999999999',
  'x'.repeat(100_000),
  '__proto__',
  'constructor',
  [],
  [null],
  ['a\u0000'],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  Array.from({ length: 50 }, () => ({})),
  [[[[[[[[[[[[]]]]]]]]]]]],
]

/** Raw bodies that are not JSON objects. */
const RAW_BODIES = [
  'null',
  '[]',
  '"text"',
  '1',
  'true',
  '{',
  '{"a":',
  '{"a":1}}',
  '\u0000',
  '[1,2,3]',
  '{"a":"\\ud800"}',
]

interface Case {
  method: string
  path: string
  body?: string
  contentType?: string
}

describe.each(DRIVERS)('bad input on every route (%s)', (driver) => {
  let t: TestApp
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    t = await startTestApp({ driver, connectors: { test: createTestConnector(() => arrayDataset(rows)) as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/corpus', externalId: 'corpus-1' }])
    const c = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'corpus', secrets: { token: 'x' } })
    ids.connection = c.body.connection.id
    ids.run = (await t.waitForRun(c.body.run.id)).id
    ids.vulnerability = (await t.api('GET', '/api/v1/vulnerabilities')).body.items[0].id
    ids.user = (
      await t.api('POST', '/api/v1/users', { username: 'corpus-user', password: 'corpus-password', role: 'viewer' })
    ).body.user.id
    ids.token = (await t.api('POST', '/api/v1/tokens', { name: 'corpus token', role: 'viewer' })).body.id
    ids.key = (await t.api('GET', '/api/v1/unmatched')).body.items[0].key
  })
  afterAll(() => t?.close())

  /** A real value for a path parameter, so that body and query checks are reached. */
  const realParam = (path: string, name: string): string => {
    if (name === 'key') return encodeURIComponent(ids.key!)
    for (const [prefix, id] of [
      ['/api/v1/connections/', ids.connection],
      ['/api/v1/syncs/', ids.run],
      ['/api/v1/vulnerabilities/', ids.vulnerability],
      ['/api/v1/users/', ids.user],
      ['/api/v1/tokens/', ids.token],
    ] as const)
      if (path.startsWith(prefix)) return id!
    return '1'
  }

  it('answers every malformed request of the corpus below 500', async () => {
    const doc = (await t.api('GET', '/api/v1/openapi.json')).body
    const cases: Case[] = []
    let routes = 0
    for (const [template, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        routes++
        const M = method.toUpperCase()
        const params: any[] = op.parameters ?? []
        const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name as string)
        const fill = (bad?: { name: string; value: string }) =>
          template.replace(/\{(\w+)\}/g, (_, n) => (bad && bad.name === n ? bad.value : realParam(template, n)))
        // each path parameter with each bad value
        for (const name of pathParams)
          for (const value of URL_VALUES) if (value !== '') cases.push({ method: M, path: fill({ name, value }) })
        // each query parameter with each bad value
        for (const q of params.filter((p) => p.in === 'query'))
          for (const value of URL_VALUES) cases.push({ method: M, path: `${fill()}?${q.name}=${value}` })
        // the body: raw non-objects, then each field with each bad value
        const schema = op.requestBody?.content?.['application/json']?.schema
        if (schema) {
          for (const raw of RAW_BODIES) cases.push({ method: M, path: fill(), body: raw })
          cases.push({ method: M, path: fill(), body: 'a=1', contentType: 'application/x-www-form-urlencoded' })
          const fields = new Set<string>(Object.keys(schema.properties ?? {}))
          for (const alt of schema.anyOf ?? schema.oneOf ?? [])
            for (const k of Object.keys(alt.properties ?? {})) fields.add(k)
          for (const field of fields)
            for (const value of JSON_VALUES)
              cases.push({ method: M, path: fill(), body: JSON.stringify({ [field]: value }) })
        }
      }
    }
    const failures: string[] = []
    for (const c of cases) {
      const res = await fetch(`${t.url}${c.path}`, {
        method: c.method,
        headers: {
          authorization: `Bearer ${t.token}`,
          ...(c.body !== undefined ? { 'content-type': c.contentType ?? 'application/json' } : {}),
        },
        body: c.body,
      })
      const text = await res.text()
      if (res.status >= 500)
        failures.push(
          `${res.status} ${c.method} ${c.path.slice(0, 200)} ${String(c.body).slice(0, 200)} → ${text.slice(0, 300)}`,
        )
    }
    process.stdout.write(`bad-input corpus on ${driver}: ${cases.length} requests over ${routes} routes\n`)
    expect(failures).toEqual([])
    expect(routes).toBeGreaterThan(20)
    // the admin token still works: nothing in the corpus took the server down or revoked the caller
    expect((await t.api('GET', '/api/v1/auth/me')).status).toBe(200)
  }, 600_000)
})
