import { z } from 'zod'

/** The fields of a Jira issue vulnsync reads (remediation-and-outbound.md §3). Permissive: the rest passes through. */
export const JiraStatus = z.looseObject({
  name: z.string(),
  statusCategory: z.looseObject({ key: z.enum(['new', 'indeterminate', 'done', 'undefined']).catch('undefined') }),
})

export const JiraIssue = z.looseObject({
  id: z.string(),
  key: z.string(),
  self: z.string().optional(),
  fields: z.looseObject({
    status: JiraStatus,
    resolution: z.looseObject({ name: z.string() }).nullish(),
    updated: z.string(),
  }),
})
export type JiraIssue = z.infer<typeof JiraIssue>

/** POST/GET /rest/api/3/search/jql: no total, no startAt; nextPageToken is absent on the last page. */
export const JiraSearchPage = z.looseObject({
  issues: z.array(z.unknown()).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
})

export const JiraTransitions = z.looseObject({
  transitions: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      to: z.looseObject({ name: z.string(), statusCategory: z.looseObject({ key: z.string() }).optional() }),
    }),
  ),
})
export type JiraTransition = z.infer<typeof JiraTransitions>['transitions'][number]

export const JiraCreated = z.looseObject({ id: z.string(), key: z.string() })

export const JiraMyself = z.looseObject({ accountId: z.string(), displayName: z.string().optional() })

export const JiraProject = z.looseObject({ id: z.string(), key: z.string(), name: z.string().optional() })

/** GET /rest/api/3/issue/createmeta/{project}/issuetypes: only the types the account may create. */
export const JiraCreateMetaTypes = z.looseObject({
  issueTypes: z.array(z.looseObject({ id: z.string(), name: z.string() })).optional(),
  values: z.array(z.looseObject({ id: z.string(), name: z.string() })).optional(),
})

export const JiraPermissions = z.looseObject({
  permissions: z.record(z.string(), z.looseObject({ havePermission: z.boolean() })),
})

/** A webhook delivery (jira:issue_updated and friends): the issue as it is after the change. */
export const JiraWebhook = z.looseObject({
  timestamp: z.number().optional(),
  webhookEvent: z.string(),
  user: z.looseObject({ accountId: z.string().optional() }).nullish(),
  issue: JiraIssue.optional(),
})

/** The 400 body: {"errorMessages":[…],"errors":{"field":"message"}}. */
export const JiraErrorBody = z.looseObject({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.string()).optional(),
})
