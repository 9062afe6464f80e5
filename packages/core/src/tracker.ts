import type { ConnectorContext } from './connector.ts'
import type { DecisionKind, IssueStatus, SlaLevel, Stage } from './workflow.ts'

/**
 * Ticket trackers (Jira), vendor-neutral: what vulnsync puts in a ticket, which tickets it wants in which state, and
 * what a tracker's change means for the workflow. The connector speaks the vendor's API; the server keeps the links,
 * the outbox and the ordering; the pure rules are here.
 */

/** A tracker's status category: to do, in progress, done (Jira's statusCategory keys). */
export type TicketCategory = 'new' | 'indeterminate' | 'done'

export interface TicketRef {
  id: string
  key: string
}

/** A ticket as the tracker shows it now. */
export interface TicketState extends TicketRef {
  url: string
  category: TicketCategory
  /** the status's own name ("In Review") */
  status: string
  /** the resolution's name, or null */
  resolution: string | null
  /** when the tracker last changed it: the order of changes (a late or repeated delivery is older) */
  updatedAt: Date
  /** the account that made the change, when the tracker says (webhooks) */
  byAccount: string | null
}

/** One vulnsync issue as a ticket describes it. */
export interface TicketIssue {
  id: string
  cve: string
  aliases: string[]
  packageName: string
  /** the purl without its version */
  packageKey: string
  versions: string[]
  fixedVersions: string[]
  targetName: string
  targetUrl: string | null
  severity: SlaLevel
  priority: SlaLevel
  /** why the priority is what it is ("Critical → High because …") */
  explanation: string
  status: IssueStatus
  stage: Stage
  /** who owns the work: the assignee's name, or null */
  owner: string | null
  slaDueAt: Date | null
  /** the kinds of the scanners that report it */
  sources: string[]
  /** short lines of evidence from the scanners (titles, links) */
  evidence: string[]
  /** the issue in vulnsync */
  url: string
}

/** What a ticket carries: a group of issues that one fix closes (by default the same package in the same target). */
export interface TicketContent {
  summary: string
  issues: TicketIssue[]
  /** the highest priority of its open issues */
  priority: SlaLevel
  /** the earliest SLA due date of its open issues, as YYYY-MM-DD (the tracker's due date), or null */
  dueDate: string | null
  labels: string[]
  /** the group in vulnsync's queue */
  url: string
}

/** Which issues get a ticket, and how they are grouped. */
export interface TicketRules {
  /** issues at or above this priority get a ticket on their own; null: only by hand */
  minPriority: SlaLevel | null
  /** only issues of these targets (repository names); empty: every target */
  repositories: string[]
  /** only issues whose owner team (`issues.owner_team_id`) is one of these team ids; empty: any owner, or none */
  teams: string[]
  /** `fix`: one ticket per target + package (default); `issue`: one per issue (one CVE) */
  grouping: 'fix' | 'issue'
  /** also ticket matching issues detected before the connection was made */
  backfill: boolean
}

/** What the tracker's state of a ticket means for vulnsync. */
export interface TicketVerdict {
  category: TicketCategory
  /** a resolution mapped to a decision (only through the configured mapping) */
  decision: { kind: DecisionKind; reason: string; expiresInDays: number | null } | null
}

export type MoveOutcome =
  | { moved: true; state: TicketState; via: string }
  /** no transition leads there (a custom workflow): the tracker got a comment instead */
  | { moved: false; state: TicketState; reason: string }

export interface WebhookInput {
  headers: Record<string, string | string[] | undefined>
  rawBody: string
  /** the secret part of the webhook URL, when the tracker was given one */
  pathToken: string | null
}

export type WebhookResult =
  | { ok: true; ticket: TicketState | null; event: string }
  | { ok: false; status: 400 | 401; message: string }

type Ctx<C, S> = ConnectorContext<C, S>

/** The tracker operations a `tracker` connector implements (connector.ts declares the connector itself). */
export interface TrackerOps<Config, Secrets> {
  rules(config: Config): TicketRules
  createTicket(ctx: Ctx<Config, Secrets>, content: TicketContent): Promise<TicketState>
  /** rewrites the description, due date and priority (an issue joined or left the group) */
  updateTicket(ctx: Ctx<Config, Secrets>, ref: TicketRef, content: TicketContent): Promise<void>
  /** moves a ticket to a category through the configured transitions, with a comment saying why */
  moveTicket(ctx: Ctx<Config, Secrets>, ref: TicketRef, to: TicketCategory, why: string): Promise<MoveOutcome>
  getTicket(ctx: Ctx<Config, Secrets>, ref: TicketRef): Promise<TicketState | null>
  /** tickets vulnsync made that changed since `since` (all of them when null), oldest change first */
  changedTickets(ctx: Ctx<Config, Secrets>, since: Date | null): AsyncIterable<TicketState>
  /** the account vulnsync acts as, so its own changes are never applied back */
  whoami(ctx: Ctx<Config, Secrets>): Promise<string>
  /** a webhook delivery, verified (secret in the URL or a signature header) and parsed */
  parseWebhook(config: Config, secrets: Secrets, input: WebhookInput): WebhookResult
  verdict(config: Config, state: TicketState): TicketVerdict
}

const RANK: Record<SlaLevel, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 }
export const levelAtLeast = (level: SlaLevel, min: SlaLevel): boolean => RANK[level] >= RANK[min]

/** The ticket an issue belongs to under a grouping: its target and package (a fix), or the issue itself. */
export const ticketGroupKey = (
  issue: { id: string; targetKey: string; packageKey: string },
  grouping: TicketRules['grouping'],
): string => (grouping === 'issue' ? `issue:${issue.id}` : `fix:${issue.targetKey}|${issue.packageKey}`)

/**
 * Does a rule pick this issue on its own (not by hand)? Every criterion given must hold: the priority, one of the
 * repositories, one of the teams (an issue no team owns is never one of a team's).
 */
export const ruleMatches = (
  rules: TicketRules,
  issue: { priority: SlaLevel; targetName: string; status: IssueStatus; ownerTeamId: string | null },
): boolean =>
  issue.status === 'open' &&
  rules.minPriority !== null &&
  levelAtLeast(issue.priority, rules.minPriority) &&
  (rules.repositories.length === 0 ||
    rules.repositories.some((r) => r.toLowerCase() === issue.targetName.toLowerCase())) &&
  (rules.teams.length === 0 || (issue.ownerTeamId !== null && rules.teams.includes(issue.ownerTeamId)))

const closedWhy: Record<Exclude<IssueStatus, 'open'>, string> = {
  fixed: 'fixed: no scanner reports it any more',
  excluded: 'out of the scanned locations',
  accepted: 'risk accepted in vulnsync',
  false_positive: 'marked a false positive in vulnsync',
  not_affected: 'not affected (VEX) in vulnsync',
}

/**
 * The category vulnsync wants a ticket in, or null to leave it: done once every issue of it is closed; back to do
 * when vulnsync reopened one (a fix that came back, a decision that ended) while the ticket is done; in progress
 * when work on an open issue started while the ticket is still to do. Pure.
 */
export const wantedCategory = (
  issues: { cve: string; status: IssueStatus; stage: Stage }[],
  current: TicketCategory,
  reopenRequested: boolean,
): { category: TicketCategory; why: string } | null => {
  if (issues.length === 0) return null
  const open = issues.filter((i) => i.status === 'open')
  if (open.length === 0) {
    if (current === 'done') return null
    const whys = [...new Set(issues.map((i) => closedWhy[i.status as Exclude<IssueStatus, 'open'>]))]
    return { category: 'done', why: `vulnsync closed every issue of this ticket (${whys.join('; ')})` }
  }
  if (current === 'done')
    return reopenRequested
      ? {
          category: 'new',
          why: `reopened in vulnsync: ${open.map((i) => i.cve).join(', ')} ${open.length === 1 ? 'is' : 'are'} open again`,
        }
      : null
  if (current === 'new' && open.some((i) => i.stage === 'in_progress' || i.stage.startsWith('fix_')))
    return { category: 'indeterminate', why: `work started in vulnsync (stage ${open.map((i) => i.stage).join(', ')})` }
  return null
}

const ORDER: SlaLevel[] = ['critical', 'high', 'medium', 'low', 'info']

/** A ticket's content from its issues (pure): summary, the highest open priority, the earliest due date. */
export const ticketContent = (issues: TicketIssue[], url: string): TicketContent => {
  const open = issues.filter((i) => i.status === 'open')
  const live = open.length > 0 ? open : issues
  const priority = ORDER.find((l) => live.some((i) => i.priority === l)) ?? 'info'
  const due = live
    .map((i) => i.slaDueAt)
    .filter((d): d is Date => d !== null)
    .sort((a, b) => a.getTime() - b.getTime())[0]
  const first = issues[0]!
  const cves = [...new Set(issues.map((i) => i.cve))].sort()
  const versions = [...new Set(issues.flatMap((i) => i.versions))].join(', ')
  const pkg = versions ? `${first.packageName} ${versions}` : first.packageName
  const summary =
    cves.length === 1
      ? `${cves[0]} in ${pkg} (${first.targetName})`
      : `${cves.length} vulnerabilities in ${pkg} (${first.targetName}): ${cves.slice(0, 3).join(', ')}${cves.length > 3 ? ', …' : ''}`
  return {
    summary: summary.length > 250 ? `${summary.slice(0, 249)}…` : summary,
    issues,
    priority,
    dueDate: due ? due.toISOString().slice(0, 10) : null,
    labels: ['vulnsync', ...cves.slice(0, 20).map((c) => c.toLowerCase())],
    url,
  }
}
