import type { Connection, Run } from '@vulnsync/api'
import { type ConnectionRow, emptyCounts, type RunRow } from '@vulnsync/db'
import { iso, isoRequired } from './time.ts'

export const presentRun = (r: RunRow): Run => ({
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
export const presentConnection = (
  c: ConnectionRow,
  extra: {
    lastRun?: RunRow | null
    secretFields?: string[]
    unmatched?: { findings: number; targets: number }
  } = {},
): Connection => ({
  id: c.id,
  kind: c.kind,
  name: c.name,
  config: c.config,
  secretFields: extra.secretFields ?? [],
  locations: c.locations,
  scheduleCron: c.schedule_cron,
  nextSyncAt: iso(c.next_sync_at),
  status: c.status,
  createdAt: isoRequired(c.created_at),
  updatedAt: isoRequired(c.updated_at),
  lastRun: extra.lastRun ? presentRun(extra.lastRun) : null,
  unmatched: extra.unmatched ?? { findings: 0, targets: 0 },
})
