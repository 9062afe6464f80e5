import { TicketList, TicketRequestResult } from '@vulnsync/api'
import { getIssue, getSlaPolicy, listIssueIds, ticketsOfIssue } from '@vulnsync/db'
import { z } from 'zod'
import { pushTickets, ticketIssuesByHand } from '../../outbound/tracker.ts'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentTicket } from '../presenters/outbound.ts'
import { eventActor } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbId, DbIdParams, UuidParams } from '../schemas.ts'
import { loadConnection } from './connections.ts'
import { QueueFilterQuery, toQueueFilter } from './vulnerabilities.ts'

/** How long a request waits for the tracker to make the tickets before answering with them pending. */
const WAIT_FOR_TRACKER_MS = 15_000

export const trackerRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'POST',
    url: '/api/v1/trackers/:id/tickets',
    access: 'member',
    summary:
      'Put issues into tickets of a tracker connection (Jira) by hand: by ids or a queue filter; grouped like the connection groups (one per fix by default); made at once when the tracker answers, else queued and retried',
    tags: ['trackers'],
    params: UuidParams,
    body: z
      .object({ ids: z.array(DbId).min(1).max(10_000).optional(), filter: QueueFilterQuery.optional() })
      .refine((b) => (b.ids === undefined) !== (b.filter === undefined), {
        message: 'give either ids or a filter',
        path: ['ids'],
      }),
    response: TicketRequestResult,
    handler: async ({ params, body, principal }) => {
      const { row, connector } = await loadConnection(rt, params.id)
      if (connector.role !== 'tracker')
        throw new ApiError(
          422,
          'invalid_request',
          `connection ${row.id} is a ${connector.role} (${connector.title}), not a ticket tracker`,
          'use a Jira connection from GET /api/v1/connections',
        )
      let ids = body.ids ? [...new Set(body.ids)] : []
      if (body.filter) {
        const policy = await getSlaPolicy(rt.db, rt.workspaceId)
        ids = await listIssueIds(rt.db, rt.workspaceId, toQueueFilter(body.filter, principal, policy, rt.now()))
        if (ids.length > 10_000)
          throw new ApiError(
            422,
            'invalid_request',
            `the filter matches ${ids.length} issues; at most 10,000 at once`,
            'narrow the filter',
          )
      }
      await ticketIssuesByHand(rt.db, row, connector, ids, eventActor(principal))
      // make them now if the tracker answers soon; what it does not is retried by the outbound job
      const push = pushTickets(rt, row, connector, { signal: AbortSignal.timeout(WAIT_FOR_TRACKER_MS) }).catch(
        () => null,
      )
      await Promise.race([push, new Promise((res) => setTimeout(res, WAIT_FOR_TRACKER_MS))])
      await rt.jobs.enqueueOutbound()
      const seen = new Set<string>()
      const out = []
      for (const id of ids.slice(0, 200))
        for (const t of await ticketsOfIssue(rt.db, Number(id)))
          if (t.connection_id === row.id && !seen.has(String(t.id))) {
            seen.add(String(t.id))
            out.push(presentTicket(t))
          }
      return { matched: ids.length, tickets: out }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/:id/tickets',
    access: 'viewer',
    summary:
      'The tickets of an issue in trackers (Jira): key, link, status, and whether a change is waiting to be sent',
    tags: ['trackers'],
    params: DbIdParams,
    response: TicketList,
    handler: async ({ params }) => {
      const issue = await getIssue(rt.db, rt.workspaceId, params.id)
      if (!issue) throw new ApiError(404, 'not_found', `vulnerability ${params.id} does not exist`)
      return { items: (await ticketsOfIssue(rt.db, issue.id)).map(presentTicket) }
    },
  })
}
