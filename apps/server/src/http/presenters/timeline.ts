import type { TimelineEntry } from '@vulnsync/api'
import type { IssueEventRow, OccurrenceRow } from '@vulnsync/db'
import { isoRequired } from './time.ts'

/**
 * An issue's timeline: the stored events (workflow changes, with their actor) merged with what the sources say,
 * read from the occurrences rather than copied: each scanner's detection, vulnsync's first sight of it, and when a
 * scanner stopped reporting it.
 */
export const presentTimeline = (events: IssueEventRow[], occurrences: OccurrenceRow[]): { items: TimelineEntry[] } => {
  const items: TimelineEntry[] = events.map((e) => ({
    id: String(e.id),
    at: isoRequired(e.at),
    type: e.type,
    actor: e.actor,
    actorKind: e.actor_kind,
    detail: e.detail,
    bulkId: e.bulk_id,
  }))
  for (const o of occurrences) {
    const source = {
      kind: o.kind,
      connectionId: o.connection_id,
      connectionName: o.connection_name,
      sourceKey: o.source_key,
    }
    items.push({
      id: `derived:detected:${o.id}`,
      at: isoRequired(o.detected_at),
      type: 'detected',
      actor: o.connection_name,
      actorKind: 'scanner',
      detail: { ...source, detectedAtSource: o.detected_at_source, version: o.package_version },
      bulkId: null,
    })
    items.push({
      id: `derived:source_added:${o.id}`,
      at: isoRequired(o.first_seen_at),
      type: 'source_added',
      actor: o.connection_name,
      actorKind: 'scanner',
      detail: source,
      bulkId: null,
    })
    if (o.absent_since && o.state !== 'present')
      items.push({
        id: `derived:source_gone:${o.id}`,
        at: isoRequired(o.absent_since),
        type: o.state === 'excluded' ? 'source_excluded' : 'source_gone',
        actor: o.connection_name,
        actorKind: 'scanner',
        detail: source,
        bulkId: null,
      })
  }
  return { items: items.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id)) }
}
