import type { CheckResult, ConnectorContext } from '@vulnsync/core'
import { checkFailure } from '../kit/failure.ts'
import { createEndorClient } from './client.ts'
import type { EndorConfig, EndorSecrets } from './config.ts'
import { checkWording } from './words.ts'

/** The token exchange, then an authenticated list call in the namespace: proves the key AND the namespace grant. */
export const check = async (ctx: ConnectorContext<EndorConfig, EndorSecrets>): Promise<CheckResult> => {
  const ns = ctx.config.namespace
  const client = createEndorClient(ctx, { interactive: true })
  try {
    await client.exchange()
    await client.listPage('projects', { traverse: true, pageSize: 1 })
  } catch (err) {
    return checkFailure(checkWording, err, { namespace: ns })
  }
  let projects: number | null = null
  try {
    projects = await client.count('projects', { traverse: true })
  } catch {
    projects = null
  }
  return {
    ok: true,
    message:
      projects === null
        ? `connected to Endor Labs namespace ${ns}`
        : `connected to Endor Labs namespace ${ns}: ${projects} project${projects === 1 ? '' : 's'} visible`,
    details: { namespace: ns, projects },
  }
}
