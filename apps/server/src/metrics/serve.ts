import { timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const render = (rt: Pick<Runtime, 'metrics' | 'logger'>) =>
  rt.metrics.registry.render((name, err) =>
    rt.logger.warn({ metric: name, err: (err as Error).message }, 'a metric could not be read'),
  )

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * /metrics on the main listener, for scrapers that send `Authorization: Bearer <VULNSYNC_METRICS_TOKEN>` (a token of
 * its own: a scraper holds no API token). Without that setting there is no /metrics here.
 */
export const metricsRoute = (rt: Runtime, app: FastifyInstance) => {
  const token = rt.config.metrics.token
  if (!token) return
  app.get('/metrics', async (req, reply) => {
    const m = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))
    if (!m || !sameToken(m[1]!.trim(), token))
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({
          error: {
            code: 'unauthenticated',
            message: 'send Authorization: Bearer <VULNSYNC_METRICS_TOKEN>',
            reqId: req.id,
          },
        })
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(await render(rt))
  })
}

/**
 * /metrics on an address of its own (VULNSYNC_METRICS_LISTEN), without authentication: for a port only the
 * monitoring network reaches. Any process (serve or worker) can open one, each exposing its own counters.
 */
export const startMetricsListener = async (rt: Runtime): Promise<{ url: string; close(): Promise<void> } | null> => {
  const listen = rt.config.metrics.listen
  if (!listen) return null
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n')
      return
    }
    render(rt).then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  rt.logger.info({ host: listen.host, port }, 'metrics listening')
  return {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
