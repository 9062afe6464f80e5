import { connectionContext } from '@vulnsync/connectors'
import type { ConnectorContext, PullRequestWriter, RepoRef, ScmConnector } from '@vulnsync/core'
import { type FixRepositoryRow, getConnectionById, InputError } from '@vulnsync/db'
import type { Runtime } from '../runtime.ts'
import { connectionForRun, connectorOf } from '../sync/connection.ts'

export type ScmDeps = Pick<Runtime, 'db' | 'connectors' | 'box' | 'engine' | 'logger'>

export interface ScmAccess {
  connectionId: string
  connectionName: string
  writer: PullRequestWriter<unknown, unknown>
  ctx: ConnectorContext<unknown, unknown>
  enabled: boolean
  repo: RepoRef
}

/** The SCM connection a repository came from, with its pull request writer and a context to call it. */
export const scmAccess = async (rt: ScmDeps, r: FixRepositoryRow): Promise<ScmAccess> => {
  const c = await getConnectionById(rt.db, r.connection_id)
  if (!c || c.deleted_at)
    throw new InputError(
      'no_connection',
      `repository ${r.full_name} came from a connection that was removed`,
      'connect its source control again',
      409,
    )
  const connector = connectorOf(rt.connectors, c.kind) as ScmConnector | undefined
  if (connector?.role !== 'scm' || !connector.pullRequests)
    throw new InputError('no_pull_requests', `${c.kind} connections cannot open pull requests`, undefined, 409)
  let conn: ReturnType<typeof connectionForRun>
  try {
    conn = connectionForRun(rt.box, c)
  } catch (err) {
    throw new InputError(
      'credentials_unreadable',
      `the stored credentials of the connection "${c.name}" cannot be read (${(err as Error).message})`,
      'was VULNSYNC_SECRET_KEY changed? Give the connection its token again (PATCH /api/v1/connections/{id})',
      409,
    )
  }
  return {
    connectionId: c.id,
    connectionName: c.name,
    writer: connector.pullRequests as PullRequestWriter<unknown, unknown>,
    enabled: connector.pullRequests.enabled(conn.config),
    ctx: connectionContext(connector, 'discover', {
      config: conn.config,
      secrets: conn.secrets,
      allowPrivateNetworks: rt.engine.allowPrivateNetworks,
      logger: rt.logger,
      http: rt.engine.http,
      sleep: rt.engine.sleep,
    }) as ConnectorContext<unknown, unknown>,
    repo: { externalId: r.external_id, fullName: r.full_name, defaultBranch: r.default_branch },
  }
}
