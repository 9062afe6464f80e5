import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { REPO_ROOT, WEB_APP, webAppFix } from '../web-build.ts'

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** What `/` answers while the web app is not built: the one command that builds it. */
export const notBuiltPage = (command: string, where: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>vulnsync: the web app is not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
pre{background:#f3f4f6;padding:.75rem 1rem;border-radius:6px;font-size:15px}</style></head>
<body>
<h1>The web app is not built</h1>
<p>Run this in <code>${escapeHtml(where)}</code>, then reload this page:</p>
<pre>${escapeHtml(command)}</pre>
<p>The API works meanwhile: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body>
</html>
`

const notFound = (req: FastifyRequest, reply: FastifyReply) =>
  reply.status(404).send({
    error: {
      code: 'not_found',
      message: `no route ${req.method} ${req.url.split('?')[0]}`,
      hint: 'see GET /api/v1/openapi.json',
      reqId: req.id,
    },
  })

/**
 * Serves the web app from `dist` (null: no web app, every unknown route is a JSON 404). Files are looked up per
 * request, so a build made while the server runs is served at once; any other GET outside /api/ gets index.html
 * (the app routes on the client), or, while there is no build, a page (503) with the command that makes one.
 */
export const serveWebApp = async (app: FastifyInstance, o: { dist: string | null }) => {
  const dist = o.dist
  if (!dist) {
    app.setNotFoundHandler(notFound)
    return
  }
  const index = join(dist, 'index.html')
  await app.register(fastifyStatic, { root: dist, prefix: '/', wildcard: true, index: 'index.html' })
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || req.method !== 'GET') return notFound(req, reply)
    if (existsSync(index)) return reply.type('text/html').sendFile('index.html')
    return reply
      .status(503)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(notBuiltPage(webAppFix(WEB_APP), REPO_ROOT))
  })
}
