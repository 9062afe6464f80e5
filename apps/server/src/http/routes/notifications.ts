import {
  DeliveryEnvelope,
  DeliveryPage,
  NotificationEvent,
  Severity,
  SubscriptionCreated,
  SubscriptionList,
} from '@vulnsync/api'
import { refusedHost } from '@vulnsync/connectors'
import {
  audit,
  deleteSubscription,
  deliveryCounts,
  getDelivery,
  getSubscription,
  insertSubscription,
  listDeliveries,
  listSubscriptions,
  redeliver,
  updateSubscription,
} from '@vulnsync/db'
import { z } from 'zod'
import { urlHint } from '../../outbound/deliver.ts'
import { newWebhookSecret } from '../../outbound/signature.ts'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentDelivery, presentSubscription } from '../presenters/outbound.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbIdParams, Name, UuidParams } from '../schemas.ts'

const Url = z
  .string()
  .trim()
  .max(2000)
  .refine((v) => {
    try {
      const u = new URL(v)
      return u.protocol === 'https:' || u.protocol === 'http:'
    } catch {
      return false
    }
  }, 'must be an http(s) URL')
const Events = z.array(NotificationEvent).min(1, 'choose at least one event').max(20)

export const notificationRoutes = (rt: Runtime, r: Router) => {
  /** a receiver on a private or loopback address is refused at once (the delivery's guard would refuse it anyway) */
  const checkUrl = (url: string) => {
    if (rt.config.allowPrivateNetworks) return
    const why = refusedHost(new URL(url).hostname)
    if (why !== null)
      throw new ApiError(
        422,
        'invalid_request',
        `body.url: ${new URL(url).hostname} is a ${why} address; vulnsync sends nothing there`,
        'use the receiver\u2019s public address, or set VULNSYNC_ALLOW_PRIVATE_NETWORKS=true for receivers on your network',
      )
  }
  const load = async (id: string) => {
    const s = await getSubscription(rt.db, rt.workspaceId, id)
    if (!s)
      throw new ApiError(
        404,
        'not_found',
        `subscription ${id} does not exist`,
        'list them with GET /api/v1/notifications/subscriptions',
      )
    return s
  }
  const view = async (id: string) => {
    const s = await load(id)
    return presentSubscription(s, (await deliveryCounts(rt.db, [s.id])).get(s.id))
  }

  r.add({
    method: 'GET',
    url: '/api/v1/notifications/subscriptions',
    access: 'viewer',
    summary: 'Webhook and Slack subscriptions, with their delivery counts (never their URLs or secrets)',
    tags: ['notifications'],
    response: SubscriptionList,
    handler: async () => {
      const rows = await listSubscriptions(rt.db, rt.workspaceId)
      const counts = await deliveryCounts(
        rt.db,
        rows.map((s) => s.id),
      )
      return { items: rows.map((s) => presentSubscription(s, counts.get(s.id))) }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/notifications/subscriptions',
    access: 'admin',
    summary:
      'Subscribe a webhook (signed with a secret shown once) or a Slack incoming webhook to events: new issues at or above a priority, SLA due soon or breached, decisions expiring, syncs failed or held, fixes merged, issues fixed',
    tags: ['notifications'],
    status: 201,
    body: z.object({
      name: Name(100),
      kind: z.enum(['webhook', 'slack']),
      url: Url,
      events: Events,
      minPriority: Severity.nullable().optional(),
      enabled: z.boolean().optional(),
    }),
    response: SubscriptionCreated,
    handler: async ({ body, principal }) => {
      checkUrl(body.url)
      const existing = await listSubscriptions(rt.db, rt.workspaceId)
      if (existing.some((s) => s.name.toLowerCase() === body.name.toLowerCase()))
        throw new ApiError(
          409,
          'conflict',
          `a subscription named ${JSON.stringify(body.name)} exists already`,
          'choose another name',
        )
      const secret = body.kind === 'webhook' ? newWebhookSecret() : null
      const row = await insertSubscription(rt.db, {
        workspace_id: rt.workspaceId,
        name: body.name,
        kind: body.kind,
        url_enc: rt.box.seal(body.url),
        url_hint: urlHint(body.url),
        secret_enc: secret ? rt.box.seal(secret) : null,
        events: [...new Set(body.events)],
        min_priority: body.minPriority ?? null,
        enabled: body.enabled ?? true,
        created_by: actorOf(principal),
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'subscription.create',
        target: row.id,
        detail: { name: row.name, kind: row.kind, events: row.events },
      })
      return { subscription: presentSubscription(row), secret }
    },
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/notifications/subscriptions/:id',
    access: 'admin',
    summary:
      'Rename, re-point, change events or priority, pause or resume a subscription, or rotate its signing secret',
    tags: ['notifications'],
    params: UuidParams,
    body: z.object({
      name: Name(100).optional(),
      url: Url.optional(),
      events: Events.optional(),
      minPriority: Severity.nullable().optional(),
      enabled: z.boolean().optional(),
      rotateSecret: z.boolean().optional(),
    }),
    response: SubscriptionCreated,
    handler: async ({ params, body, principal }) => {
      const s = await load(params.id)
      if (body.url) checkUrl(body.url)
      const secret = body.rotateSecret && s.kind === 'webhook' ? newWebhookSecret() : null
      await updateSubscription(rt.db, s.id, {
        name: body.name,
        url_enc: body.url ? rt.box.seal(body.url) : undefined,
        url_hint: body.url ? urlHint(body.url) : undefined,
        secret_enc: secret ? rt.box.seal(secret) : undefined,
        events: body.events ? [...new Set(body.events)] : undefined,
        min_priority: body.minPriority,
        enabled: body.enabled,
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'subscription.update',
        target: s.id,
        detail: { fields: Object.keys(body).filter((k) => k !== 'url'), urlChanged: !!body.url },
      })
      return { subscription: await view(s.id), secret }
    },
  })

  r.add({
    method: 'DELETE',
    url: '/api/v1/notifications/subscriptions/:id',
    access: 'admin',
    summary: 'Remove a subscription: nothing more is delivered to it',
    tags: ['notifications'],
    params: UuidParams,
    handler: async ({ params, principal }) => {
      const s = await load(params.id)
      await deleteSubscription(rt.db, rt.workspaceId, s.id)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'subscription.delete',
        target: s.id,
        detail: { name: s.name },
      })
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/notifications/subscriptions/:id/deliveries',
    access: 'viewer',
    summary:
      'The delivery log of a subscription, newest first: each event, attempts, the receiver\u2019s answer, the next attempt',
    tags: ['notifications'],
    params: UuidParams,
    query: z.object({
      status: z.enum(['pending', 'delivered', 'failed']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z
        .string()
        .regex(/^\d{1,19}$/, 'a cursor from nextCursor')
        .optional(),
    }),
    response: DeliveryPage,
    handler: async ({ params, query }) => {
      const s = await load(params.id)
      const rows = await listDeliveries(rt.db, s.id, {
        limit: query.limit + 1,
        before: query.cursor ? Number(query.cursor) : undefined,
        status: query.status,
      })
      const items = rows.slice(0, query.limit)
      return {
        items: items.map(presentDelivery),
        nextCursor: rows.length > query.limit ? String(items.at(-1)!.id) : null,
      }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/notifications/deliveries/:id/redeliver',
    access: 'member',
    summary: 'Send an event to its subscription again (a new delivery, due now; the log keeps the old one)',
    tags: ['notifications'],
    params: DbIdParams,
    status: 202,
    response: DeliveryEnvelope,
    handler: async ({ params, principal }) => {
      const d = await getDelivery(rt.db, params.id)
      const s = d ? await getSubscription(rt.db, rt.workspaceId, d.subscription_id) : null
      if (!d || !s)
        throw new ApiError(
          404,
          'not_found',
          `delivery ${params.id} does not exist`,
          'pick one from a subscription\u2019s delivery log',
        )
      const id = await redeliver(rt.db, d, rt.now())
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'delivery.redeliver',
        target: String(d.id),
        detail: { subscription: s.id, delivery: String(id) },
      })
      await rt.jobs.enqueueOutbound()
      return { delivery: presentDelivery((await getDelivery(rt.db, String(id)))!) }
    },
  })
}
