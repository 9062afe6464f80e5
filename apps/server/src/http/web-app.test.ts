import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../web-build.ts'
import { serveWebApp } from './web-app.ts'

const scratch = mkdtempSync(join(tmpdir(), 'vulnsync-web-app-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const serve = async (dist: string | null) => {
  app = Fastify()
  app.get('/healthz', async () => ({ status: 'ok' }))
  await serveWebApp(app, { dist })
  await app.ready()
  return app
}

describe('serving the web app', () => {
  it('while there is no build, / answers a page with the one command to run; the API still answers JSON', async () => {
    const dist = join(mkdtempSync(join(scratch, 'none-')), 'dist')
    const a = await serve(dist)
    const page = await a.inject({ method: 'GET', url: '/' })
    expect(page.statusCode).toBe(503)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('<h1>The web app is not built</h1>')
    expect(page.body).toContain(`<code>${REPO_ROOT}</code>`)
    expect(page.body).toContain('<pre>npm run build:web</pre>')
    // a client route gets the same page; the API and health endpoints are untouched
    expect((await a.inject({ method: 'GET', url: '/vulnerabilities/12' })).statusCode).toBe(503)
    const api = await a.inject({ method: 'GET', url: '/api/v1/nothing' })
    expect(api.statusCode).toBe(404)
    expect(api.json().error).toMatchObject({ code: 'not_found', message: 'no route GET /api/v1/nothing' })
    expect((await a.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
  })

  it('serves a build made while it runs at once: files, / and client routes (index.html)', async () => {
    const dist = join(mkdtempSync(join(scratch, 'later-')), 'dist')
    const a = await serve(dist)
    expect((await a.inject({ method: 'GET', url: '/' })).statusCode).toBe(503)

    mkdirSync(join(dist, 'assets'), { recursive: true })
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>')
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)')

    const root = await a.inject({ method: 'GET', url: '/' })
    expect(root.statusCode).toBe(200)
    expect(root.headers['content-type']).toMatch(/^text\/html/)
    expect(root.body).toBe('<!doctype html><div id="root"></div>')
    const js = await a.inject({ method: 'GET', url: '/assets/app.js' })
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toMatch(/javascript/)
    const route = await a.inject({ method: 'GET', url: '/hub?tab=scanners' })
    expect(route.statusCode).toBe(200)
    expect(route.body).toContain('<div id="root">')
    // unknown API routes and other methods stay JSON 404s
    expect((await a.inject({ method: 'GET', url: '/api/v1/nothing' })).json().error.code).toBe('not_found')
    const post = await a.inject({ method: 'POST', url: '/hub' })
    expect(post.statusCode).toBe(404)
    expect(post.json().error.message).toBe('no route POST /hub')
    // no way out of the build folder
    expect((await a.inject({ method: 'GET', url: '/../package.json' })).body).not.toContain('"name"')
  })

  it('with no web app (dist null) every unknown route is a JSON 404', async () => {
    const a = await serve(null)
    const r = await a.inject({ method: 'GET', url: '/' })
    expect(r.statusCode).toBe(404)
    expect(r.json().error).toMatchObject({ code: 'not_found', message: 'no route GET /' })
  })
})
