import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
import { createEndorDataset, type EndorDataset, type EndorDatasetOptions } from './dataset.ts'
import { evaluate, FilterError, type Node, parseFilter, pathsOfFilter, requiredValues, valuesAt } from './filter.ts'

export { createEndorDataset, type EndorDataset, type EndorDatasetOptions } from './dataset.ts'
export { evaluate, FilterError, parseFilter } from './filter.ts'

/**
 * Endor Labs API simulator (endor.md §9). Vendor-specific fault switches (set with sim.setFaults / POST /__sim/faults,
 * alongside the kit's rateLimitNext, serverErrorNext, authFailAfter, emptyPageAt …):
 *   tokenLifetimeSeconds   lifetime of issued tokens (default 14400 = 4 h)
 *   expiryField            'expirationTime' (default) | 'expiration_time' | 'both' | 'none' (JWT exp only)
 *   lastPage               'omit' (default: no cursor on the last page) | 'empty' (a cursor on every non-empty page,
 *                          then an empty page with "response": {})
 *   deadlineAbovePageSize  page sizes above this answer HTTP 504 {"code":4,"message":"context deadline exceeded"}
 *   cursorKind             'both' (default) | 'id' (only next_page_id) | 'token' (only next_page_token)
 *   pageSizeOver500        'clamp' (default) | 'reject' (400 code 3)
 *   repeatCursorAt         the findings list page with this number (1-based, counted since start) hands back the
 *                          cursor it was given (a server that would loop a naive client), once
 *   endListAtPage          the findings list page with this number comes without a cursor although more follow
 *                          (a list that ends early; the count still says the full number), once
 *   rejectTokens           every bearer call answers 401 even with a fresh token (key revoked after the exchange)
 *   rejectKeys             the token exchange answers 401 (wrong, expired or revoked key)
 *   emptyPageAt            (kit) the findings list page with this number answers an empty page once
 */
export interface EndorSimKey {
  key: string
  secret: string
  /** namespace the key was issued for */
  namespace: string
  /** applies to child namespaces too (Endor's default) */
  propagate?: boolean
  /** an expired key: the exchange answers 401 */
  expired?: boolean
}

export interface EndorSimulatorOptions extends EndorDatasetOptions {
  keys?: EndorSimKey[]
  faults?: Faults
  port?: number
  /** the simulator's clock (tests share a fake clock with the connector to expire tokens) */
  now?: () => number
}

export interface EndorSimulator extends Simulator {
  dataset: EndorDataset
  keys: EndorSimKey[]
  /** how many token exchanges succeeded */
  exchanges: number
  /** expire every token issued so far (a token running out mid-sync) */
  expireTokens(): void
}

export const DEFAULT_ENDOR_KEY: EndorSimKey = {
  key: 'endr+sim-key',
  secret: 'endr+sim-secret',
  namespace: 'acme',
  propagate: true,
}

const GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14, 504: 4 }

/** Endor's error envelope: a gRPC Status with an HTTPErrorInfo detail (none for deadline exceeded). */
export const endorError = (status: number, message: string) => ({
  code: GRPC[status] ?? 2,
  message,
  details:
    status === 504
      ? []
      : [{ '@type': 'type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo', status_code: status }],
})

const err = (status: number, message: string): SimResponse => ({ status, body: endorError(status, message) })

const b64url = (s: string) =>
  Buffer.from(s).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')

const FINDING_FILTER_PATHS = [
  'uuid',
  'tenant_meta.namespace',
  'context.type',
  'context.id',
  'meta.name',
  'meta.description',
  'meta.create_time',
  'meta.update_time',
  'meta.upsert_time',
  'meta.parent_uuid',
  'meta.parent_kind',
  'spec.project_uuid',
  'spec.level',
  'spec.finding_categories',
  'spec.finding_tags',
  'spec.dismiss',
  'spec.ecosystem',
  'spec.extra_key',
  'spec.target_dependency_name',
  'spec.target_dependency_package_name',
  'spec.target_dependency_version',
  'spec.last_processed',
  'spec.finding_metadata.vulnerability.meta.name',
  'spec.finding_metadata.vulnerability.spec.aliases',
]
const PROJECT_FILTER_PATHS = [
  'uuid',
  'tenant_meta.namespace',
  'meta.name',
  'meta.create_time',
  'meta.update_time',
  'spec.git.http_clone_url',
  'spec.git.git_clone_url',
  'spec.git.full_name',
  'spec.platform_source',
]

/** every dot path present in some sample objects (for mask validation) */
const pathsOf = (objs: unknown[]): Set<string> => {
  const out = new Set<string>()
  const walk = (o: unknown, prefix: string) => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) return
    for (const [k, v] of Object.entries(o)) {
      const p = prefix ? `${prefix}.${k}` : k
      out.add(p)
      walk(Array.isArray(v) ? v[0] : v, p)
    }
  }
  for (const o of objs) walk(o, '')
  return out
}

const applyMask = (obj: any, paths: string[]): any => {
  const out: any = { uuid: obj.uuid }
  for (const path of paths) {
    const segs = path.split('.')
    let src = obj
    for (const s of segs) src = src && typeof src === 'object' ? src[s] : undefined
    if (src === undefined) continue
    let dst = out
    segs.forEach((s, i) => {
      if (i === segs.length - 1) dst[s] = src
      else dst = dst[s] ??= {}
    })
  }
  return out
}

const HEAD_PATHS = new Set([
  'uuid',
  'tenant_meta.namespace',
  'context.type',
  'spec.project_uuid',
  'spec.finding_categories',
])

interface ScannedPage {
  objects: any[]
  /** the objects as they are sent (masked), serialised */
  json: string
  /** the index after the last one scanned */
  end: number
}

/** Up to pageSize matching records from index `start` on. */
const scan = (
  matches: (i: number) => any | null,
  count: number,
  start: number,
  pageSize: number,
  mask: string[] | null,
): ScannedPage => {
  const objects: any[] = []
  let i = start
  for (; i < count && objects.length < pageSize; i++) {
    const obj = matches(i)
    if (obj) objects.push(obj)
  }
  return { objects, json: JSON.stringify(mask ? objects.map((o) => applyMask(o, mask)) : objects), end: i }
}

interface Source {
  kind: 'Finding' | 'Project'
  count: number
  get(i: number): any
  /** a cheap partial record with HEAD_PATHS, when the source has one */
  head?(i: number): any
  ns(i: number): string
  project?(i: number): string
  position(uuid: string): number
  filterPaths: Set<string>
  maskPaths(): Set<string>
}

export const startEndorSimulator = async (opts: EndorSimulatorOptions = {}): Promise<EndorSimulator> => {
  const dataset = createEndorDataset(opts)
  const keys = opts.keys ?? [{ ...DEFAULT_ENDOR_KEY, namespace: dataset.namespace }]
  const now = opts.now ?? (() => Date.now())
  const tokens = new Map<string, { exp: number; key: EndorSimKey }>()
  let jti = 0
  let findingPages = 0
  const counts = new Map<string, number>()
  const offsets = new Map<string, Map<number, number>>()

  const nsCount = dataset.namespaces.length
  const findings: Source = {
    kind: 'Finding',
    count: dataset.findingCount,
    get: dataset.finding,
    head: dataset.findingHead,
    ns: (i) => dataset.namespaces[dataset.findingProject(i) % nsCount]!,
    project: (i) => dataset.projectUuid(dataset.findingProject(i)),
    position: dataset.findingPosition,
    filterPaths: new Set(FINDING_FILTER_PATHS),
    maskPaths: (() => {
      let cache: Set<string> | undefined
      return () => {
        cache ??= new Set([
          ...FINDING_FILTER_PATHS,
          ...pathsOf(Array.from({ length: Math.min(200, dataset.findingCount) }, (_, i) => dataset.finding(i))),
        ])
        return cache
      }
    })(),
  }
  const projects: Source = {
    kind: 'Project',
    count: dataset.projectCount,
    get: dataset.project,
    ns: (i) => dataset.namespaces[i % nsCount]!,
    position: dataset.projectPosition,
    filterPaths: new Set(PROJECT_FILTER_PATHS),
    maskPaths: (() => {
      let cache: Set<string> | undefined
      return () => {
        cache ??= new Set([
          ...PROJECT_FILTER_PATHS,
          ...pathsOf(Array.from({ length: Math.min(14, dataset.projectCount) }, (_, i) => dataset.project(i))),
          'spec.git.web_url',
          'spec.git.organization',
          'spec.git.path',
          'spec.sbom',
          'spec.sbom.kind',
        ])
        return cache
      }
    })(),
  }

  /** one page generated ahead of the request for it: the list it belongs to and where it starts */
  let ahead: { scanKey: string; start: number; page: ScannedPage } | null = null
  const takeAhead = (scanKey: string, start: number): ScannedPage | null => {
    if (ahead?.scanKey !== scanKey || ahead.start !== start) return null
    const page = ahead.page
    ahead = null
    return page
  }

  const inNs = (requested: string, traverse: boolean) => (x: string) =>
    x === requested || (traverse && x.startsWith(`${requested}.`))

  let sim: Simulator

  const list = (src: Source, req: SimRequest): SimResponse => {
    const q = req.query
    const ns = req.params.ns!
    const traverse = (q.get('list_parameters.traverse') ?? 'false').toLowerCase() === 'true'
    const filterSrc = q.get('list_parameters.filter') ?? ''
    let filter: Node | null = null
    try {
      filter = filterSrc.trim() ? parseFilter(filterSrc, src.filterPaths, now()) : null
    } catch (e) {
      if (e instanceof FilterError) return err(400, e.message)
      throw e
    }
    const maskSrc = q.get('list_parameters.mask')
    const mask = maskSrc
      ? maskSrc
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : null
    if (mask) {
      const known = src.maskPaths()
      const bad = mask.find((m) => !known.has(m))
      if (bad)
        return err(
          400,
          `mask: proto: invalid path &#34;${bad}&#34; for message &#34;internal.endor.ai.endor.v1.${src.kind}&#34;`,
        )
    }
    const nsOk = inNs(ns, traverse)
    const projectSet = filter && src.project ? requiredValues(filter, 'spec.project_uuid') : null
    // a filter on head fields only is decided without generating the record
    const headOnly = Boolean(filter && src.head && [...pathsOfFilter(filter)].every((p) => HEAD_PATHS.has(p)))
    const test = (i: number): boolean => {
      if (!nsOk(src.ns(i))) return false
      if (projectSet && !projectSet.has(src.project!(i))) return false
      return !filter || evaluate(filter, headOnly ? src.head!(i) : src.get(i))
    }
    const matches = (i: number): any | null => {
      if (!test(i)) return null
      const obj = src.get(i)
      return headOnly || !filter || evaluate(filter, obj) ? obj : null
    }
    const key = `${src.kind}|${ns}|${traverse}|${filterSrc}`

    if ((q.get('list_parameters.count') ?? '').toLowerCase() === 'true') {
      let n = counts.get(key)
      if (n === undefined) {
        n = 0
        for (let i = 0; i < src.count; i++) if (test(i)) n++
        counts.set(key, n)
      }
      return { body: { count_response: { count: n } } }
    }

    let pageSize = Number(q.get('list_parameters.page_size') ?? 100)
    if (!Number.isInteger(pageSize) || pageSize < 0) return err(400, 'invalid page_size')
    if (pageSize === 0) pageSize = 100
    if (pageSize > 500) {
      if (sim.faults.pageSizeOver500 === 'reject') return err(400, 'list_parameters.page_size must be at most 500')
      pageSize = 500
    }
    const deadline = Number(sim.faults.deadlineAbovePageSize ?? 0)
    if (deadline > 0 && pageSize > deadline) return err(504, 'context deadline exceeded')

    let pageNo = 0
    if (src.kind === 'Finding') pageNo = ++findingPages
    if (src.kind === 'Finding' && Number(sim.faults.emptyPageAt ?? 0) === pageNo) {
      delete sim.faults.emptyPageAt
      return { body: { list: { objects: [], response: {} } } }
    }

    // where to start: page_id = the uuid after which to continue (uuid-ascending); page_token = offset in matches
    const pageId = q.get('list_parameters.page_id')
    const pageTokenRaw = q.get('list_parameters.page_token')
    let start = 0
    let offset = 0
    if (pageId) {
      start = Math.floor(src.position(pageId)) + 1
    } else if (pageTokenRaw) {
      offset = Number(pageTokenRaw)
      if (!Number.isInteger(offset) || offset < 0) return err(400, 'invalid page_token')
      const known = offsets.get(key)?.get(offset)
      if (known !== undefined) start = known
      else {
        let seen = 0
        start = src.count
        for (let i = 0; i < src.count; i++) {
          if (!test(i)) continue
          if (seen === offset) {
            start = i
            break
          }
          seen++
        }
      }
    }
    // the page's records: generated ahead (a client reads a list in order) or now; serialised once, masked
    const scanKey = `${key}|${maskSrc ?? ''}|${pageSize}`
    const page = takeAhead(scanKey, Math.max(0, start)) ?? scan(matches, src.count, Math.max(0, start), pageSize, mask)
    const { objects, json } = page
    const i = page.end
    const nextOffset = offset + objects.length
    let m = offsets.get(key)
    if (!m) {
      m = new Map()
      offsets.set(key, m)
    }
    if (m.size < 100_000) m.set(nextOffset, i)

    let response: Record<string, unknown> = {}
    if (objects.length > 0) {
      let more = true
      if ((sim.faults.lastPage ?? 'omit') === 'omit') {
        more = false
        for (let j = i; j < src.count; j++)
          if (test(j)) {
            more = true
            break
          }
      }
      const kind = String(sim.faults.cursorKind ?? 'both')
      if (more)
        response = {
          ...(kind !== 'token' ? { next_page_id: objects[objects.length - 1].uuid } : {}),
          ...(kind !== 'id' ? { next_page_token: nextOffset } : {}),
        }
    }
    if (src.kind === 'Finding' && Number(sim.faults.repeatCursorAt ?? 0) === pageNo && (pageId || pageTokenRaw)) {
      delete sim.faults.repeatCursorAt
      response = { next_page_id: pageId ?? undefined, next_page_token: pageTokenRaw ? Number(pageTokenRaw) : undefined }
    }
    if (src.kind === 'Finding' && Number(sim.faults.endListAtPage ?? 0) === pageNo) {
      delete sim.faults.endListAtPage
      response = {}
    }
    // the next page of this list, generated while the client reads this one (when nothing else is waiting)
    if (i < src.count && objects.length > 0) {
      const nextStart = i
      setImmediate(() => {
        if (ahead?.scanKey === scanKey && ahead.start === nextStart) return
        ahead = { scanKey, start: nextStart, page: scan(matches, src.count, nextStart, pageSize, mask) }
      })
    }
    return {
      headers: { 'content-type': 'application/json' },
      body: `{"list":{"objects":${json},"response":${JSON.stringify(response)}}}`,
    }
  }

  const getOne = (src: Source, req: SimRequest): SimResponse => {
    const pos = src.position(req.params.uuid!)
    const ns = req.params.ns!
    if (!Number.isInteger(pos) || pos < 0 || pos >= src.count || src.ns(pos) !== ns)
      return err(404, 'Resource not found')
    return { body: src.get(pos) }
  }

  const issueToken = (key: EndorSimKey): Record<string, unknown> => {
    const lifetime = Number(sim.faults.tokenLifetimeSeconds ?? 14_400) * 1000
    const issued = now()
    const exp = issued + lifetime
    const payload = {
      sub: `api-key/${key.key}`,
      iat: Math.floor(issued / 1000),
      exp: Math.floor(exp / 1000),
      jti: ++jti,
      ns: key.namespace,
    }
    const token = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.${b64url(`sim-signature-${jti}`)}`
    tokens.set(token, { exp, key })
    handle.exchanges++
    const at = new Date(exp).toISOString()
    const mode = String(sim.faults.expiryField ?? 'expirationTime')
    const body: Record<string, unknown> = { token }
    if (mode === 'expirationTime' || mode === 'both') body.expirationTime = at
    if (mode === 'expiration_time' || mode === 'both') body.expiration_time = at
    return body
  }

  const authenticate = (req: SimRequest): SimResponse | undefined => {
    if (req.method === 'POST' && req.path === '/v1/auth/api-key') return undefined
    const auth = String(req.headers.authorization ?? '')
    const m = /^Bearer\s+(\S+)$/i.exec(auth)
    const t = m ? tokens.get(m[1]!) : undefined
    if (!t || t.exp <= now() || sim.faults.rejectTokens) return err(401, 'Invalid authorization header: Bearer')
    const ns = req.params.ns
    if (ns && !(ns === t.key.namespace || (t.key.propagate !== false && ns.startsWith(`${t.key.namespace}.`))))
      return err(403, 'Unauthorized request for given endpoint')
    if (ns && !dataset.namespaces.includes(ns)) return err(403, 'Unauthorized request for given endpoint')
    return undefined
  }

  sim = await startSimulator({
    name: 'endor',
    port: opts.port,
    faults: opts.faults,
    errorBody: (status, message) => endorError(status, message),
    authenticate,
    routes: [
      {
        method: 'POST',
        path: '/v1/auth/api-key',
        handler: (req) => {
          const body =
            typeof req.body === 'object' && req.body
              ? req.body
              : (() => {
                  try {
                    return JSON.parse(req.rawBody || '{}')
                  } catch {
                    return {}
                  }
                })()
          if (typeof body.key !== 'string' || typeof body.secret !== 'string')
            return err(400, 'key and secret are required')
          const key = keys.find((k) => k.key === body.key && k.secret === body.secret)
          if (!key || key.expired || sim.faults.rejectKeys)
            return err(401, 'Unauthenticated: invalid API key or secret')
          return { body: issueToken(key) }
        },
      },
      {
        method: 'GET',
        path: '/v1/auth',
        handler: (req) => {
          const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))
          const t = tokens.get(m?.[1] ?? '')!
          return {
            body: {
              authentication_source: 'AUTHENTICATION_SOURCE_API_KEY',
              expiration_time: new Date(t.exp).toISOString(),
              user: { meta: { name: t.key.key } },
            },
          }
        },
      },
      { method: 'GET', path: '/v1/namespaces/:ns/findings', handler: (req) => list(findings, req) },
      { method: 'GET', path: '/v1/namespaces/:ns/findings/:uuid', handler: (req) => getOne(findings, req) },
      { method: 'GET', path: '/v1/namespaces/:ns/projects', handler: (req) => list(projects, req) },
      { method: 'GET', path: '/v1/namespaces/:ns/projects/:uuid', handler: (req) => getOne(projects, req) },
    ],
  })

  const handle: EndorSimulator = Object.assign(sim, {
    dataset,
    keys,
    exchanges: 0,
    expireTokens: () => {
      for (const t of tokens.values()) t.exp = 0
    },
  })
  return handle
}

/** What a correct import of a generated tenant yields: counts by outcome, computed from the dataset (tests). */
export const expectedEndorImport = (
  dataset: EndorDataset,
  opts: { projects?: Set<string>; namespace?: string } = {},
) => {
  let listed = 0 // what the connector's filter returns (main context, category vulnerability)
  let withCve = 0
  let mapped = 0 // CVE occurrences (one per CVE)
  let noCve = 0
  const ns = opts.namespace ?? dataset.namespace
  for (let i = 0; i < dataset.findingCount; i++) {
    const f = dataset.finding(i)
    if (!(f.tenant_meta.namespace === ns || f.tenant_meta.namespace.startsWith(`${ns}.`))) continue
    if (opts.projects && !opts.projects.has(f.spec.project_uuid)) continue
    if (f.context.type !== 'CONTEXT_TYPE_MAIN') continue
    if (!f.spec.finding_categories.includes('FINDING_CATEGORY_VULNERABILITY')) continue
    listed++
    const v = f.spec.finding_metadata.vulnerability
    const ids = new Set<string>()
    for (const x of [...v.spec.aliases, v.meta.name, f.spec.extra_key, v.spec.raw?.endor_vulnerability?.cve_id])
      if (typeof x === 'string' && /^CVE-\d{4}-\d{4,}$/.test(x)) ids.add(x)
    if (ids.size) {
      withCve++
      mapped += ids.size
    } else noCve++
  }
  return { listed, withCve, mapped, noCve }
}

export { valuesAt }
