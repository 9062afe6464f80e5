import { z } from 'zod'
import { Iso, list, NullableIso, Severity } from './common.ts'

/** What a subscription can be told about. */
export const NOTIFICATION_EVENT_VALUES = [
  'issue.new',
  'issue.fixed',
  'issue.fix_merged',
  'sla.due_soon',
  'sla.breached',
  'decision.expiring',
  'sync.failed',
  'sync.held',
] as const
export const NotificationEvent = z.enum(NOTIFICATION_EVENT_VALUES)
export type NotificationEvent = z.infer<typeof NotificationEvent>

/** A webhook or Slack subscription (its URL is shown by host only; its secret never). */
export const Subscription = z.strictObject({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['webhook', 'slack']),
  urlHint: z.string(),
  events: z.array(NotificationEvent),
  /** issue and SLA events only at or above this priority; null: every priority */
  minPriority: Severity.nullable(),
  enabled: z.boolean(),
  /** generic webhooks are signed (X-Vulnsync-Signature) */
  signed: z.boolean(),
  createdBy: z.string(),
  createdAt: Iso,
  updatedAt: Iso,
  deliveries: z.strictObject({ pending: z.number().int(), delivered: z.number().int(), failed: z.number().int() }),
})
export type Subscription = z.infer<typeof Subscription>
export const SubscriptionList = list(Subscription)
export const SubscriptionEnvelope = z.strictObject({ subscription: Subscription })
/** A new webhook subscription shows its signing secret once. */
export const SubscriptionCreated = z.strictObject({ subscription: Subscription, secret: z.string().nullable() })

export const Delivery = z.strictObject({
  id: z.string(),
  eventId: z.string(),
  eventType: NotificationEvent,
  eventAt: Iso,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: NullableIso,
  lastAttemptAt: NullableIso,
  /** the receiver's HTTP status of the last attempt */
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  createdAt: Iso,
  deliveredAt: NullableIso,
  /** the delivery this one repeats (a redelivery), or null */
  redeliveryOf: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
})
export type Delivery = z.infer<typeof Delivery>
export const DeliveryPage = z.strictObject({ items: z.array(Delivery), nextCursor: z.string().nullable() })
export const DeliveryEnvelope = z.strictObject({ delivery: Delivery })

/** A ticket in a tracker and the state vulnsync knows of it. */
export const Ticket = z.strictObject({
  id: z.string(),
  connectionId: z.string(),
  connectionName: z.string(),
  kind: z.string(),
  /** null until the tracker made it */
  key: z.string().nullable(),
  url: z.string().nullable(),
  category: z.enum(['new', 'indeterminate', 'done']),
  status: z.string().nullable(),
  resolution: z.string().nullable(),
  /** vulnsync has a change for the tracker that is not sent yet */
  pending: z.boolean(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  issues: z.number().int(),
  createdAt: Iso,
})
export type Ticket = z.infer<typeof Ticket>
export const TicketList = list(Ticket)
export const TicketRequestResult = z.strictObject({ matched: z.number().int(), tickets: z.array(Ticket) })
