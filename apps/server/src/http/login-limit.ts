import { audit } from '@vulnsync/db'
import type { Runtime } from '../runtime.ts'
import { ApiError } from './errors.ts'

/**
 * Sign-in attempts are limited per account and per client address. Failed sign-ins are audit events
 * (`auth.login_failed`), and the limit counts them in a sliding window, so it holds across every process that
 * shares the database. Refused attempts are not counted: an attacker cannot keep an account locked by hammering it
 * past the limit, only for one window.
 */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perAccount: 10, perAddress: 50 } as const

export const assertLoginAllowed = async (rt: Runtime, who: { account: string | null; address: string }) => {
  // the database's clock stamps the events, so it also measures the window
  const { rows } = await rt.db.query<{ scope: string; n: number; wait_s: number | null }>(
    `SELECT 'account' AS scope, count(*)::int AS n,
            ceil(extract(epoch FROM min(at) + make_interval(secs => $3) - now()))::int AS wait_s
       FROM audit_events
      WHERE action = 'auth.login_failed' AND target = $1 AND at > now() - make_interval(secs => $3)
     UNION ALL
     SELECT 'address', count(*)::int, ceil(extract(epoch FROM min(at) + make_interval(secs => $3) - now()))::int
       FROM audit_events
      WHERE action = 'auth.login_failed' AND detail->>'address' = $2 AND at > now() - make_interval(secs => $3)`,
    [who.account ?? '', who.address, LOGIN_LIMITS.windowMs / 1000],
  )
  for (const r of rows) {
    const limit = r.scope === 'account' ? LOGIN_LIMITS.perAccount : LOGIN_LIMITS.perAddress
    if (r.n < limit) continue
    const retryAfter = Math.max(1, r.wait_s ?? 1)
    throw new ApiError(
      429,
      'too_many_attempts',
      r.scope === 'account'
        ? `too many failed sign-ins for this account: try again in ${Math.ceil(retryAfter / 60)} minute(s)`
        : `too many failed sign-ins from your address: try again in ${Math.ceil(retryAfter / 60)} minute(s)`,
      'an admin can reset a forgotten password; automation should use an API token (Authorization: Bearer …)',
      undefined,
      { 'retry-after': String(retryAfter) },
    )
  }
}

export const recordLoginFailure = (
  rt: Runtime,
  f: { account: string | null; actor: string; address: string; reason: 'invalid_password' | 'invalid_token' },
) =>
  audit(rt.db, {
    workspaceId: rt.workspaceId,
    actor: f.actor,
    action: 'auth.login_failed',
    ...(f.account ? { target: f.account } : {}),
    detail: { address: f.address, reason: f.reason },
  })
