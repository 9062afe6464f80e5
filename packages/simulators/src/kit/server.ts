import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The simulator kit: a real HTTP server on a loopback port, a tiny router, and fault switches shared by every
 * vendor simulator. Vendor simulators give the routes and the shape of their error bodies; the kit does the rest.
 */
export interface SimRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  /** parsed JSON when the body is JSON, else the text */
  body: any
  rawBody: string
  params: Record<string, string>
  /** 1-based number of this request since start (or reset) */
  seq: number
}

export interface SimResponse {
  status?: number
  headers?: Record<string, string>
  /** objects are sent as JSON; strings as text; bytes (a Uint8Array) as they are */
  body?: unknown
}

export interface Route {
  method: string
  /** `/api/v1/things/:id`; `*` at the end matches the rest of the path into params['*'] */
  path: string
  handler: (req: SimRequest) => SimResponse | Promise<SimResponse>
}

export interface Faults {
  /** every Nth request answers 429 with Retry-After */
  rateLimitEvery?: number
  /** the next N requests answer 429 */
  rateLimitNext?: number
  retryAfterSeconds?: number
  /** the next N requests answer 503 */
  serverErrorNext?: number
  /** every Nth request answers 500 */
  serverErrorEvery?: number
  /** added to every response */
  latencyMs?: number
  /** the next N JSON bodies are cut in half */
  truncateNext?: number
  /** after N requests every request answers 401 (a token revoked mid-sync) */
  authFailAfter?: number
  /** vendor simulators answer an empty page at this page number (1-based) once */
  emptyPageAt?: number
  /** vendor-specific switches */
  [key: string]: unknown
}

export interface SimulatorOptions {
  name: string
  routes: Route[]
  faults?: Faults
  port?: number
  host?: string
  /** the vendor's error body for a status (401, 429, 500 …) */
  errorBody?: (status: number, message: string) => unknown
  /** return a response to refuse the request (auth), or undefined to let it through */
  authenticate?: (req: SimRequest) => SimResponse | undefined
  /** extra headers on every response (rate-limit headers …) */
  decorate?: (req: SimRequest, res: SimResponse) => void
}

export interface Simulator {
  name: string
  url: string
  port: number
  faults: Faults
  setFaults(f: Faults): void
  stats: { requests: number; byRoute: Record<string, number>; statuses: Record<number, number> }
  resetStats(): void
  close(): Promise<void>
}

const compile = (path: string): { re: RegExp; keys: string[] } => {
  const keys: string[] = []
  const pattern = path
    .split('/')
    .map((seg) => {
      if (seg === '*') {
        keys.push('*')
        return '(.*)'
      }
      if (seg.startsWith(':')) {
        keys.push(seg.slice(1))
        return '([^/]+)'
      }
      return seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return { re: new RegExp(`^${pattern}/?$`), keys }
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

/** A counted vendor switch: true (and one fewer left) while `faults[name]` is above 0. */
export const takeFault = (faults: Faults, name: string): boolean => {
  const n = Number(faults[name] ?? 0)
  if (n <= 0) return false
  faults[name] = n - 1
  return true
}

export const startSimulator = async (opts: SimulatorOptions): Promise<Simulator> => {
  const routes = opts.routes.map((r) => ({ ...r, ...compile(r.path) }))
  const faults: Faults = { ...(opts.faults ?? {}) }
  const stats = { requests: 0, byRoute: {} as Record<string, number>, statuses: {} as Record<number, number> }
  const errorBody = opts.errorBody ?? ((status: number, message: string) => ({ error: message, status }))

  const send = (res: ServerResponse, out: SimResponse, truncate: boolean) => {
    const status = out.status ?? 200
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1
    let payload: string | Uint8Array = ''
    const headers: Record<string, string> = { ...(out.headers ?? {}) }
    if (out.body instanceof Uint8Array) {
      payload = out.body
      headers['content-type'] ??= 'application/octet-stream'
    } else if (out.body !== undefined) {
      if (typeof out.body === 'string') {
        payload = out.body
        headers['content-type'] ??= 'text/plain; charset=utf-8'
      } else {
        payload = JSON.stringify(out.body)
        headers['content-type'] ??= 'application/json'
      }
    }
    if (truncate && payload.length > 2)
      payload =
        typeof payload === 'string'
          ? payload.slice(0, Math.floor(payload.length / 2))
          : payload.subarray(0, Math.floor(payload.length / 2))
    res.writeHead(status, headers)
    res.end(payload)
  }

  const server = createServer(async (req, res) => {
    const seq = ++stats.requests
    try {
      const url = new URL(req.url ?? '/', 'http://sim')
      const rawBody = await readBody(req)
      let body: any = rawBody
      if (rawBody && /json/.test(String(req.headers['content-type'] ?? '')))
        try {
          body = JSON.parse(rawBody)
        } catch {
          body = rawBody
        }
      const simReq: SimRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        rawBody,
        params: {},
        seq,
      }

      // admin endpoint: change faults at run time (used by `vulnsync demo` and browser tests)
      if (url.pathname === '/__sim/faults') {
        if (req.method === 'POST' && body && typeof body === 'object') Object.assign(faults, body)
        return send(res, { body: { faults, stats } }, false)
      }
      if (faults.latencyMs) await new Promise((r) => setTimeout(r, Number(faults.latencyMs)))

      const retryAfter = String(faults.retryAfterSeconds ?? 1)
      if ((faults.rateLimitNext ?? 0) > 0 || (faults.rateLimitEvery && seq % faults.rateLimitEvery === 0)) {
        if ((faults.rateLimitNext ?? 0) > 0) faults.rateLimitNext = (faults.rateLimitNext ?? 0) - 1
        return send(
          res,
          { status: 429, headers: { 'retry-after': retryAfter }, body: errorBody(429, 'rate limit exceeded') },
          false,
        )
      }
      if ((faults.serverErrorNext ?? 0) > 0 || (faults.serverErrorEvery && seq % faults.serverErrorEvery === 0)) {
        if ((faults.serverErrorNext ?? 0) > 0) faults.serverErrorNext = (faults.serverErrorNext ?? 0) - 1
        return send(res, { status: 503, body: errorBody(503, 'service unavailable') }, false)
      }
      if (faults.authFailAfter !== undefined && seq > faults.authFailAfter)
        return send(res, { status: 401, body: errorBody(401, 'token revoked') }, false)

      let matched: (typeof routes)[number] | undefined
      for (const r of routes) {
        if (r.method !== simReq.method && !(r.method === 'GET' && simReq.method === 'HEAD')) continue
        const m = r.re.exec(url.pathname)
        if (!m) continue
        r.keys.forEach((k, i) => {
          simReq.params[k] = decodeURIComponent(m[i + 1] ?? '')
        })
        matched = r
        break
      }
      if (!matched)
        return send(res, { status: 404, body: errorBody(404, `no route for ${req.method} ${url.pathname}`) }, false)
      stats.byRoute[`${matched.method} ${matched.path}`] = (stats.byRoute[`${matched.method} ${matched.path}`] ?? 0) + 1
      const denied = opts.authenticate?.(simReq)
      if (denied) return send(res, denied, false)
      const out = await matched.handler(simReq)
      opts.decorate?.(simReq, out)
      const truncate =
        (faults.truncateNext ?? 0) > 0 && typeof out.body === 'object' && !(out.body instanceof Uint8Array)
      if (truncate) faults.truncateNext = (faults.truncateNext ?? 0) - 1
      send(res, out, truncate)
    } catch (err) {
      send(res, { status: 500, body: errorBody(500, (err as Error).message) }, false)
    }
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    name: opts.name,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    faults,
    setFaults: (f) => {
      for (const k of Object.keys(faults)) delete faults[k]
      Object.assign(faults, f)
    },
    stats,
    resetStats: () => {
      stats.requests = 0
      stats.byRoute = {}
      stats.statuses = {}
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
