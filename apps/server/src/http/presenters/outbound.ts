import type { Delivery, NotificationEvent, Subscription, Ticket } from '@vulnsync/api'
import type { DeliveryRow, SubscriptionRow, TicketRow } from '@vulnsync/db'
import { iso, isoRequired } from './time.ts'

export const presentSubscription = (
  s: SubscriptionRow,
  deliveries: Subscription['deliveries'] = { pending: 0, delivered: 0, failed: 0 },
): Subscription => ({
  id: s.id,
  name: s.name,
  kind: s.kind,
  urlHint: s.url_hint,
  events: s.events as NotificationEvent[],
  minPriority: (s.min_priority as Subscription['minPriority']) ?? null,
  enabled: s.enabled,
  signed: s.kind === 'webhook' && s.secret_enc !== null,
  createdBy: s.created_by,
  createdAt: isoRequired(s.created_at),
  updatedAt: isoRequired(s.updated_at),
  deliveries,
})

export const presentDelivery = (d: DeliveryRow): Delivery => ({
  id: String(d.id),
  eventId: String(d.event_id),
  eventType: d.event_type,
  eventAt: isoRequired(d.event_at),
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
  lastAttemptAt: iso(d.last_attempt_at),
  lastStatus: d.last_status,
  lastError: d.last_error,
  durationMs: d.duration_ms,
  createdAt: isoRequired(d.created_at),
  deliveredAt: iso(d.delivered_at),
  redeliveryOf: d.redelivery_of === null ? null : String(d.redelivery_of),
  payload: d.payload,
})

export const presentTicket = (t: TicketRow & { connection_name: string; kind: string; issues: number }): Ticket => ({
  id: String(t.id),
  connectionId: t.connection_id,
  connectionName: t.connection_name,
  kind: t.kind,
  key: t.remote_key,
  url: t.remote_url,
  category: t.category,
  status: t.status_name,
  resolution: t.resolution,
  pending: t.pending,
  attempts: t.attempts,
  lastError: t.last_error,
  issues: t.issues,
  createdAt: isoRequired(t.created_at),
})
