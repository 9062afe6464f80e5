import type { Logger } from '@vulnsync/core'
import { trackerConnections } from '@vulnsync/db'
import { connectorOf } from '../sync/connection.ts'
import { type DeliverDeps, deliverDue } from './deliver.ts'
import { type OutboxDeps, produceOutbound, trackerKinds } from './outbox.ts'
import { pushTickets, type TrackerDeps } from './tracker.ts'

export type OutboundDeps = OutboxDeps & DeliverDeps & TrackerDeps & { logger: Logger }

/**
 * The outbound job (its own queue, a pass a minute and after changes): the outbox turns what happened into events
 * and ticket marks, then due webhook and Slack deliveries go out, then pending ticket changes are pushed to each
 * tracker. It runs apart from syncs: a slow receiver or a tracker outage delays only this job.
 */
export const runOutbound = async (d: OutboundDeps) => {
  const produced = await produceOutbound(d)
  const delivered = await deliverDue(d)
  let pushed = 0
  const kinds = trackerKinds(d.connectors)
  for (const row of await trackerConnections(d.db, [...kinds.keys()])) {
    const connector = connectorOf(d.connectors, row.kind)
    if (connector?.role !== 'tracker') continue
    try {
      const p = await pushTickets(d, { ...row, deleted_at: null } as any, connector)
      pushed += p.created + p.moved + p.updated
    } catch (err) {
      d.logger.warn(
        { connectionId: row.id, err: (err as Error).message },
        'tracker pushes failed; the next pass retries',
      )
    }
  }
  return { ...produced, ...delivered, pushed }
}
