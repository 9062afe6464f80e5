import { getConnectionById } from '@vulnsync/db'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { applyTicketState } from '../../outbound/tracker.ts'
import type { Runtime } from '../../runtime.ts'
import { connectionForRun, connectorOf } from '../../sync/connection.ts'

const Params = z.object({ id: z.string().uuid(), token: z.string().max(300).optional() })

/**
 * Webhooks from trackers (Jira): POST /api/v1/hooks/<connection id>[/<secret>]. Public (Jira cannot sign in), so the
 * connector verifies each delivery (its signature header, or the secret in the URL) on the raw body. A change is
 * applied before the answer: a failure answers 500 and Jira retries; a repeated or late delivery changes nothing.
 */
export const hookRoutes = async (rt: Runtime, app: FastifyInstance) => {
  // the raw body: a signature is over the bytes Jira sent, not over a re-serialised object
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body))

  const refuse = (reply: FastifyReply, status: number, code: string, message: string, req: FastifyRequest) =>
    reply.status(status).send({ error: { code, message, reqId: req.id } })

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = Params.safeParse(req.params)
    if (!p.success) return refuse(reply, 404, 'not_found', 'no such webhook', req)
    const row = await getConnectionById(rt.db, p.data.id)
    const connector = row ? connectorOf(rt.connectors, row.kind) : undefined
    if (!row || row.deleted_at || connector?.role !== 'tracker')
      return refuse(reply, 404, 'not_found', 'no tracker connection with this id', req)
    const c = connectionForRun(rt.box, row)
    const verdict = connector.parseWebhook(c.config, c.secrets, {
      headers: req.headers,
      rawBody: typeof req.body === 'string' ? req.body : '',
      pathToken: p.data.token ?? null,
    })
    if (!verdict.ok) {
      rt.metrics.trackerEvents.inc({ connector_kind: row.kind, source: 'webhook', result: 'refused' })
      return refuse(
        reply,
        verdict.status,
        verdict.status === 401 ? 'unauthenticated' : 'bad_request',
        verdict.message,
        req,
      )
    }
    if (!verdict.ticket) return reply.status(200).send({ result: 'ignored', event: verdict.event })
    const result = await applyTicketState(
      rt,
      { id: row.id, workspaceId: row.workspace_id, config: c.config },
      connector,
      verdict.ticket,
      'webhook',
    )
    if (result === 'applied') await rt.jobs.enqueueOutbound()
    return reply.status(200).send({ result, event: verdict.event })
  }
  app.post('/api/v1/hooks/:id', handle)
  app.post('/api/v1/hooks/:id/:token', handle)
}
