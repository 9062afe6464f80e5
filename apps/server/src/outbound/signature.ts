import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * How vulnsync signs a webhook: `X-Vulnsync-Timestamp` (Unix seconds) and `X-Vulnsync-Signature: v1=<hex>`, the
 * HMAC-SHA256 of `<timestamp>.<raw body>` with the subscription's secret. The timestamp is inside the signature, so
 * a receiver that refuses old timestamps refuses replays.
 */
export const SIGNATURE_HEADER = 'x-vulnsync-signature'
export const TIMESTAMP_HEADER = 'x-vulnsync-timestamp'

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`

export const signBody = (secret: string, timestamp: number, body: string): string =>
  `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`

/**
 * What a receiver does (exported for receivers written in TypeScript, and used by the tests): the signature must
 * match and the timestamp be within `toleranceSeconds` of now.
 */
export const verifySignature = (
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  now: Date,
  toleranceSeconds = 300,
): { ok: true } | { ok: false; reason: 'missing' | 'bad_signature' | 'stale' } => {
  if (!headers.signature || !headers.timestamp) return { ok: false, reason: 'missing' }
  const ts = Number(headers.timestamp)
  if (!Number.isInteger(ts)) return { ok: false, reason: 'missing' }
  const expected = Buffer.from(signBody(secret, ts, body))
  const got = Buffer.from(headers.signature.trim())
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) return { ok: false, reason: 'bad_signature' }
  if (Math.abs(now.getTime() / 1000 - ts) > toleranceSeconds) return { ok: false, reason: 'stale' }
  return { ok: true }
}
