import { createHttpClient } from '@vulnsync/connectors'
import { type Logger, UpstreamError } from '@vulnsync/core'
import { claimDueDeliveries, type Db, type DeliveryRow, recordAttempt, type SubscriptionRow } from '@vulnsync/db'
import type { Metrics } from '../metrics/vulnsync.ts'
import type { SecretBox } from '../secrets.ts'
import { slackBody, webhookBody } from './messages.ts'
import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.ts'

export interface DeliverDeps {
  db: Db
  box: SecretBox
  now: () => Date
  logger: Logger
  config: { allowPrivateNetworks: boolean }
  metrics?: Metrics
}

/** Deliveries are retried for a day after the event, then marked failed (a user can still redeliver them). */
export const RETRY_FOR_MS = 24 * 3600_000
/** One attempt may take this long: a slow receiver delays only its own delivery. */
export const DELIVERY_TIMEOUT_MS = 10_000
const LEASE_MS = 2 * 60_000

/** The pause after the n-th failed attempt: 1, 2, 4 … 64 minutes, then every 2 hours. */
export const retryDelayMs = (attempts: number): number => Math.min(2 ** Math.max(0, attempts - 1), 120) * 60_000

/** When to try again after a failed attempt, or null when the day is over. */
export const nextAttemptAt = (createdAt: Date, attempts: number, now: Date): Date | null => {
  const next = new Date(now.getTime() + retryDelayMs(attempts))
  return next.getTime() - createdAt.getTime() > RETRY_FOR_MS ? null : next
}

export const urlHint = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : ''}`
  } catch {
    return 'invalid URL'
  }
}

interface Outcome {
  ok: boolean
  status: number | null
  error: string | null
  ms: number
}

/** One attempt: the body (signed for generic webhooks) through the guarded client, no retry inside it. */
export const sendOnce = async (
  d: Pick<DeliverDeps, 'box' | 'now' | 'config' | 'logger'>,
  sub: SubscriptionRow,
  delivery: DeliveryRow,
): Promise<Outcome> => {
  const url = String(d.box.open(sub.url_enc))
  const body = sub.kind === 'slack' ? slackBody(delivery) : webhookBody(delivery)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'vulnsync-webhooks/1',
  }
  if (sub.kind === 'webhook') {
    const ts = Math.floor(d.now().getTime() / 1000)
    headers['x-vulnsync-event'] = delivery.event_type
    headers['x-vulnsync-delivery'] = String(delivery.id)
    headers[TIMESTAMP_HEADER] = String(ts)
    if (sub.secret_enc) headers[SIGNATURE_HEADER] = signBody(String(d.box.open(sub.secret_enc)), ts, body)
  }
  const client = createHttpClient({
    allowPrivateNetworks: d.config.allowPrivateNetworks,
    maxRetries: 0,
    timeoutMs: DELIVERY_TIMEOUT_MS,
    logger: d.logger,
  })
  const t0 = performance.now()
  try {
    const res = await client.request({ method: 'POST', url, body, headers, retry: false })
    return { ok: true, status: res.status, error: null, ms: Math.round(performance.now() - t0) }
  } catch (err) {
    const ms = Math.round(performance.now() - t0)
    if (err instanceof UpstreamError)
      return { ok: false, status: err.status ?? null, error: err.message.slice(0, 500), ms }
    return { ok: false, status: null, error: (err as Error).message.slice(0, 500), ms }
  }
}

/**
 * Sends the deliveries that are due (a few at a time, each with its own timeout) and records each attempt: delivered
 * on a 2xx; otherwise tried again with backoff until a day after the event, then failed.
 */
export const deliverDue = async (
  d: DeliverDeps,
  o: { limit?: number; concurrency?: number } = {},
): Promise<{ delivered: number; failed: number; attempted: number }> => {
  const out = { delivered: 0, failed: 0, attempted: 0 }
  const now = d.now()
  const due = await claimDueDeliveries(d.db, now, o.limit ?? 200, LEASE_MS)
  const subs = new Map<string, SubscriptionRow | null>()
  const queue = [...due]
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const delivery = item
      if (!subs.has(delivery.subscription_id)) {
        const row = await d.db.query<SubscriptionRow>(`SELECT * FROM webhook_subscriptions WHERE id = $1`, [
          delivery.subscription_id,
        ])
        subs.set(delivery.subscription_id, row.rows[0] ?? null)
      }
      const sub = subs.get(delivery.subscription_id)
      const result: Outcome = !sub?.enabled
        ? { ok: false, status: null, error: 'the subscription was removed or paused', ms: 0 }
        : await sendOnce(d, sub, delivery)
      out.attempted++
      const at = d.now()
      const next =
        result.ok || !sub?.enabled ? null : nextAttemptAt(new Date(delivery.created_at), delivery.attempts + 1, at)
      await recordAttempt(d.db, delivery.id, {
        now: at,
        ok: result.ok,
        status: result.status,
        error: result.error,
        durationMs: result.ms,
        nextAttemptAt: next,
      })
      if (result.ok) out.delivered++
      else if (next === null) out.failed++
      d.metrics?.deliveries.inc({
        kind: sub?.kind ?? 'unknown',
        outcome: result.ok ? 'delivered' : next === null ? 'gave_up' : 'retry',
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, Math.max(1, due.length)) }, worker))
  return out
}
