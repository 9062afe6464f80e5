// Typed client of the public API (/api/v1). The web app talks to nothing else.

// The response types are the server's: zod schemas in @vulnsync/api (type-only imports, nothing of zod is bundled).
// A response that changes shape breaks the web app's type check wherever the app does not handle it.
import type { ConnectorInfo as ApiConnectorInfo, PriorityPolicyDoc, Run, Severity } from '@vulnsync/api'

export type {
  Application,
  AssignableUser,
  BulkResult,
  Connection,
  Decision,
  DecisionKind,
  DecisionScope,
  Delivery,
  Factor,
  Feed,
  FixPlan,
  FixPlanList,
  FixPrOpened,
  FixPrResult,
  FixPullRequest,
  IssueDecision,
  IssueStatus,
  LocationItem,
  NotificationEvent,
  Occurrence,
  Owner,
  OwnershipRule,
  OwnershipRulePreview,
  PriorityPolicyChange,
  PriorityPolicyDoc,
  Repository,
  RepositoryOwnership,
  Role,
  Run,
  RunCounts,
  RunStatus,
  Severity,
  Sla,
  SlaPolicyChange,
  SlaPolicyDoc,
  SourceRef,
  Stage,
  Subscription,
  Summary,
  Team,
  Ticket,
  TimelineEntry,
  UnmatchedSummary,
  UnmatchedTarget,
  User,
  Vulnerability,
  VulnerabilityDetail,
  VulnerabilityFix,
} from '@vulnsync/api'

/** A factor the priority policy may let lower a priority. */
export type LoweringFactor = PriorityPolicyDoc['lowering']['factors'][number]

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info']

/** The subset of JSON Schema the connect form renders (the server sends each connector's full schema). */
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
  /** a list of ids picked from the workspace's records rather than typed (`teams`: a team picker) */
  picker?: 'teams'
}

export interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchemaProp>
  required?: string[]
}

/** A connector as the server describes it, with its form schemas read as the JSON Schema subset the form renders. */
export type ConnectorInfo = Omit<ApiConnectorInfo, 'configSchema' | 'secretsSchema'> & {
  configSchema: JsonSchema
  secretsSchema: JsonSchema
}

/** A page of a cursor-paged list. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
  total: number
  /** the queue's total is an estimate (a large match) */
  totalIsEstimate?: boolean
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
