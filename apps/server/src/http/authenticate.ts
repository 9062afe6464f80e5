import { findSession, findTokenByHash, type Principal, touchToken } from '@vulnsync/db'
import type { FastifyRequest } from 'fastify'
import { hashToken } from '../auth.ts'
import type { Runtime } from '../runtime.ts'
import { ApiError } from './errors.ts'

export const SESSION_COOKIE = 'vulnsync_session'

const crossSite = (message: string) =>
  new ApiError(
    403,
    'cross_site_request',
    message,
    'the session cookie only works from the vulnsync web app itself; scripts and other sites use Authorization: Bearer <API token>',
  )

/**
 * A cookie-authenticated request must come from this site. Browsers send `Origin` on state-changing requests and
 * `Sec-Fetch-Site` on all; a request another site made is refused, as is an `Origin` that is not a URL of this host.
 */
const assertSameSite = (req: FastifyRequest) => {
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site') throw crossSite('refused: the browser says this request came from another site')
  if (req.method === 'GET' || req.method === 'HEAD') return
  const origin = req.headers.origin
  if (origin === undefined) return
  let host: string | null = null
  try {
    const u = new URL(origin)
    if (u.protocol === 'http:' || u.protocol === 'https:') host = u.host
  } catch {}
  if (host === null) throw crossSite(`refused: the Origin header ${JSON.stringify(origin.slice(0, 100))} is not a URL`)
  if (host !== req.headers.host) throw crossSite(`refused: the request came from ${host}, not from this server`)
}

/** Who is calling: an API token (bearer) or a web session (cookie), each with its effective role. */
export const createAuthenticator = (rt: Runtime) => {
  const authenticateToken = async (token: string): Promise<Principal | null> => {
    const t = await findTokenByHash(rt.db, hashToken(token))
    if (!t) return null
    void touchToken(rt.db, t.id).catch(() => {})
    return {
      workspaceId: t.workspace_id,
      role: t.role,
      userId: t.user_id,
      username: t.username,
      via: 'token',
      tokenId: t.id,
    }
  }
  const authenticate = async (req: FastifyRequest): Promise<Principal | null> => {
    const h = req.headers.authorization
    if (h) {
      const m = /^Bearer\s+(\S+)$/i.exec(h)
      return m ? authenticateToken(m[1]!) : null
    }
    const sid = req.cookies?.[SESSION_COOKIE]
    if (!sid) return null
    assertSameSite(req)
    const hash = hashToken(sid)
    const s = await findSession(rt.db, hash)
    return s
      ? {
          workspaceId: s.workspace_id,
          role: s.role,
          userId: s.user_id,
          username: s.username,
          via: 'session',
          sessionHash: hash,
        }
      : null
  }
  return { authenticate, authenticateToken }
}
