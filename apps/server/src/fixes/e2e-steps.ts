import { expect } from 'vitest'
import type { TestApp } from '../testing.ts'

/** Test steps the fix end-to-end tests share: connect through the API (the initial sync succeeds), sync again. */
export const connectAndSync = async (
  app: TestApp,
  c: { kind: string; name: string; config: Record<string, unknown>; secrets: Record<string, string> },
): Promise<string> => {
  const r = await app.api('POST', '/api/v1/connections', c)
  expect(r.status, JSON.stringify(r.body)).toBe(201)
  expect((await app.waitForRun(r.body.run.id)).status).toBe('succeeded')
  return r.body.connection.id
}

export const syncNow = async (app: TestApp, connectionId: string) => {
  const r = await app.api('POST', `/api/v1/connections/${connectionId}/syncs`)
  expect(r.status).toBeLessThan(300)
  const run = await app.waitForRun(r.body.run?.id ?? r.body.id)
  expect(run.status).toBe('succeeded')
  return run
}

/** an OX connection to the OX simulator */
export const oxConnection = (ox: { url: string; apiKey: string }) => ({
  kind: 'ox',
  name: 'OX',
  config: { baseUrl: ox.url },
  secrets: { apiToken: ox.apiKey },
})
