import { z } from 'zod'
import { httpBaseUrl } from '../kit/schema.ts'

const names = (label: string, help: string) =>
  z.array(z.string().trim().min(1).max(100)).max(50).default([]).meta({ label, help, placeholder: "Won't Fix" })

export const JiraConfig = z.object({
  siteUrl: httpBaseUrl('https://acme.atlassian.net').meta({
    label: 'Site URL',
    help: 'Your Jira Cloud site, as in the browser: https://<site>.atlassian.net (the REST API is under /rest/api/3).',
    placeholder: 'https://acme.atlassian.net',
  }),
  projectKey: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,19}$/, 'a project key is letters, digits and _ starting with a letter, e.g. SEC')
    .transform((v) => v.toUpperCase())
    .meta({
      label: 'Project key',
      help: 'The key of the project tickets go to (the prefix of its issue keys: SEC for SEC-12).',
      placeholder: 'SEC',
    }),
  issueType: z.string().trim().min(1).max(100).default('Bug').meta({
    label: 'Issue type',
    help: 'The issue type of the tickets (Bug, Task, Security…); the account must be able to create it in the project.',
    placeholder: 'Bug',
  }),
  minPriority: z.enum(['critical', 'high', 'medium', 'low', 'none']).default('critical').meta({
    label: 'Ticket issues at or above priority',
    help: 'Open issues at or above this priority get a ticket by themselves; "none" makes tickets only by hand (the detail page or a bulk action).',
  }),
  repositories: z.array(z.string().trim().min(1).max(300)).max(1000).default([]).meta({
    label: 'Only these repositories',
    help: 'Repository names (owner/name), comma-separated; empty: every repository. Tickets made by hand ignore this.',
    placeholder: 'acme/api, acme/web',
  }),
  teams: z
    .array(z.string().trim().uuid('a team is named by its id (GET /api/v1/teams lists them)'))
    .max(100)
    .default([])
    .meta({
      label: 'Only these teams',
      help: 'Only issues a chosen team owns (the Owner column of the queue); empty: whoever owns them, or nobody. Combined with the priority and the repositories. Tickets made by hand ignore this.',
      picker: 'teams',
    }),
  grouping: z.enum(['fix', 'issue']).default('fix').meta({
    label: 'One ticket per',
    help: '"fix": one ticket per package in a repository, however many CVEs one upgrade fixes (the default); "issue": one ticket per CVE.',
  }),
  backfill: z.boolean().default(false).meta({
    label: 'Also ticket older issues',
    help: 'Off: only issues first detected after this connection was made get tickets automatically. On: every open issue the rule picks.',
  }),
  inProgressTransition: z.string().trim().max(100).optional().meta({
    label: 'Transition to start work',
    help: 'The name of the transition vulnsync uses when work starts (stage in progress, fix proposed). Empty: the first transition to a status of the "In Progress" category.',
    placeholder: 'Start Progress',
  }),
  doneTransition: z.string().trim().max(100).optional().meta({
    label: 'Transition to close',
    help: 'The transition vulnsync uses when every issue of a ticket is fixed or decided. Empty: the first transition to a "Done" status. Without any, vulnsync comments instead.',
    placeholder: 'Done',
  }),
  reopenTransition: z.string().trim().max(100).optional().meta({
    label: 'Transition to reopen',
    help: 'The transition vulnsync uses when a fixed issue comes back. Empty: the first transition to a "To Do" status.',
    placeholder: 'Reopen',
  }),
  acceptedResolutions: names(
    'Resolutions that accept the risk',
    'Jira resolutions that mean "risk accepted" in vulnsync (comma-separated). Closing a ticket with one records an acceptance that expires after the days below.',
  ),
  falsePositiveResolutions: names(
    'Resolutions that mean false positive',
    'Jira resolutions that record a false positive in vulnsync.',
  ),
  notAffectedResolutions: names(
    'Resolutions that mean not affected',
    'Jira resolutions that record "not affected" (VEX) in vulnsync.',
  ),
  acceptanceDays: z.number().int().min(1).max(3650).default(30).meta({
    label: 'Days an acceptance from Jira lasts',
    help: 'A risk acceptance made by closing a ticket expires after this many days (at most the SLA policy allows); the issue then reopens.',
  }),
})
export type JiraConfig = z.infer<typeof JiraConfig>

export const JiraSecrets = z.object({
  email: z.string().trim().min(3, 'the account email is required').max(300).meta({
    label: 'Account email',
    help: 'The email of the Atlassian account vulnsync acts as (a dedicated account lets you tell its changes apart).',
    placeholder: 'vulnsync@acme.example',
  }),
  apiToken: z.string().trim().min(1, 'the API token is required').meta({
    label: 'API token',
    help: 'Create one at id.atlassian.com → Security → API tokens for the account above. It needs Browse, Create, Edit and Transition issues and Add comments in the project.',
    secret: true,
  }),
  webhookSecret: z.string().trim().min(16, 'a webhook secret is at least 16 characters').max(200).optional().meta({
    label: 'Webhook secret',
    help: "Optional. Enter the same value in the Jira webhook's Secret field (vulnsync checks X-Hub-Signature), or append it to the webhook URL: /api/v1/hooks/<connection id>/<secret>. Without it, Jira's changes arrive only through the periodic reconciliation.",
    secret: true,
  }),
})
export type JiraSecrets = z.infer<typeof JiraSecrets>

export const jiraBaseUrl = (config: Pick<JiraConfig, 'siteUrl'>): string => config.siteUrl.replace(/\/+$/, '')
