import type { DecisionKind, TicketState, TicketVerdict } from '@vulnsync/core'
import { ticketStateOf } from './client.ts'
import type { JiraConfig } from './config.ts'
import { JiraWebhook } from './raw.ts'

const inList = (list: string[], name: string) => list.some((n) => n.trim().toLowerCase() === name.trim().toLowerCase())

/**
 * What a ticket's state means for vulnsync (pure). Closure is the status category `done`, never the resolution
 * field (workflows leave a resolution on reopened tickets and set "Unresolved" on new ones); a resolution becomes a
 * decision only through the configured lists, and an acceptance always gets an expiry.
 */
export const jiraVerdict = (config: JiraConfig, t: TicketState): TicketVerdict => {
  if (t.category !== 'done' || t.resolution === null) return { category: t.category, decision: null }
  const kind: DecisionKind | null = inList(config.acceptedResolutions, t.resolution)
    ? 'accepted'
    : inList(config.falsePositiveResolutions, t.resolution)
      ? 'false_positive'
      : inList(config.notAffectedResolutions, t.resolution)
        ? 'not_affected'
        : null
  if (kind === null) return { category: 'done', decision: null }
  return {
    category: 'done',
    decision: {
      kind,
      reason: `Jira ${t.key} was closed as "${t.resolution}"`,
      expiresInDays: kind === 'accepted' ? config.acceptanceDays : null,
    },
  }
}

/**
 * A webhook body (already verified) as the ticket it is about, or null for an event that carries no issue (a
 * project or comment-only event). Undefined when the body is not a Jira webhook.
 */
export const parseJiraWebhookBody = (
  base: string,
  body: unknown,
): { ticket: TicketState | null; event: string } | undefined => {
  const r = JiraWebhook.safeParse(body)
  if (!r.success) return undefined
  const w = r.data
  return {
    event: w.webhookEvent,
    ticket: w.issue ? ticketStateOf(base, w.issue, w.user?.accountId ?? null) : null,
  }
}
