import type { DeliveryRow, IssueBriefRow, NotificationType } from '@vulnsync/db'

/** The issue as events carry it (no raw records, no evidence beyond the summary). */
export const issueBrief = (i: IssueBriefRow, publicUrl: string) => ({
  id: String(i.id),
  cve: i.cve,
  aliases: i.aliases ?? [],
  package: { purl: i.package_key, name: i.package_name, ecosystem: i.ecosystem, versions: i.versions ?? [] },
  target: { name: i.target_name, url: i.target_url },
  severity: i.severity,
  priority: i.priority,
  status: i.status,
  stage: i.stage,
  slaDueAt: i.sla_due_at ? new Date(i.sla_due_at).toISOString() : null,
  fixedVersions: i.fixed_versions ?? [],
  url: `${publicUrl}/vulnerabilities/${i.id}`,
})
export type IssueBrief = ReturnType<typeof issueBrief>

const TITLES: Record<NotificationType, string> = {
  'issue.new': 'New vulnerability',
  'issue.fixed': 'Vulnerability fixed',
  'issue.fix_merged': 'Fix merged',
  'sla.due_soon': 'SLA due soon',
  'sla.breached': 'SLA breached',
  'decision.expiring': 'Decision expiring',
  'sync.failed': 'Sync failed',
  'sync.held': 'Sync held',
}

/** The body of a generic webhook: the event, its data and where to look; `deliveryId` lets a receiver dedupe. */
export const webhookBody = (d: DeliveryRow): string =>
  JSON.stringify({
    id: String(d.event_id),
    deliveryId: String(d.id),
    type: d.event_type,
    occurredAt: new Date(d.event_at).toISOString(),
    title: TITLES[d.event_type],
    data: d.payload,
  })

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** One readable line about the event, with a link (Slack mrkdwn). */
export const slackText = (type: NotificationType, p: Record<string, any>): string => {
  const issue = p.issue as IssueBrief | undefined
  const what = issue
    ? `<${issue.url}|${esc(issue.cve)}> in *${esc(issue.package.name)}* ${esc(issue.package.versions.join(', '))} (${esc(issue.target.name)}), priority *${issue.priority}*`
    : ''
  switch (type) {
    case 'issue.new':
      return `:rotating_light: New vulnerability: ${what}`
    case 'issue.fixed':
      return `:white_check_mark: Fixed: ${what} — no scanner reports it any more`
    case 'issue.fix_merged':
      return `:twisted_rightwards_arrows: Fix merged for ${what}; the next sync verifies it`
    case 'sla.due_soon':
      return `:hourglass_flowing_sand: SLA due ${String(p.dueAt).slice(0, 10)}: ${what}`
    case 'sla.breached':
      return `:red_circle: SLA breached (was due ${String(p.dueAt).slice(0, 10)}): ${what}`
    case 'decision.expiring':
      return `:calendar: The ${esc(String(p.decision?.kind).replace('_', ' '))} decision for ${esc(String(p.decision?.cve))} expires ${String(p.decision?.expiresAt).slice(0, 10)} (${p.decision?.issues} issue(s)): <${p.url}|review it>`
    case 'sync.failed':
    case 'sync.held': {
      const run = p.run ?? {}
      const why = run.error?.message ? `: ${esc(String(run.error.message))}` : ''
      return `:warning: Sync of *${esc(String(run.connection?.name))}* (${run.connection?.kind}) ${run.status}${why} <${p.url}|open the run>`
    }
    default: {
      const never: never = type
      return String(never)
    }
  }
}

/** A Slack incoming-webhook message: the line as text (notifications) and as a section block. */
export const slackBody = (d: DeliveryRow): string => {
  const text = slackText(d.event_type, d.payload as Record<string, any>)
  return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] })
}
