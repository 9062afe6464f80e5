import type { CheckResult, ConnectorContext } from '@vulnsync/core'
import { checkFailure } from '../kit/failure.ts'
import { createJiraClient } from './client.ts'
import type { JiraConfig, JiraSecrets } from './config.ts'
import { checkWording, words } from './words.ts'

/** What vulnsync does in the project: browse, create, edit, transition, comment. */
export const NEEDED_PERMISSIONS = [
  'BROWSE_PROJECTS',
  'CREATE_ISSUES',
  'EDIT_ISSUES',
  'TRANSITION_ISSUES',
  'ADD_COMMENTS',
] as const

/**
 * Proves the token (GET /myself), the project (GET /project/{key}), that the chosen issue type can be created
 * there (createmeta lists only what the account may create) and the permissions tickets need (GET /mypermissions).
 */
export const check = async (ctx: ConnectorContext<JiraConfig, JiraSecrets>): Promise<CheckResult> => {
  const key = ctx.config.projectKey
  const client = createJiraClient(ctx)
  try {
    const me = await client.myself()
    const project = await client.project(key)
    const types = await client.creatableTypes(key)
    const type = types.find((t) => t.name.toLowerCase() === ctx.config.issueType.toLowerCase())
    if (!type)
      return {
        ok: false,
        code: types.length === 0 ? 'permission' : 'invalid_config',
        message: words.noIssueType(
          ctx.config.issueType,
          key,
          types.map((t) => t.name),
        ),
        hint: words.noIssueTypeHint,
      }
    const perms = await client.permissions(key, [...NEEDED_PERMISSIONS])
    const missing = NEEDED_PERMISSIONS.filter((p) => perms[p]?.havePermission !== true)
    if (missing.length > 0)
      return {
        ok: false,
        code: 'permission',
        message: words.missingPermissions(key, missing),
        hint: words.forbiddenHint,
      }
    return {
      ok: true,
      message: `connected to Jira as ${me.displayName ?? me.accountId}: ${type.name} tickets can be created in ${project.key}${project.name ? ` (${project.name})` : ''}`,
      details: { accountId: me.accountId, project: project.key, issueType: type.name },
    }
  } catch (err) {
    return checkFailure(checkWording, err, { project: key })
  }
}
