import cookie from '@fastify/cookie'
import Fastify, { type FastifyInstance } from 'fastify'
import { z } from 'zod'
import { metricsRoute } from '../metrics/serve.ts'
import { statusClass } from '../metrics/vulnsync.ts'
import type { Runtime } from '../runtime.ts'
import { WEB_APP } from '../web-build.ts'
import { createAuthenticator } from './authenticate.ts'
import { installErrorHandler } from './errors.ts'
import { createRouter } from './route.ts'
import { auditRoutes } from './routes/audit.ts'
import { authRoutes } from './routes/auth.ts'
import { connectionRoutes } from './routes/connections.ts'
import { connectorRoutes } from './routes/connectors.ts'
import { decisionRoutes } from './routes/decisions.ts'
import { exportRoutes } from './routes/exports.ts'
import { feedRoutes } from './routes/feeds.ts'
import { fixRoutes } from './routes/fixes.ts'
import { hookRoutes } from './routes/hooks.ts'
import { insightRoutes } from './routes/insights.ts'
import { notificationRoutes } from './routes/notifications.ts'
import { ownershipRoutes } from './routes/ownership.ts'
import { policyRoutes } from './routes/policies.ts'
import { priorityPolicyRoutes } from './routes/priority-policy.ts'
import { repositoryRoutes } from './routes/repositories.ts'
import { syncRoutes } from './routes/syncs.ts'
import { tokenRoutes } from './routes/tokens.ts'
import { trackerRoutes } from './routes/trackers.ts'
import { userRoutes } from './routes/users.ts'
import { vulnerabilityRoutes } from './routes/vulnerabilities.ts'
import { installSecurityHeaders } from './security-headers.ts'
import { serveWebApp } from './web-app.ts'

/** Builds the HTTP server: API under /api/v1, health endpoints, and the web app when it is built. */
export const buildApp = async (rt: Runtime, o: { webDist?: string | null } = {}): Promise<FastifyInstance> => {
  const app = Fastify({
    loggerInstance: rt.logger.child({ component: 'http' }) as any,
    bodyLimit: 2 * 1024 * 1024,
    genReqId: () => `req-${Math.random().toString(36).slice(2, 10)}`,
    trustProxy: rt.config.trustProxy,
    // errors Fastify raises before routing (a URL that is not valid UTF-8): the same shape as every other error
    frameworkErrors: (err, req, reply: any) =>
      reply.status(400).send({
        error: {
          code: 'bad_request',
          message:
            err.code === 'FST_ERR_BAD_URL' ? 'the request URL is not valid: it is not well-formed UTF-8' : err.message,
          hint: 'percent-encode the URL as UTF-8',
          reqId: req.id,
        },
      }),
  })
  await app.register(cookie)
  installErrorHandler(app)
  installSecurityHeaders(app)
  // the request-duration histogram, by route pattern (never the raw URL: ids would make the labels unbounded)
  app.addHook('onResponse', async (req, reply) => {
    rt.metrics.httpDuration.observe(
      { route: req.routeOptions.url ?? 'unmatched', method: req.method, status_class: statusClass(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
  })

  const { authenticate, authenticateToken } = createAuthenticator(rt)

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    try {
      await rt.db.query('SELECT 1')
      return { status: 'ready', database: rt.db.driver }
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: rt.db.driver })
    }
  })

  const router = createRouter(app, authenticate, { validateResponses: rt.config.validateResponses })
  authRoutes(rt, router, authenticateToken)
  userRoutes(rt, router)
  tokenRoutes(rt, router)
  connectorRoutes(rt, router)
  connectionRoutes(rt, router)
  syncRoutes(rt, router)
  vulnerabilityRoutes(rt, router)
  insightRoutes(rt, router)
  decisionRoutes(rt, router)
  fixRoutes(rt, router)
  policyRoutes(rt, router)
  priorityPolicyRoutes(rt, router)
  feedRoutes(rt, router)
  repositoryRoutes(rt, router)
  ownershipRoutes(rt, router)
  auditRoutes(rt, router)
  notificationRoutes(rt, router)
  trackerRoutes(rt, router)
  exportRoutes(rt, router)
  await app.register(async (scope) => hookRoutes(rt, scope))
  metricsRoute(rt, app)
  router.add({
    method: 'GET',
    url: '/api/v1/openapi.json',
    access: 'viewer',
    summary: 'This API as OpenAPI 3.1',
    tags: ['meta'],
    response: z.record(z.string(), z.unknown()),
    handler: async () => router.openapi(),
  })

  await serveWebApp(app, { dist: o.webDist === undefined ? WEB_APP.dist : o.webDist })
  return app
}
