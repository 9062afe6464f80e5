import { type ConnectionRow, emptyCounts, type RunRow } from '@vulnsync/db'

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null)

export const runView = (r: RunRow) => ({
  id: r.id,
  connectionId: r.connection_id,
  trigger: r.trigger,
  status: r.status,
  queuedAt: iso(r.queued_at),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  durationMs:
    r.started_at && r.finished_at ? new Date(r.finished_at).getTime() - new Date(r.started_at).getTime() : null,
  attempts: r.attempts,
  progress: { pages: 0, records: 0, ...(r.progress ?? {}) },
  counts: {
    ...emptyCounts(),
    ...(r.counts ?? {}),
    skipped: { ...(r.counts?.skipped ?? {}) },
  },
  incompleteScopes: r.incomplete_scopes ?? [],
  ...(r.error ? { error: r.error } : {}),
})

/** A connection as the API shows it: never its secrets, only which secret fields are set. */
export const connectionView = (c: ConnectionRow, extra: { lastRun?: RunRow | null; secretFields?: string[] } = {}) => ({
  id: c.id,
  kind: c.kind,
  name: c.name,
  config: c.config,
  secretFields: extra.secretFields ?? [],
  locations: c.locations,
  scheduleCron: c.schedule_cron,
  nextSyncAt: iso(c.next_sync_at),
  status: c.status,
  createdAt: iso(c.created_at),
  updatedAt: iso(c.updated_at),
  lastRun: extra.lastRun ? runView(extra.lastRun) : null,
})

export interface IssueRow {
  id: number
  cve: string
  aliases: string[]
  package_key: string
  package_name: string
  ecosystem: string
  versions: string[]
  target_kind: string
  target_name: string
  target_url: string | null
  repository_id: number | null
  severity: string
  priority: string
  status: string
  sources: { kind: string; connectionId: string; connectionName: string; present: boolean }[] | null
  detected_at: Date
  first_seen_at: Date
  last_seen_at: Date
  fixed_at: Date | null
  fixed_versions: string[]
  explanation?: string
  factors?: unknown[]
}

export const issueView = (i: IssueRow) => ({
  id: String(i.id),
  cve: i.cve,
  aliases: i.aliases,
  package: { purl: i.package_key, name: i.package_name, ecosystem: i.ecosystem },
  versions: i.versions,
  target: { kind: i.target_kind, name: i.target_name, url: i.target_url },
  repositoryId: i.repository_id === null ? null : String(i.repository_id),
  severity: i.severity,
  priority: i.priority,
  status: i.status,
  sources: i.sources ?? [],
  detectedAt: iso(i.detected_at),
  firstSeenAt: iso(i.first_seen_at),
  lastSeenAt: iso(i.last_seen_at),
  fixedAt: iso(i.fixed_at),
  fixedVersions: i.fixed_versions,
})
