import { z } from 'zod'
import { Iso, list, NullableIso } from './common.ts'

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'partial', 'cancelled', 'held'] as const
export const RunStatus = z.enum(RUN_STATUSES)
export type RunStatus = z.infer<typeof RunStatus>

export const RunCounts = z.looseObject({
  fetched: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  reopened: z.number(),
  resolved: z.number(),
  unmatched: z.number(),
  skipped: z.record(z.string(), z.number()),
  issuesCreated: z.number().optional(),
  issuesFixed: z.number().optional(),
  wouldResolve: z.number().optional(),
  excluded: z.number().optional(),
})
export type RunCounts = z.infer<typeof RunCounts>

export const RunProgress = z.looseObject({
  pages: z.number(),
  records: z.number(),
  total: z.number().optional(),
  message: z.string().optional(),
  pausedUntil: z.string().nullable().optional(),
})

export const RunError = z.looseObject({ code: z.string(), message: z.string(), hint: z.string().optional() })

export const Run = z.strictObject({
  id: z.string(),
  connectionId: z.string(),
  trigger: z.enum(['initial', 'scheduled', 'manual', 'rematch']),
  status: RunStatus,
  queuedAt: NullableIso,
  startedAt: NullableIso,
  finishedAt: NullableIso,
  durationMs: z.number().nullable(),
  attempts: z.number().int(),
  progress: RunProgress,
  counts: RunCounts,
  /** locations not read completely: their findings were kept as they were */
  incompleteScopes: z.array(z.string()),
  error: RunError.optional(),
})
export type Run = z.infer<typeof Run>
export const RunEnvelope = z.strictObject({ run: Run })
export const RunList = list(Run)

export const Connection = z.strictObject({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
  /** the names of the stored secret fields; never their values */
  secretFields: z.array(z.string()),
  locations: z.array(z.string()).nullable(),
  scheduleCron: z.string(),
  nextSyncAt: NullableIso,
  status: z.string(),
  createdAt: Iso,
  updatedAt: Iso,
  lastRun: Run.nullable(),
  /** a scanner's findings that wait for a repository match (see GET /api/v1/unmatched) */
  unmatched: z.strictObject({ findings: z.number().int(), targets: z.number().int() }),
})
export type Connection = z.infer<typeof Connection>
export const ConnectionEnvelope = z.strictObject({ connection: Connection })
export const ConnectionList = list(Connection)

export const CheckResult = z.union([
  z.strictObject({ ok: z.literal(true), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  z.strictObject({
    ok: z.literal(false),
    code: z.enum(['auth', 'permission', 'not_found', 'unreachable', 'rate_limited', 'invalid_config', 'vendor_error']),
    message: z.string(),
    hint: z.string().optional(),
  }),
])
export type CheckResult = z.infer<typeof CheckResult>

export const ConnectionCreated = z.strictObject({ connection: Connection, run: Run, check: CheckResult })

/** A JSON Schema of a connector's configuration or credentials form (see packages/connectors kit/schema.ts). */
export const JsonSchemaDoc = z.record(z.string(), z.unknown())

export const ConnectorInfo = z.strictObject({
  kind: z.string(),
  title: z.string(),
  /** the letters of the connector's badge in the web app */
  logoLetters: z.string(),
  description: z.string(),
  help: z.string(),
  role: z.enum(['scanner', 'scm', 'tracker']),
  configSchema: JsonSchemaDoc,
  secretsSchema: JsonSchemaDoc,
  secretFields: z.array(z.string()),
})
export type ConnectorInfo = z.infer<typeof ConnectorInfo>
export const ConnectorList = list(ConnectorInfo)

export const LocationItem = z.strictObject({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['repository', 'project', 'application', 'registry', 'namespace', 'organization']),
  description: z.string().optional(),
  target: z.unknown().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  /** the inventory repository this location matches, by the same matcher ingest uses */
  matched: z.strictObject({ repositoryId: z.string(), fullName: z.string() }).nullable(),
  selected: z.boolean(),
})
export type LocationItem = z.infer<typeof LocationItem>
export const LocationList = z.strictObject({
  items: z.array(LocationItem),
  selection: z.array(z.string()).nullable(),
  selectable: z.boolean(),
})
