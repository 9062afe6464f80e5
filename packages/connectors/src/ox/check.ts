import type { CheckResult, ConnectorContext } from '@vulnsync/core'
import { checkFailure } from '../kit/failure.ts'
import { createOxClient, OX_GRAPHQL_PATH } from './client.ts'
import { type OxConfig, type OxSecrets, oxBaseUrl } from './config.ts'
import { CHECK_QUERY } from './queries.ts'
import { hostOf, oxTuning } from './read.ts'
import { checkWording } from './words.ts'

/** One cheap request that proves the key and both read permissions the import needs (applications and issues). */
export const check = async (ctx: ConnectorContext<OxConfig, OxSecrets>): Promise<CheckResult> => {
  const client = createOxClient(ctx, { ...oxTuning.client, pauseWhenExhausted: false, timeoutMs: 30_000 })
  try {
    const data = await client.graphql<{
      getApplications?: { total?: number } | null
      getIssues?: { totalIssues?: number } | null
    }>('CheckAccess', CHECK_QUERY, {
      appsInput: { offset: 0, limit: 1 },
      issuesInput: { offset: 0, limit: 1 },
    })
    const apps = data.getApplications?.total
    const issues = data.getIssues?.totalIssues
    return {
      ok: true,
      message: `connected to OX Security${typeof apps === 'number' ? `: ${apps} applications` : ''}${typeof issues === 'number' ? `, ${issues} issues visible` : ''}`,
      details: {
        applications: apps,
        issues,
        rateLimit: { limit: client.budget.limit, remaining: client.budget.remaining },
      },
    }
  } catch (err) {
    return checkFailure(checkWording, err, { host: hostOf(ctx), url: `${oxBaseUrl(ctx.config)}${OX_GRAPHQL_PATH}` })
  }
}
