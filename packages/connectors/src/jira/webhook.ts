import { createHmac, timingSafeEqual } from 'node:crypto'
import type { WebhookInput, WebhookResult } from '@vulnsync/core'
import { type JiraConfig, type JiraSecrets, jiraBaseUrl } from './config.ts'
import { parseJiraWebhookBody } from './map.ts'

const same = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const header = (h: WebhookInput['headers'], name: string): string | undefined => {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * A Jira webhook delivery, verified then parsed. Jira Cloud signs with the webhook's secret (`X-Hub-Signature:
 * sha256=<hex HMAC-SHA256 of the raw body>`); a webhook without a secret is accepted only when the URL carries the
 * connection's webhook secret (/api/v1/hooks/<connection>/<secret>).
 */
export const parseJiraWebhook = (config: JiraConfig, secrets: JiraSecrets, input: WebhookInput): WebhookResult => {
  const secret = secrets.webhookSecret
  if (!secret)
    return {
      ok: false,
      status: 401,
      message:
        'this Jira connection has no webhook secret: set one (Integration Hub → Reconfigure) to receive webhooks',
    }
  const signature = header(input.headers, 'x-hub-signature')
  if (signature !== undefined) {
    const expected = `sha256=${createHmac('sha256', secret).update(input.rawBody, 'utf8').digest('hex')}`
    if (!same(signature.trim().toLowerCase(), expected))
      return { ok: false, status: 401, message: 'the X-Hub-Signature does not match the webhook secret' }
  } else if (input.pathToken === null || !same(input.pathToken, secret))
    return {
      ok: false,
      status: 401,
      message: 'unsigned webhook without the secret in its URL: use /api/v1/hooks/<connection id>/<webhook secret>',
    }
  let body: unknown
  try {
    body = JSON.parse(input.rawBody)
  } catch {
    return { ok: false, status: 400, message: 'the webhook body is not JSON' }
  }
  const parsed = parseJiraWebhookBody(jiraBaseUrl(config), body)
  if (!parsed) return { ok: false, status: 400, message: 'the body is not a Jira webhook (webhookEvent missing)' }
  return { ok: true, ...parsed }
}
