import cookie from '@fastify/cookie'
import { findSession, findTokenByHash, type Principal, touchToken } from '@vulnsync/db'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { hashToken } from '../auth.ts'
import type { Runtime } from '../runtime.ts'
import { WEB_APP } from '../web-build.ts'
import { installErrorHandler } from './errors.ts'
import { createRouter } from './route.ts'
import { authRoutes, SESSION_COOKIE } from './routes/auth.ts'
import { connectionRoutes } from './routes/connections.ts'
import { dataRoutes } from './routes/data.ts'
import { serveWebApp } from './web-app.ts'

/** Builds the HTTP server: API under /api/v1, health endpoints, and the web app when it is built. */
export const buildApp = async (rt: Runtime, o: { webDist?: string | null } = {}): Promise<FastifyInstance> => {
  const app = Fastify({
    loggerInstance: rt.logger.child({ component: 'http' }) as any,
    bodyLimit: 2 * 1024 * 1024,
    genReqId: () => `req-${Math.random().toString(36).slice(2, 10)}`,
    trustProxy: true,
  })
  await app.register(cookie)
  installErrorHandler(app)

  const authenticateToken = async (token: string): Promise<Principal | null> => {
    const t = await findTokenByHash(rt.db, hashToken(token))
    if (!t || (t.expires_at && new Date(t.expires_at) < new Date())) return null
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
    if (sid) {
      // cookies are only honoured from the same site: state-changing requests must not come from elsewhere
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const origin = req.headers.origin
        if (origin && new URL(origin).host !== req.headers.host) return null
      }
      const s = await findSession(rt.db, hashToken(sid))
      if (s)
        return { workspaceId: s.workspace_id, role: s.role, userId: s.user_id, username: s.username, via: 'session' }
    }
    return null
  }

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    try {
      await rt.db.query('SELECT 1')
      return { status: 'ready', database: rt.db.driver }
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: rt.db.driver })
    }
  })

  const router = createRouter(app, authenticate)
  authRoutes(rt, router, authenticateToken)
  connectionRoutes(rt, router)
  dataRoutes(rt, router)
  router.add({
    method: 'GET',
    url: '/api/v1/openapi.json',
    access: 'viewer',
    summary: 'This API as OpenAPI 3.1',
    tags: ['meta'],
    handler: async () => router.openapi(),
  })

  await serveWebApp(app, { dist: o.webDist === undefined ? WEB_APP.dist : o.webDist })
  return app
}
