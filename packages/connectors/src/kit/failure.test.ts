import { UpstreamError } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { checkConnector, checkFailure, describeRunError, failureKindOf, type Wording } from './failure.ts'

const upstream = (kind: UpstreamError['kind'], message = `${kind} happened`) =>
  new UpstreamError({ kind, host: 'vendor.test', status: 401, message })

const wording: Wording<{ host: string }> = {
  auth: (err, { host }) => ({ message: `${host} refused the token (HTTP ${err.status})`, hint: 'paste a new one' }),
  unreachable: (err) => ({ message: `cannot reach the vendor: ${err.message}` }),
  bad_response: () => ({ message: 'not the vendor', code: 'invalid_config' }),
  unexpected: (err) => ({ message: `the check broke: ${(err as Error).message}` }),
}

describe('the failure mapper', () => {
  it('answers a failed check with the connector’s words for its kind, and the kind’s code', () => {
    expect(checkFailure(wording, upstream('auth'), { host: 'acme.test' })).toEqual({
      ok: false,
      code: 'auth',
      message: 'acme.test refused the token (HTTP 401)',
      hint: 'paste a new one',
    })
    expect(checkFailure(wording, upstream('timeout', 'slow'), { host: 'x' })).toEqual({
      ok: false,
      code: 'unreachable',
      message: 'cannot reach the vendor: slow',
    })
    expect(checkFailure(wording, upstream('bad_response'), { host: 'x' })).toMatchObject({ code: 'invalid_config' })
  })

  it('says the error’s own message for a kind the connector does not word, and words what is not upstream', () => {
    expect(checkFailure(wording, upstream('permission', 'the token may not list'), { host: 'x' })).toEqual({
      ok: false,
      code: 'permission',
      message: 'the token may not list',
    })
    expect(checkFailure(wording, upstream('server', 'HTTP 500'), { host: 'x' })).toMatchObject({
      code: 'vendor_error',
      message: 'HTTP 500',
    })
    expect(checkFailure(wording, new TypeError('x is undefined'), { host: 'x' })).toEqual({
      ok: false,
      code: 'vendor_error',
      message: 'the check broke: x is undefined',
    })
  })

  it('groups the upstream kinds into the six failure kinds', () => {
    expect(['auth', 'permission', 'not_found', 'rate_limited'].map((k) => failureKindOf(upstream(k as never)))).toEqual(
      ['auth', 'permission', 'not_found', 'rate_limited'],
    )
    expect(['unreachable', 'timeout', 'blocked'].map((k) => failureKindOf(upstream(k as never)))).toEqual([
      'unreachable',
      'unreachable',
      'unreachable',
    ])
    expect(failureKindOf(upstream('bad_response'))).toBe('bad_response')
    expect(failureKindOf(upstream('client'))).toBe('other')
    expect(failureKindOf(new Error('bug'))).toBe('other')
  })

  it('describes a failed run by its upstream kind, the connector’s message and what to do', () => {
    expect(describeRunError(upstream('auth', 'GitHub rejected the token'))).toEqual({
      code: 'auth',
      message: 'GitHub rejected the token',
      hint: 'The credentials were rejected: reconnect the integration with a valid token (Integration Hub → Reconnect).',
    })
    expect(describeRunError(new Error('bug'))).toEqual({ code: 'internal', message: 'bug' })
  })

  it('turns a check that throws into a failed check instead of an error', async () => {
    const throwing = { check: async (): Promise<never> => Promise.reject(upstream('auth', 'token revoked')) }
    expect(await checkConnector(throwing, {})).toEqual({
      ok: false,
      code: 'auth',
      message: 'token revoked',
      hint: 'The credentials were rejected: reconnect the integration with a valid token (Integration Hub → Reconnect).',
    })
    const buggy = { check: async (): Promise<never> => Promise.reject(new RangeError('out of range')) }
    expect(await checkConnector(buggy, {})).toEqual({ ok: false, code: 'vendor_error', message: 'out of range' })
  })
})
