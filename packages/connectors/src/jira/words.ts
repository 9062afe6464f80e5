import type { Wording } from '../kit/failure.ts'

/** Jira Cloud's words for every failure: the client raises its errors with them, the check answers with them. */
export const words = {
  tokenRejected: (status: number) =>
    `Jira rejected the account email and API token (HTTP ${status}): check both, and that the token has not been revoked`,
  tokenRejectedHint:
    'Create a token at id.atlassian.com → Security → API tokens while signed in as the account whose email you entered. Atlassian service accounts use another API host and are not supported.',
  forbidden: (what: string) =>
    `Jira refused ${what} (HTTP 403): the account lacks a permission in the project, or the site blocks API tokens`,
  forbiddenHint: 'Give the account Browse, Create, Edit and Transition issues and Add comments in the project.',
  noProject: (key: string) =>
    `project ${key} does not exist, or the account cannot browse it (HTTP 404): check the project key`,
  noProjectHint: 'The key is the prefix of the issue keys (SEC for SEC-12); the account needs Browse Projects there.',
  noIssueType: (type: string, key: string, types: string[]) =>
    types.length === 0
      ? `the account cannot create any issue in project ${key}: it lacks the Create Issues permission`
      : `issues of type "${type}" cannot be created in project ${key}; the account can create ${types.join(', ')}`,
  noIssueTypeHint: 'Choose one of the types named, or ask a Jira admin to add the type to the project.',
  missingPermissions: (key: string, missing: string[]) =>
    `the account lacks ${missing.join(', ')} in project ${key}: vulnsync needs them to create tickets and move them`,
  unreachable: (detail: string) => `could not reach Jira: ${detail}`,
  unreachableHint: 'Check the site URL (https://<site>.atlassian.net) and that this server can reach it.',
  rateLimited: 'Jira kept answering HTTP 429 (too many requests) after waiting as it asked; vulnsync will try again',
  refused: (what: string, said: string) => `Jira refused ${what} (HTTP 400): ${said}`,
  gone: 'Jira answered 410 Gone: this site no longer offers the API vulnsync calls',
  unexpected: (what: string) => `Jira answered ${what} with something vulnsync could not read`,
}

/** What the check says, for the project it checked. */
export const checkWording: Wording<{ project: string }> = {
  auth: (err) => ({ message: err.message, hint: words.tokenRejectedHint }),
  permission: (err) => ({ message: err.message, hint: words.forbiddenHint }),
  not_found: (_err, { project }) => ({ message: words.noProject(project), hint: words.noProjectHint }),
  unreachable: (err) => ({ message: words.unreachable(err.message), hint: words.unreachableHint }),
  bad_response: (err) => ({ message: `Jira answered an error: ${err.message}` }),
  other: (err) => ({ message: `Jira answered an error: ${err.message}` }),
  unexpected: (err) => ({ message: `Jira check failed: ${(err as Error)?.message ?? String(err)}` }),
}
