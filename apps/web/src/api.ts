// Typed client of the public API (/api/v1). The web app talks to nothing else.

export type Role = 'admin' | 'member' | 'viewer'
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info'
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info']

export interface User {
  id: string
  username: string
  role: Role
  createdAt?: string
}

export interface JsonSchemaProp {
  type?: string | string[]
  format?: string
  enum?: unknown[]
  const?: unknown
  default?: unknown
  items?: JsonSchemaProp
  anyOf?: JsonSchemaProp[]
  oneOf?: JsonSchemaProp[]
  minimum?: number
  maximum?: number
  label?: string
  title?: string
  help?: string
  description?: string
  placeholder?: string
  secret?: boolean
}

export interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchemaProp>
  required?: string[]
}

export interface ConnectorInfo {
  kind: string
  title: string
  /** the letters of the connector's badge (no vendor logos) */
  logoLetters: string
  description: string
  help?: string
  role: 'scanner' | 'scm'
  configSchema: JsonSchema
  secretsSchema: JsonSchema
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'partial' | 'cancelled' | 'held'

export interface RunCounts {
  fetched: number
  created: number
  updated: number
  unchanged: number
  reopened: number
  resolved: number
  unmatched: number
  skipped: Record<string, number>
}

export interface Run {
  id: string
  connectionId: string
  trigger: 'initial' | 'scheduled' | 'manual' | string
  status: RunStatus
  startedAt: string | null
  finishedAt: string | null
  createdAt?: string
  queuedAt?: string
  durationMs?: number | null
  attempts?: number
  incompleteScopes?: { scope: string; reason: string }[] | string[]
  progress?: { pages?: number; records?: number; total?: number; message?: string; pausedUntil?: string | null } | null
  counts?: Partial<RunCounts> | null
  error?: { message: string; hint?: string; code?: string } | null
}

export interface Connection {
  id: string
  kind: string
  name: string
  config: Record<string, unknown>
  locations: string[] | null
  scheduleCron: string | null
  status: 'active' | 'error' | string
  lastRun?: Run | null
  nextSyncAt: string | null
  createdAt: string
}

export interface LocationItem {
  id: string
  name: string
  kind: string
  description?: string
  matched: { repositoryId: string; fullName: string } | null
  selected: boolean
}

export interface SourceRef {
  kind: string
  connectionId: string
  connectionName: string
  /** false when this source no longer reports it */
  present?: boolean
}

export interface Vulnerability {
  id: string
  cve: string
  aliases?: string[]
  title?: string | null
  package: { purl: string; name: string; ecosystem: string }
  versions?: string[]
  target: { kind: string; name: string; url?: string | null }
  repositoryId?: string | null
  repository?: { id: string; fullName: string; webUrl?: string } | null
  severity: Severity
  priority: Severity
  status: string
  sources: SourceRef[]
  detectedAt: string | null
  firstSeenAt: string | null
  lastSeenAt: string | null
  fixedAt?: string | null
  fixedVersions?: string[]
}

export interface Occurrence {
  id: string
  sourceKey?: string
  cvss?: { score?: number; vector?: string; version?: string } | null
  absentSince?: string | null
  vendorState?: 'open' | 'dismissed' | 'excepted' | string | null
  title?: string | null
  packagePurl?: string | null
  target?: string | null
  signals?: {
    epss?: { score: number; percentile?: number }
    kev?: { listed: boolean; dateAdded?: string }
    exploitInTheWild?: boolean
    reachability?: { function?: string; dependency?: string; applicable?: boolean }
    fixAvailable?: boolean
    direct?: boolean
    testOnly?: boolean
  } | null
  vendorFactors?: { name: string; text: string; effect?: string }[] | null
  connectionId: string
  connectionName: string
  kind: string
  severity: Severity
  vendorSeverity: string
  detectedAt: string | null
  detectedAtSource: 'vendor' | 'first_seen'
  firstSeenAt: string | null
  lastSeenAt: string | null
  state: 'present' | 'absent' | 'excluded'
  evidence: Record<string, unknown> | null
  fixedVersions: string[]
  link: string | null
  packageVersion: string | null
  raw?: unknown
}

export interface Factor {
  code: string
  effect: 'raise' | 'lower' | 'none'
  levels: number
  text: string
  sources: string[]
}

export interface VulnerabilityDetail extends Vulnerability {
  occurrences: Occurrence[]
  factors: Factor[]
  explanation: string
  fixedAt: string | null
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
  total?: number
}

export interface Summary {
  total: number
  bySeverity: Partial<Record<Severity, number>>
  byPriority: Partial<Record<Severity, number>>
}

export interface Repository {
  id: string
  provider: string
  fullName: string
  webUrl: string
  defaultBranch: string | null
  archived: boolean
  visibility: string | null
  removedAt: string | null
  openIssues?: number
  connectionName?: string
}

export interface UnmatchedTarget {
  key: string
  kind: string
  connectionId: string
  connectionName: string
  targetKind: string
  display: string
  name?: string
  findings: number
  cves?: number
  lastSeenAt?: string | null
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly hint: string | undefined
  constructor(status: number, code: string, message: string, hint?: string) {
    super(message)
    this.status = status
    this.code = code
    this.hint = hint
  }
}

export const BASE = '/api/v1'

/** Fired when the session is gone (401 on an authenticated call): the app shows the sign-in page. */
export const UNAUTHORIZED_EVENT = 'vulnsync:unauthorized'

export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } }
  if (signal) init.signal = signal
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { accept: 'application/json', 'content-type': 'application/json' }
  }
  let res: Response
  try {
    res = await fetch(BASE + path, init)
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'network', 'The vulnsync server could not be reached. Check that it is running.')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: unknown
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined
    }
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error
    if (res.status === 401 && !path.startsWith('/auth/')) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT))
    throw new ApiError(
      res.status,
      e?.code ?? `http_${res.status}`,
      e?.message ?? `${res.status} ${res.statusText || 'request failed'}`,
      e?.hint,
    )
  }
  return data as T
}

/** Builds a query string from a record, dropping empty values. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    u.set(k, String(v))
  }
  const s = u.toString()
  return s ? `?${s}` : ''
}

export const isRunning = (r: Run | null | undefined): boolean =>
  !!r && (r.status === 'queued' || r.status === 'running')

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}
