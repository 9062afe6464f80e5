import type { z } from 'zod'
import type { MapResult, RepositoryRecord, Skip, TargetRef } from './finding.ts'
import type { TrackerOps } from './tracker.ts'

/**
 * Every integration kind vulnsync ships. A kind listed here without an entry in packages/connectors/src/registry.ts,
 * or a connector declared with `defineConnector` whose kind is not listed, fails to compile.
 */
export const CONNECTOR_KINDS = ['ox', 'endor', 'jfrog', 'github', 'gitlab', 'jira'] as const
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number]

/**
 * What a connection is for: a `scanner` brings vulnerabilities, an `scm` the repository inventory, a `tracker`
 * (Jira) receives tickets and sends their status back; its "sync" is the reconciliation of those tickets.
 */
export const CONNECTOR_ROLES = ['scanner', 'scm', 'tracker'] as const
export type ConnectorRole = (typeof CONNECTOR_ROLES)[number]

export interface Logger {
  debug(obj: object | string, msg?: string): void
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
}

// ---------------------------------------------------------------- HTTP client (implemented in @vulnsync/connectors)

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
  /** absolute URL, or a path joined to the client's baseUrl */
  url: string
  query?: Record<string, string | number | boolean | undefined | null | string[]>
  headers?: Record<string, string>
  /** serialised as JSON unless it is a string */
  body?: unknown
  /** per-request timeout in ms (default: the client's, 30 s) */
  timeoutMs?: number
  /** statuses returned to the caller instead of thrown (e.g. [401, 403, 404] in a check) */
  acceptStatus?: number[]
  /** retry policy override: false disables retries for this request */
  retry?: boolean
}

export interface HttpResponse {
  status: number
  headers: Headers
  url: string
  text(): string
  json<T = unknown>(): T
}

export type UpstreamErrorKind =
  | 'auth' // 401
  | 'permission' // 403
  | 'not_found' // 404
  | 'rate_limited' // 429 after retries
  | 'client' // other 4xx
  | 'server' // 5xx after retries
  | 'unreachable' // DNS, refused, reset, TLS
  | 'timeout'
  | 'blocked' // refused by the SSRF guard or a cross-host redirect
  | 'bad_response' // body not what was expected
  | 'aborted'

/** An upstream call that failed, classified so a check or a run can say what the user should do. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind
  readonly status: number | undefined
  readonly host: string
  readonly body: string | undefined
  readonly retryAfterMs: number | undefined
  constructor(args: {
    kind: UpstreamErrorKind
    message: string
    host: string
    status?: number | undefined
    body?: string | undefined
    retryAfterMs?: number | undefined
    cause?: unknown
  }) {
    super(args.message, { cause: args.cause })
    this.name = 'UpstreamError'
    this.kind = args.kind
    this.status = args.status
    this.host = args.host
    this.body = args.body
    this.retryAfterMs = args.retryAfterMs
  }
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>
  /** request + JSON parse; a body that is not JSON becomes UpstreamError('bad_response') */
  json<T = unknown>(req: HttpRequest): Promise<T>
}

// ---------------------------------------------------------------- the contract

export type CheckResult =
  | { ok: true; message: string; details?: Record<string, unknown> }
  | {
      ok: false
      code: 'auth' | 'permission' | 'not_found' | 'unreachable' | 'rate_limited' | 'invalid_config' | 'vendor_error'
      message: string
      hint?: string
    }

/** Something a user can choose to scan: a repository, project, application, registry. */
export interface Location {
  id: string
  name: string
  kind: 'repository' | 'project' | 'application' | 'registry' | 'namespace' | 'organization'
  description?: string
  /** what the location points at, so the Hub can say whether it matches a repository */
  target?: TargetRef
  meta?: Record<string, unknown>
}

/** Progress a connector reports while it reads (shown live on the run). */
export interface ProgressUpdate {
  message?: string
  pages?: number
  /** the run is waiting for an upstream rate-limit window until this time */
  pausedUntil?: Date | null
  total?: number
}

export interface ConnectorContext<Config, Secrets> {
  config: Config
  secrets: Secrets
  http: HttpClient
  logger: Logger
  signal: AbortSignal
  now: () => Date
  /** abortable sleep; tests may make it fast */
  sleep: (ms: number) => Promise<void>
  progress: (p: ProgressUpdate) => void
}

/**
 * A record's JSON text, kept as it came (a vendor's own bytes, or a document a connector put together from them):
 * what `source_records` stores for it, without making the text again from the parsed record. `JSON.stringify` of it
 * gives the same document, so code that does not know it still writes the right thing.
 */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text)
  }
}

export type ReadEvent<Raw, Cursor> =
  /**
   * `text`: the JSON of `raw` when the connector has it already (a list page split into its records' texts,
   * connectors/kit/json-list.ts); stored instead of `JSON.stringify(raw)`, and lets the parsed record be dropped once
   * mapped
   */
  | { type: 'record'; raw: Raw; scope?: string; text?: string }
  /** the engine stores the cursor only after every record before it is committed */
  | { type: 'checkpoint'; cursor: Cursor }
  /** read-time skips (e.g. an artifact Xray has not indexed yet); counted under reason */
  | { type: 'skip'; reason: Skip['skip']; count?: number; detail?: string; scope?: string }
  /** a scope that could not be read completely this run: its occurrences are not resolved */
  | { type: 'incomplete'; scope: string; reason: string }
  /** a scope read completely (for connectors with `resolvesByScope`: only such scopes are resolved) */
  | { type: 'scope-complete'; scope: string }
  | { type: 'warning'; code: string; message: string }

export interface ReadInput<Cursor> {
  /** selected location ids, or null for everything the credentials can see */
  selection: string[] | null
  /** the checkpoint of an interrupted attempt of the same run, to resume from */
  cursor: Cursor | null
}

/** What every connector has, whatever its role: who it is, its forms, its host and its check. */
interface ConnectorIdentity<Kind extends string, Config, Secrets> {
  kind: Kind
  title: string
  /** two or three letters the web app shows as the connector's badge (vulnsync shows no vendor logos) */
  logoLetters: string
  description: string
  /** where to create the credentials and which permissions they need (shown on the Connect form) */
  help: string
  configSchema: z.ZodType<Config>
  secretsSchema: z.ZodType<Secrets>
  /** hosts the connector calls, for the SSRF guard and the client's base URL */
  baseUrl(config: Config): string
  check(ctx: ConnectorContext<Config, Secrets>): Promise<CheckResult>
}

/** A connector that reads records (a scanner or source control). */
interface ConnectorBase<Kind extends string, Config, Secrets, Raw, Cursor>
  extends ConnectorIdentity<Kind, Config, Secrets> {
  /**
   * true when the connector says which scopes it read completely (`scope-complete` events): a run then resolves only
   * those, so a location that vanished from what the credentials can see (a permission removed) is never resolved
   */
  resolvesByScope?: boolean
  discover?(ctx: ConnectorContext<Config, Secrets>): AsyncIterable<Location>
  read(ctx: ConnectorContext<Config, Secrets>, input: ReadInput<Cursor>): AsyncIterable<ReadEvent<Raw, Cursor>>
}

/** A scanner: its records map to vulnerability findings. */
export interface ScannerConnector<Kind extends string = string, Config = any, Secrets = any, Raw = any, Cursor = any>
  extends ConnectorBase<Kind, Config, Secrets, Raw, Cursor> {
  role: 'scanner'
  /** pure: raw record → findings (one per CVE) or a Skip with its reason */
  map(raw: Raw, meta: { fetchedAt: Date }): MapResult
}

/** Source control: its records map to repositories of the inventory. */
export interface ScmConnector<Kind extends string = string, Config = any, Secrets = any, Raw = any, Cursor = any>
  extends ConnectorBase<Kind, Config, Secrets, Raw, Cursor> {
  role: 'scm'
  map(raw: Raw, meta: { fetchedAt: Date }): RepositoryRecord | Skip
  /** fix pull requests (merge requests), for connections whose config opts in */
  pullRequests?: PullRequestWriter<Config, Secrets>
}

// ---------------------------------------------------------------- fix pull requests (SCM connectors)

/** A repository of the inventory, as the SCM knows it. */
export interface RepoRef {
  externalId: string
  fullName: string
  defaultBranch: string | null
}

/** One commit of whole files on a branch of vulnsync's, and the pull request for it. */
export interface PullRequestChange {
  /** never the default branch */
  branch: string
  title: string
  body: string
  commitMessage: string
  files: { path: string; content: string }[]
}

export interface PullRequestState {
  number: number
  url: string
  state: 'open' | 'merged' | 'closed'
  branch: string
  baseBranch: string
  headSha: string | null
  mergedAt: Date | null
  closedAt: Date | null
  /** true when this call created it (false: an open one on the branch was updated) */
  created?: boolean
}

/**
 * What an SCM connector does for fix pull requests: read a file of the default branch, commit files to vulnsync's
 * branch and open (or update) the pull request, and tell a pull request's state. Errors are UpstreamErrors in the
 * vendor's words (a missing write permission says which).
 */
export interface PullRequestWriter<Config, Secrets> {
  /** the connection opted in (`fixPullRequests: true` in its config) */
  enabled(config: Config): boolean
  readFile(ctx: ConnectorContext<Config, Secrets>, repo: RepoRef, path: string): Promise<string | null>
  open(ctx: ConnectorContext<Config, Secrets>, repo: RepoRef, change: PullRequestChange): Promise<PullRequestState>
  state(ctx: ConnectorContext<Config, Secrets>, repo: RepoRef, number: number): Promise<PullRequestState>
}

/**
 * A ticket tracker (Jira): vulnsync creates tickets for issues its rules pick, moves them as the work moves, and
 * applies the tracker's changes (by webhook and by the reconciliation its runs do) through the workflow.
 */
export interface TrackerConnector<Kind extends string = string, Config = any, Secrets = any>
  extends ConnectorIdentity<Kind, Config, Secrets>,
    TrackerOps<Config, Secrets> {
  role: 'tracker'
}

/** A connector whose runs read records into the queue or the inventory. */
export type SourceConnector = ScannerConnector | ScmConnector
export type AnyConnector = SourceConnector | TrackerConnector

export const isSourceConnector = (c: AnyConnector): c is SourceConnector => c.role !== 'tracker'

/** Marks a field of a config or secrets schema for the UI form (help text, masked input, placeholder). */
export interface FieldMeta {
  label?: string
  help?: string
  placeholder?: string
  secret?: boolean
}
