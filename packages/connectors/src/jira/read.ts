import type { ConnectorContext, TicketState } from '@vulnsync/core'
import { createJiraClient } from './client.ts'
import type { JiraConfig, JiraSecrets } from './config.ts'

/** How far back before the last reconciliation a search looks again (clock skew, the minute-wide JQL). */
const OVERLAP_MINUTES = 5

/** The JQL of vulnsync's tickets in the project, changed in the last minutes (relative: no time zone involved). */
export const ticketsJql = (project: string, sinceMinutes: number | null): string =>
  `project = "${project}" AND labels = "vulnsync"${sinceMinutes === null ? '' : ` AND updated >= "-${sinceMinutes}m"`} ORDER BY updated ASC`

/**
 * The reconciliation's read: vulnsync's tickets that changed since `since` (every one when null), through
 * /rest/api/3/search/jql and its nextPageToken paging (no total, no startAt; the last page has no token).
 */
export async function* changedTickets(
  ctx: ConnectorContext<JiraConfig, JiraSecrets>,
  since: Date | null,
): AsyncGenerator<TicketState> {
  const client = createJiraClient(ctx)
  const minutes =
    since === null ? null : Math.max(1, Math.ceil((ctx.now().getTime() - since.getTime()) / 60_000) + OVERLAP_MINUTES)
  const jql = ticketsJql(ctx.config.projectKey, minutes)
  let token: string | undefined
  const seen = new Set<string>()
  for (let pages = 0; ; pages++) {
    const page = await client.search(jql, token)
    ctx.progress({ pages: pages + 1 })
    for (const t of page.issues) yield t
    if (!page.next || seen.has(page.next)) return
    seen.add(page.next)
    token = page.next
  }
}
