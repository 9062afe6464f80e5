import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
import { fixturesDataset, generatedDataset, type OxDataset, type OxDatasetOptions } from './dataset.ts'

export type { OxDataset, OxDatasetOptions } from './dataset.ts'
export { fixturesDataset, generatedDataset } from './dataset.ts'

/**
 * OX Security simulator: POST /api/apollo-gateway answering GetIssues, GetSingleIssueInfo, GetApplications, and the
 * cheap CheckAccess / GetOrganizationInfo queries, recognised by operation name (the GraphQL text is not parsed beyond
 * that: the variables carry everything). Reproduces what OX is known to do (see /work/shared/upstream/ox.md):
 * raw key in Authorization, RateLimit-* headers on every answer, the request budget per window, `offset` answered as
 * request offset + limit even past the end, GraphQL `errors` arrays.
 *
 * OX-specific fault switches (sim.setFaults / POST /__sim/faults):
 *   listSelection: 'full' (default) | 'basic' (getIssues rejects sbom/direct lists) | 'none' (rejects scaVulnerabilities)
 *   graphqlErrorNext: n      the next n operations answer 200 {errors:[…], data:null}
 *   graphqlErrorMessage      the message of those errors
 *   denyIssues / denyApplications: true   the key lacks that read permission (FORBIDDEN errors on those fields)
 *   ignoreCategoryFilter / ignoreAppFilter: true   the server ignores that conditional filter (client must filter)
 *   maxPageSize: n           getIssues silently caps `limit` at n
 */
export interface OxSimulatorOptions {
  /** 'fixtures' (default: the real captures, 635 issues / 29 apps) or a generated dataset */
  dataset?: 'fixtures' | OxDatasetOptions | OxDataset
  /** the API key the simulator accepts (default 'ox-sim-key') */
  apiKey?: string
  rateLimit?: {
    /** requests per hour window (default 1000) */
    hourLimit?: number
    /** requests per day window (default 15000) */
    dayLimit?: number
    /** length of the "hour" window in ms (default 3,600,000); tests make it short or drive `now` */
    windowMs?: number
    dayWindowMs?: number
  }
  /** the simulator's clock (ms); tests advance it instead of waiting for a window */
  now?: () => number
  faults?: Faults
  port?: number
}

export interface OxSimulator extends Simulator {
  dataset: OxDataset
  apiKey: string
  /** requests per operation name */
  operations: Record<string, number>
  rate: { hourUsed: number; dayUsed: number; hourStart: number; dayStart: number; limited: number }
}

const gqlError = (message: string, code: string, path?: string[]) => ({
  message,
  ...(path ? { path } : {}),
  extensions: { code },
})

const operationOf = (body: any): string | undefined => {
  if (!body || typeof body !== 'object') return undefined
  if (typeof body.operationName === 'string' && body.operationName) return body.operationName
  const m = /^\s*(?:query|mutation)\s+(\w+)/.exec(String(body.query ?? ''))
  return m?.[1]
}

const SCA_FIELDS = [
  'scaVulnerabilities',
  'directSCAVulnerability',
  'noneDirectSCAVulnerability',
  'sbom',
  'aggregations',
  'scaTriggerPkg',
  'severityChangedReason',
  'isFixAvailable',
  'ruleId',
  'sourceTools',
]

/** drops the detail fields a selection did not ask for (a crude stand-in for GraphQL field selection) */
const project = (issue: any, query: string): any => {
  const out = { ...issue }
  for (const f of SCA_FIELDS) if (!new RegExp(`\\b${f}\\b`).test(query)) delete out[f]
  return out
}

const filtersOf = (input: any, faults: Faults) => {
  const cf: any[] = Array.isArray(input?.conditionalFilters) ? input.conditionalFilters : []
  const values = (name: string) =>
    cf.filter((c) => c?.fieldName === name).flatMap((c) => (Array.isArray(c.values) ? c.values.map(String) : []))
  return {
    categories: faults.ignoreCategoryFilter ? undefined : values('categories'),
    appIds: faults.ignoreAppFilter ? undefined : [...values('appIds'), ...values('appId')],
    appNames: faults.ignoreAppFilter ? undefined : values('apps'),
  }
}

export const startOxSimulator = async (opts: OxSimulatorOptions = {}): Promise<OxSimulator> => {
  const dataset: OxDataset =
    opts.dataset === undefined || opts.dataset === 'fixtures'
      ? fixturesDataset()
      : 'query' in (opts.dataset as any)
        ? (opts.dataset as OxDataset)
        : generatedDataset(opts.dataset as OxDatasetOptions)
  const apiKey = opts.apiKey ?? 'ox-sim-key'
  const now = opts.now ?? (() => Date.now())
  const hourLimit = opts.rateLimit?.hourLimit ?? 1000
  const dayLimit = opts.rateLimit?.dayLimit ?? 15000
  const windowMs = opts.rateLimit?.windowMs ?? 3_600_000
  const dayWindowMs = opts.rateLimit?.dayWindowMs ?? 86_400_000
  const rate = { hourUsed: 0, dayUsed: 0, hourStart: now(), dayStart: now(), limited: 0 }
  const operations: Record<string, number> = {}
  let sim: Simulator

  const rateHeaders = (): Record<string, string> => {
    const t = now()
    const hourLeft = Math.max(0, hourLimit - rate.hourUsed)
    const dayLeft = Math.max(0, dayLimit - rate.dayUsed)
    const hourReset = Math.max(0, Math.ceil((rate.hourStart + windowMs - t) / 1000))
    const dayReset = Math.max(0, Math.ceil((rate.dayStart + dayWindowMs - t) / 1000))
    // the tighter window is the active one
    const dayActive = dayLeft < hourLeft || (dayLeft === 0 && hourLeft === 0 && dayReset > hourReset)
    return {
      'ratelimit-hourlimit': String(hourLimit),
      'ratelimit-daylimit': String(dayLimit),
      'ratelimit-limit': String(dayActive ? dayLimit : hourLimit),
      'ratelimit-remaining': String(dayActive ? dayLeft : hourLeft),
      'ratelimit-reset': String(dayActive ? dayReset : hourReset),
    }
  }

  const roll = () => {
    const t = now()
    if (t >= rate.hourStart + windowMs) {
      rate.hourStart = t - ((t - rate.hourStart) % windowMs)
      rate.hourUsed = 0
    }
    if (t >= rate.dayStart + dayWindowMs) {
      rate.dayStart = t - ((t - rate.dayStart) % dayWindowMs)
      rate.dayUsed = 0
    }
  }

  const handle = (req: SimRequest): SimResponse => {
    const faults = sim.faults
    const auth = String(req.headers.authorization ?? '')
    if (!auth || (auth !== apiKey && auth !== `Bearer ${apiKey}`)) {
      // invented body (OX's is not documented); clients must rely on the status
      return { status: 401, body: { errors: [gqlError('Unauthorized', 'UNAUTHENTICATED')] } }
    }
    roll()
    if (rate.hourUsed >= hourLimit || rate.dayUsed >= dayLimit) {
      rate.limited++
      const h = rateHeaders()
      return {
        status: 429,
        headers: { ...h, 'retry-after': h['ratelimit-reset']! },
        body: { errors: [gqlError('Too many requests: rate limit exceeded', 'RATE_LIMITED')] },
      }
    }
    rate.hourUsed++
    rate.dayUsed++
    const headers = rateHeaders()
    const body = req.body
    const op = operationOf(body)
    const query = String(body?.query ?? '')
    const vars = (body?.variables ?? {}) as Record<string, any>
    operations[op ?? '(none)'] = (operations[op ?? '(none)'] ?? 0) + 1
    if (!op || !query)
      return { status: 400, headers, body: { errors: [gqlError('Must provide query string.', 'BAD_REQUEST')] } }

    if (Number(faults.graphqlErrorNext ?? 0) > 0) {
      faults.graphqlErrorNext = Number(faults.graphqlErrorNext) - 1
      return {
        status: 200,
        headers,
        body: {
          errors: [
            {
              ...gqlError(
                String(faults.graphqlErrorMessage ?? 'Internal server error while resolving the query'),
                'INTERNAL_SERVER_ERROR',
                ['getIssues'],
              ),
              locations: [{ line: 2, column: 3 }],
            },
          ],
          data: null,
        },
      }
    }

    const validation = (field: string, type: string) => ({
      status: 400,
      headers,
      body: {
        errors: [
          {
            ...gqlError(`Cannot query field "${field}" on type "${type}".`, 'GRAPHQL_VALIDATION_FAILED'),
            locations: [{ line: 5, column: 7 }],
          },
        ],
      },
    })

    switch (op) {
      case 'GetIssues': {
        const input = vars.getIssuesInput
        if (!input || typeof input.limit !== 'number')
          return {
            status: 400,
            headers,
            body: {
              errors: [
                gqlError(
                  'Variable "$getIssuesInput" got invalid value; Field "limit" of required type "Int!" was not provided.',
                  'BAD_USER_INPUT',
                ),
              ],
            },
          }
        const sel = String(faults.listSelection ?? 'full')
        if (sel === 'none' && /\bscaVulnerabilities\b/.test(query)) return validation('scaVulnerabilities', 'Issue')
        if (sel === 'basic' && /\b(sbom|directSCAVulnerability|noneDirectSCAVulnerability)\b/.test(query))
          return validation(/\bsbom\b/.test(query) ? 'sbom' : 'directSCAVulnerability', 'Issue')
        if (faults.denyIssues)
          return {
            status: 200,
            headers,
            body: {
              errors: [gqlError('Forbidden: the API key has no permission to read issues', 'FORBIDDEN', ['getIssues'])],
              data: { getIssues: null },
            },
          }
        const offset = Math.max(0, Number(input.offset ?? 0))
        const limit = Math.max(0, Number(input.limit))
        const served = faults.maxPageSize ? Math.min(limit, Number(faults.maxPageSize)) : limit
        const result = dataset.query(filtersOf(input, faults))
        const issues: any[] = []
        const page = Math.floor(offset / Math.max(1, limit)) + 1
        const emptyOnce = faults.emptyPageAt !== undefined && page === Number(faults.emptyPageAt)
        if (emptyOnce) faults.emptyPageAt = undefined
        if (!emptyOnce)
          for (let k = offset; k < Math.min(result.total, offset + served); k++) {
            const issue = result.at(k)
            if (issue) issues.push(project(issue, query))
          }
        // OX's quirk: offset = request offset + limit, even past the end
        return {
          status: 200,
          headers,
          body: {
            data: {
              getIssues: {
                issues,
                totalIssues: result.totalAll,
                totalFilteredIssues: result.total,
                totalResolvedIssues: 0,
                offset: offset + limit,
              },
            },
          },
        }
      }
      case 'GetSingleIssueInfo': {
        const issueId = vars.getSingleIssueInput?.issueId
        const issue = typeof issueId === 'string' ? dataset.issue(issueId) : undefined
        if (!issue)
          return {
            status: 200,
            headers,
            body: {
              errors: [gqlError(`Issue ${issueId} not found`, 'NOT_FOUND', ['getSingleIssueInfo'])],
              data: { getSingleIssueInfo: null },
            },
          }
        return { status: 200, headers, body: { data: { getSingleIssueInfo: issue } } }
      }
      case 'GetApplications': {
        if (faults.denyApplications)
          return {
            status: 200,
            headers,
            body: {
              errors: [
                gqlError('Forbidden: the API key has no permission to read applications', 'FORBIDDEN', [
                  'getApplications',
                ]),
              ],
              data: { getApplications: null },
            },
          }
        const input = vars.getApplicationsInput ?? {}
        const offset = Math.max(0, Number(input.offset ?? 0))
        const limit = Math.max(0, Number(input.limit ?? 50))
        const all = dataset.applications()
        return {
          status: 200,
          headers,
          body: {
            data: {
              getApplications: {
                applications: all.slice(offset, offset + limit),
                offset: offset + limit,
                total: all.length,
                totalFilteredApps: 0,
                totalIrrelevantApps: all.filter((a) => a.fakeApp).length,
              },
            },
          },
        }
      }
      case 'CheckAccess':
      case 'GetOrganizationInfo': {
        const errors: any[] = []
        const data: Record<string, unknown> = {}
        if (/\bgetOrganization\b/.test(query))
          data.getOrganization = { id: 'org-sim', name: 'sim-org', display_name: 'Simulated Org' }
        if (/\bgetApplications\b/.test(query)) {
          if (faults.denyApplications) {
            errors.push(
              gqlError('Forbidden: the API key has no permission to read applications', 'FORBIDDEN', [
                'getApplications',
              ]),
            )
            data.getApplications = null
          } else data.getApplications = { total: dataset.applications().length }
        }
        if (/\bgetIssues\b/.test(query)) {
          if (faults.denyIssues) {
            errors.push(gqlError('Forbidden: the API key has no permission to read issues', 'FORBIDDEN', ['getIssues']))
            data.getIssues = null
          } else data.getIssues = { totalIssues: dataset.query({}).totalAll }
        }
        return { status: 200, headers, body: errors.length ? { errors, data } : { data } }
      }
      default:
        return {
          status: 400,
          headers,
          body: { errors: [gqlError(`Unknown operation "${op}"`, 'GRAPHQL_VALIDATION_FAILED')] },
        }
    }
  }

  sim = await startSimulator({
    name: 'ox',
    port: opts.port,
    faults: opts.faults,
    errorBody: (status, message) => ({
      errors: [
        gqlError(
          message,
          status === 401 ? 'UNAUTHENTICATED' : status === 429 ? 'RATE_LIMITED' : 'INTERNAL_SERVER_ERROR',
        ),
      ],
    }),
    routes: [{ method: 'POST', path: '/api/apollo-gateway', handler: handle }],
  })
  return Object.assign(sim, { dataset, apiKey, operations, rate })
}
