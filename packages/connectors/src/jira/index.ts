import type { TrackerConnector } from '@vulnsync/core'
import { defineConnector } from '../kit/define.ts'
import { check } from './check.ts'
import { JiraConfig, JiraSecrets, jiraBaseUrl } from './config.ts'
import { jiraVerdict } from './map.ts'
import { changedTickets } from './read.ts'
import { createTicket, getTicket, moveTicket, updateTicket, whoami } from './tickets.ts'
import { parseJiraWebhook } from './webhook.ts'

export const jiraConnector = defineConnector<TrackerConnector<'jira', JiraConfig, JiraSecrets>>({
  kind: 'jira',
  role: 'tracker',
  title: 'Jira Cloud',
  logoLetters: 'JI',
  description:
    'Creates Jira tickets for the issues your rules pick (one per fix by default), moves them as the work moves, and follows what happens in Jira: closing, resolutions mapped to decisions, reopening.',
  help: 'Use an Atlassian account email with an API token (id.atlassian.com → Security → API tokens). The account needs Browse, Create, Edit and Transition issues and Add comments in the project. For instant updates add a Jira webhook (Settings → System → WebHooks) for "Issue updated" with the JQL labels = vulnsync, pointing at /api/v1/hooks/<connection id> with the webhook secret.',
  configSchema: JiraConfig,
  secretsSchema: JiraSecrets,
  baseUrl: (config) => jiraBaseUrl(config),
  check,
  rules: (config) => ({
    minPriority: config.minPriority === 'none' ? null : config.minPriority,
    repositories: config.repositories,
    teams: [...new Set(config.teams.map((t) => t.toLowerCase()))],
    grouping: config.grouping,
    backfill: config.backfill,
  }),
  createTicket,
  updateTicket,
  moveTicket,
  getTicket,
  changedTickets,
  whoami,
  parseWebhook: parseJiraWebhook,
  verdict: jiraVerdict,
})
