// Development-only mock of the public API (/api/v1), so the web app can be built before the server exists.
// Not shipped, not used by tests. Run: npx tsx dev/mock-api.ts  (PORT=8080, serves ../dist with SPA fallback too)
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PORT = Number(process.env.PORT ?? 8080)
const DIST = fileURLToPath(new URL('../dist', import.meta.url))
const SEV = ['critical', 'high', 'medium', 'low', 'info'] as const
const now = () => new Date().toISOString()

let rnd = 42
const rand = () => {
  rnd = (rnd * 1103515245 + 12345) % 2147483648
  return rnd / 2147483648
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T

const users = [{ id: 'u1', username: 'admin', role: 'admin', createdAt: now() }]
const sessions = new Set<string>()

const str = (label: string, help: string, extra: Record<string, unknown> = {}) => ({
  type: 'string',
  label,
  help,
  ...extra,
})
const connectors = [
  {
    kind: 'ox',
    title: 'OX Security',
    role: 'scanner',
    description: 'Imports SCA and container vulnerabilities from OX Security issues.',
    help: 'Create an API key in OX: Settings → API Key, with read access.',
    configSchema: {
      type: 'object',
      properties: {
        baseUrl: str('API URL', 'Your OX API endpoint.', {
          format: 'uri',
          default: 'https://api.cloud.ox.security',
          placeholder: 'https://api.cloud.ox.security',
        }),
      },
      required: ['baseUrl'],
    },
    secretsSchema: {
      type: 'object',
      properties: { apiKey: str('API key', 'OX → Settings → API Key. Read-only is enough.', { secret: true }) },
      required: ['apiKey'],
    },
  },
  {
    kind: 'endor',
    title: 'Endor Labs',
    role: 'scanner',
    description: 'Imports reachability-aware SCA and container findings from Endor Labs.',
    configSchema: {
      type: 'object',
      properties: {
        baseUrl: str('API URL', 'Endor Labs API.', { format: 'uri', default: 'https://api.endorlabs.com' }),
        namespace: str('Namespace', 'The tenant namespace, e.g. acme.', { placeholder: 'acme' }),
      },
      required: ['baseUrl', 'namespace'],
    },
    secretsSchema: {
      type: 'object',
      properties: {
        apiKey: str('API key', 'Settings → Access Control → API Keys, role Read-Only.', { secret: true }),
        apiSecret: str('API secret', 'Shown once when the key is created.', { secret: true }),
      },
      required: ['apiKey', 'apiSecret'],
    },
  },
  {
    kind: 'jfrog',
    title: 'JFrog Artifactory',
    role: 'scanner',
    description: 'Imports Xray vulnerabilities of container images and artifacts.',
    configSchema: {
      type: 'object',
      properties: {
        baseUrl: str('Platform URL', 'e.g. https://acme.jfrog.io', { format: 'uri' }),
        includeImages: {
          type: 'boolean',
          label: 'Container images',
          help: 'Import image vulnerabilities',
          default: true,
        },
      },
      required: ['baseUrl'],
    },
    secretsSchema: {
      type: 'object',
      properties: {
        token: str(
          'Access token',
          'Administration → User Management → Access Tokens, scope applied-permissions/user with Xray read.',
          { secret: true },
        ),
      },
      required: ['token'],
    },
  },
  {
    kind: 'github',
    title: 'GitHub',
    role: 'scm',
    description: 'Builds the repository inventory from GitHub organisations.',
    configSchema: {
      type: 'object',
      properties: {
        baseUrl: str('API URL', 'https://api.github.com or your GHES /api/v3', { default: 'https://api.github.com' }),
        org: str('Organisation', 'Login of the organisation'),
      },
      required: ['org'],
    },
    secretsSchema: {
      type: 'object',
      properties: {
        token: str('Token', 'Fine-grained token with Metadata: read on the organisation repositories.', {
          secret: true,
        }),
      },
      required: ['token'],
    },
  },
  {
    kind: 'gitlab',
    title: 'GitLab',
    role: 'scm',
    description: 'Builds the repository inventory from GitLab groups.',
    configSchema: {
      type: 'object',
      properties: {
        baseUrl: str('GitLab URL', 'e.g. https://gitlab.com', { default: 'https://gitlab.com' }),
        group: str('Group', 'Full path of the top group'),
      },
      required: ['group'],
    },
    secretsSchema: {
      type: 'object',
      properties: { token: str('Access token', 'Group access token with read_api.', { secret: true }) },
      required: ['token'],
    },
  },
]

type Run = Record<string, any>
const connections: Record<string, any>[] = []
const runs: Run[] = []
let seq = 1
const id = (p: string) => `${p}_${(seq++).toString(36)}`

function startRun(connectionId: string, trigger: string): Run {
  const run: Run = {
    id: id('run'),
    connectionId,
    trigger,
    status: 'running',
    startedAt: now(),
    finishedAt: null,
    progress: { pages: 0, records: 0 },
    counts: { fetched: 0, created: 0, updated: 0, unchanged: 0, reopened: 0, resolved: 0, unmatched: 0, skipped: {} },
  }
  runs.unshift(run)
  let tick = 0
  const t = setInterval(() => {
    tick++
    run.progress.pages = tick
    run.progress.records = tick * 100
    run.counts.fetched = tick * 100
    run.progress.pausedUntil = tick === 4 ? new Date(Date.now() + 4000).toISOString() : null
    if (tick >= 8) {
      clearInterval(t)
      run.status = 'succeeded'
      run.finishedAt = now()
      run.progress.pausedUntil = null
      Object.assign(run.counts, {
        created: 640,
        updated: 12,
        unchanged: 100,
        resolved: 3,
        unmatched: 20,
        skipped: { no_cve: 17, not_vulnerability: 8 },
      })
    }
  }, 1500)
  return run
}

const repos = Array.from({ length: 240 }, (_, i) => ({
  id: `r${i}`,
  provider: i % 3 ? 'github' : 'gitlab',
  fullName: `acme/${pick(['api', 'web', 'billing', 'auth', 'search', 'infra'])}-${i}`,
  webUrl: `https://github.com/acme/svc-${i}`,
  defaultBranch: 'main',
  archived: i % 17 === 0,
  visibility: 'private',
  removedAt: null,
}))
const PKGS = [
  'lodash',
  'express',
  'log4j-core',
  'openssl',
  'jackson-databind',
  'requests',
  'golang.org/x/net',
  'spring-web',
  'minimist',
  'glibc',
]
const vulns = Array.from({ length: 3000 }, (_, i) => {
  const sev = pick(SEV)
  const kinds = rand() < 0.3 ? ['ox', 'endor'] : [pick(['ox', 'endor', 'jfrog'])]
  const pkg = pick(PKGS)
  const repo = pick(repos)
  const image = kinds[0] === 'jfrog'
  const det = new Date(Date.now() - rand() * 200 * 86400000).toISOString()
  return {
    id: `v${i}`,
    cve: `CVE-20${20 + Math.floor(rand() * 5)}-${1000 + i}`,
    aliases: rand() < 0.3 ? [`GHSA-${i}x-abcd-efgh`] : [],
    package: { purl: `pkg:npm/${pkg}`, name: pkg, ecosystem: pick(['npm', 'maven', 'pypi', 'golang']) },
    versions: [`${Math.floor(rand() * 5)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 10)}`],
    target: image
      ? { kind: 'image', name: `registry.acme.io/team/${repo.fullName.split('/')[1]}` }
      : { kind: 'repository', name: repo.fullName, url: repo.webUrl },
    repository: image ? null : { id: repo.id, fullName: repo.fullName },
    severity: sev,
    priority: rand() < 0.3 ? pick(SEV) : sev,
    status: rand() < 0.85 ? 'open' : 'fixed',
    sources: kinds.map((k) => ({ kind: k, connectionId: `c_${k}`, connectionName: `${k} prod` })),
    detectedAt: det,
    firstSeenAt: det,
    lastSeenAt: now(),
    fixedVersions: rand() < 0.7 ? ['4.17.21'] : [],
  }
})

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(body === undefined ? undefined : JSON.stringify(body))
}
const err = (res: ServerResponse, status: number, code: string, message: string, hint?: string) =>
  send(res, status, { error: { code, message, hint } })

async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const s = Buffer.concat(chunks).toString()
  return s ? JSON.parse(s) : {}
}

function filterVulns(q: URLSearchParams) {
  let xs = vulns
  const f = (k: string, fn: (v: (typeof vulns)[number], x: string) => boolean) => {
    const x = q.get(k)
    if (x) xs = xs.filter((v) => fn(v, x.toLowerCase()))
  }
  f('source', (v, x) => v.sources.some((s) => s.kind === x))
  f('severity', (v, x) => v.severity === x)
  f('priority', (v, x) => v.priority === x)
  f('status', (v, x) => v.status === x)
  f('repository', (v, x) => v.target.name.toLowerCase().includes(x))
  f('cve', (v, x) => v.cve.toLowerCase().includes(x))
  f('package', (v, x) => v.package.name.includes(x))
  f('q', (v, x) => JSON.stringify(v).toLowerCase().includes(x))
  return xs
}

const rank = (s: string) => SEV.indexOf(s as (typeof SEV)[number])

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  const p = url.pathname
  const m = req.method ?? 'GET'
  if (!p.startsWith('/api/')) return serveStatic(p, res)
  const cookie = /vs_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  const authed = cookie && sessions.has(cookie)
  try {
    if (p === '/api/v1/auth/login' && m === 'POST') {
      const b = await body(req)
      if ((b.username === 'admin' && b.password === 'admin') || b.token === 'vs_token') {
        const s = id('s')
        sessions.add(s)
        return send(res, 200, { user: users[0] }, { 'set-cookie': `vs_session=${s}; HttpOnly; SameSite=Lax; Path=/` })
      }
      return err(res, 401, 'invalid_credentials', 'The user name or password is wrong.')
    }
    if (!authed) return err(res, 401, 'unauthenticated', 'Sign in first.')
    if (p === '/api/v1/auth/me') return send(res, 200, { user: users[0] })
    if (p === '/api/v1/auth/logout') {
      sessions.delete(cookie as string)
      return send(res, 204)
    }
    if (p === '/api/v1/users' && m === 'GET') return send(res, 200, { items: users })
    if (p === '/api/v1/users' && m === 'POST') {
      const b = await body(req)
      const u = { id: id('u'), username: b.username, role: b.role, createdAt: now() }
      users.push(u)
      return send(res, 201, { user: u })
    }
    let mm: RegExpExecArray | null
    mm = /^\/api\/v1\/users\/([^/]+)$/.exec(p)
    if (mm) {
      const u = users.find((x) => x.id === mm![1])
      if (!u) return err(res, 404, 'not_found', 'No such user')
      if (m === 'PATCH') Object.assign(u, (({ role }) => (role ? { role } : {}))(await body(req)))
      if (m === 'DELETE') users.splice(users.indexOf(u), 1)
      return send(res, m === 'DELETE' ? 204 : 200, m === 'DELETE' ? undefined : { user: u })
    }
    if (p === '/api/v1/connectors') return send(res, 200, { items: connectors })
    const withRun = (c: Record<string, any>) => ({ ...c, lastRun: runs.find((r) => r.connectionId === c.id) ?? null })
    if (p === '/api/v1/connections' && m === 'GET') return send(res, 200, { items: connections.map(withRun) })
    if (p === '/api/v1/connections' && m === 'POST') {
      const b = await body(req)
      const secret = Object.values(b.secrets ?? {})[0]
      if (secret === 'bad')
        return err(
          res,
          422,
          'check_failed',
          'the API token was rejected (HTTP 401): verify it is correct and has not expired',
          'Create a new key in the vendor settings.',
        )
      const c = {
        id: id('c'),
        kind: b.kind,
        name: b.name,
        config: b.config,
        locations: b.locations ?? null,
        scheduleCron: b.scheduleCron ?? null,
        status: 'active',
        nextSyncAt: new Date(Date.now() + 6 * 3600e3).toISOString(),
        createdAt: now(),
      }
      connections.push(c)
      const run = startRun(c.id, 'initial')
      return send(res, 201, { connection: c, run })
    }
    mm = /^\/api\/v1\/connections\/([^/]+)(\/[a-z]+)?$/.exec(p)
    if (mm) {
      const c = connections.find((x) => x.id === mm![1])
      if (!c) return err(res, 404, 'not_found', 'No such connection')
      const sub = mm[2]
      if (!sub && m === 'GET') return send(res, 200, withRun(c))
      if (!sub && m === 'PATCH') {
        const b = await body(req)
        for (const k of ['name', 'config', 'locations', 'scheduleCron']) if (k in b) c[k] = b[k]
        return send(res, 200, withRun(c))
      }
      if (!sub && m === 'DELETE') {
        connections.splice(connections.indexOf(c), 1)
        return send(res, 204)
      }
      if (sub === '/check')
        return send(res, 200, { ok: true, message: 'Connected as acme (read access to 42 projects)' })
      if (sub === '/syncs' && m === 'POST') return send(res, 202, { run: startRun(c.id, 'manual') })
      if (sub === '/locations')
        return send(res, 200, {
          items: Array.from({ length: 60 }, (_, i) => ({
            id: `p${i}`,
            name: `acme/project-${i}`,
            kind: 'project',
            description: i % 5 ? undefined : 'Monorepo root',
            matched: i % 3 ? { repositoryId: `r${i}`, fullName: `acme/project-${i}` } : null,
            selected: c.locations ? c.locations.includes(`p${i}`) : true,
          })),
          selection: c.locations,
        })
    }
    if (p === '/api/v1/syncs') {
      const cid = url.searchParams.get('connectionId')
      return send(res, 200, { items: runs.filter((r) => !cid || r.connectionId === cid) })
    }
    mm = /^\/api\/v1\/syncs\/([^/]+)$/.exec(p)
    if (mm)
      return send(
        res,
        200,
        runs.find((r) => r.id === mm![1]),
      )
    if (p === '/api/v1/vulnerabilities/summary') {
      const xs = filterVulns(url.searchParams)
      const by = (k: 'severity' | 'priority') =>
        Object.fromEntries(SEV.map((s) => [s, xs.filter((v) => v[k] === s).length]))
      return send(res, 200, { total: xs.length, bySeverity: by('severity'), byPriority: by('priority') })
    }
    if (p === '/api/v1/vulnerabilities/export.csv') {
      res.writeHead(200, {
        'content-type': 'text/csv',
        'content-disposition': 'attachment; filename="vulnerabilities.csv"',
      })
      return res.end(
        `cve,package,severity\n${filterVulns(url.searchParams)
          .map((v) => `${v.cve},${v.package.name},${v.severity}`)
          .join('\n')}`,
      )
    }
    if (p === '/api/v1/vulnerabilities') {
      const xs = [...filterVulns(url.searchParams)]
      const sort = url.searchParams.get('sort') ?? 'priority'
      if (sort === 'priority') xs.sort((a, b) => rank(a.priority) - rank(b.priority))
      if (sort === 'severity') xs.sort((a, b) => rank(a.severity) - rank(b.severity))
      if (sort === 'cve') xs.sort((a, b) => a.cve.localeCompare(b.cve))
      if (sort === 'detectedAt') xs.sort((a, b) => a.detectedAt.localeCompare(b.detectedAt))
      if (sort === '-detectedAt') xs.sort((a, b) => b.detectedAt.localeCompare(a.detectedAt))
      const limit = Number(url.searchParams.get('limit') ?? 50)
      const off = Number(url.searchParams.get('cursor') ?? 0)
      const items = xs.slice(off, off + limit)
      await new Promise((r) => setTimeout(r, 120))
      return send(res, 200, {
        items,
        nextCursor: off + limit < xs.length ? String(off + limit) : null,
        total: xs.length,
      })
    }
    mm = /^\/api\/v1\/vulnerabilities\/([^/]+)$/.exec(p)
    if (mm) {
      const v = vulns.find((x) => x.id === mm![1])
      if (!v) return err(res, 404, 'not_found', 'No such vulnerability')
      return send(res, 200, {
        ...v,
        fixedAt: null,
        explanation: `${v.severity} → ${v.priority} because the vulnerable function is unreachable (endor) and no known exploit`,
        factors: [
          {
            code: 'function_unreachable',
            effect: 'lower',
            levels: 1,
            text: 'the vulnerable function is unreachable',
            sources: ['endor'],
          },
          { code: 'epss_low', effect: 'none', levels: 0, text: 'EPSS 0.20%: exploitation unlikely', sources: ['ox'] },
          {
            code: 'fix_available',
            effect: 'none',
            levels: 0,
            text: 'a fixed version is available',
            sources: ['ox', 'endor'],
          },
        ],
        occurrences: v.sources.map((s, i) => ({
          id: `o${i}`,
          connectionId: s.connectionId,
          connectionName: s.connectionName,
          kind: s.kind,
          severity: v.severity,
          vendorSeverity: s.kind === 'ox' ? 'Appoxalypse' : 'CRITICAL',
          detectedAt: i ? null : v.detectedAt,
          detectedAtSource: i ? 'first_seen' : 'vendor',
          firstSeenAt: v.firstSeenAt,
          lastSeenAt: v.lastSeenAt,
          state: 'present',
          evidence: {
            manifestFile: 'package-lock.json',
            line: 1234,
            dependencyPaths: [['app@1.0.0', 'express@4.17.1', `${v.package.name}@${v.versions[0]}`]],
            reachability: 'unreachable',
          },
          fixedVersions: v.fixedVersions,
          link: `https://app.example.com/${s.kind}/issue/${v.id}`,
          packageVersion: v.versions[0],
          raw: { id: v.id, cve: v.cve },
        })),
      })
    }
    if (p === '/api/v1/repositories') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase()
      const xs = repos.filter((r) => r.fullName.includes(q))
      const limit = Number(url.searchParams.get('limit') ?? 50)
      const off = Number(url.searchParams.get('cursor') ?? 0)
      return send(res, 200, {
        items: xs.slice(off, off + limit),
        nextCursor: off + limit < xs.length ? String(off + limit) : null,
        total: xs.length,
      })
    }
    if (p === '/api/v1/unmatched') return send(res, 200, { items: unmatched })
    mm = /^\/api\/v1\/unmatched\/(.+)\/mapping$/.exec(p)
    if (mm && m === 'PUT') {
      const key = decodeURIComponent(mm[1] as string)
      const i = unmatched.findIndex((u) => u.key === key)
      if (i >= 0) unmatched.splice(i, 1)
      return send(res, 200, { ok: true })
    }
    return err(res, 404, 'not_found', `No route ${m} ${p}`)
  } catch (e) {
    return err(res, 500, 'internal', String(e))
  }
})

const unmatched = [
  {
    key: 'ox:git@github.com:acme/legacy-billing.git',
    kind: 'ox',
    connectionId: 'c_ox',
    connectionName: 'OX prod',
    targetKind: 'repository',
    display: 'git@github.com:acme/legacy-billing.git',
    findings: 37,
  },
  {
    key: 'endor:https://bitbucket.example.com/scm/pay/gateway',
    kind: 'endor',
    connectionId: 'c_endor',
    connectionName: 'Endor prod',
    targetKind: 'repository',
    display: 'https://bitbucket.example.com/scm/pay/gateway',
    findings: 12,
  },
]

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
}
function serveStatic(p: string, res: ServerResponse) {
  let file = join(DIST, p)
  if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html')
  if (!existsSync(file)) return send(res, 404, { error: { code: 'no_dist', message: 'run vite build first' } })
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
  createReadStream(file).pipe(res)
}

server.listen(PORT, '127.0.0.1', () => console.log(`mock API on http://127.0.0.1:${PORT}`))
