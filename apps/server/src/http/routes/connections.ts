import { createConnectorContext } from '@vulnsync/connectors'
import { type AnyConnector, type Location, matchKeys } from '@vulnsync/core'
import {
  audit,
  type ConnectionRow,
  excludeDeselected,
  getConnection,
  getRun,
  insertConnection,
  listConnections,
  type RunRow,
  softDeleteConnection,
  updateConnection,
} from '@vulnsync/db'
import { z } from 'zod'
import { confirmHeldRun } from '../../ingest/engine.ts'
import {
  connectionForRun,
  connectorOf,
  nextCronTime,
  type Runtime,
  requestRun,
  runCheck,
  validateCron,
} from '../../runtime.ts'
import { ApiError, zodMessage } from '../errors.ts'
import type { createRouter } from '../route.ts'
import { UuidParams as Id, Name as NameSchema } from '../schemas.ts'
import { connectionView, runView } from '../views.ts'

const Name = NameSchema(100)
const Locations = z.array(z.string().min(1).max(500)).max(100_000).nullable()
const Cron = z.string().max(100)

const secretFieldsOf = (c: AnyConnector): string[] => {
  const shape = (c.secretsSchema as any)?.shape ?? (c.secretsSchema as any)?._def?.shape
  return shape ? Object.keys(typeof shape === 'function' ? shape() : shape) : []
}

const parseWith = <T>(schema: z.ZodType<T>, value: unknown, where: 'config' | 'secrets'): T => {
  const r = schema.safeParse(value)
  if (!r.success)
    throw new ApiError(
      422,
      'invalid_request',
      zodMessage(r.error, where),
      where === 'secrets' ? 'check the credentials fields' : 'check the configuration fields',
      r.error.issues,
    )
  return r.data
}

const checkOrThrow = async (rt: Runtime, connector: AnyConnector, config: unknown, secrets: unknown) => {
  const result = await runCheck(rt, connector, config, secrets)
  if (!result.ok)
    throw new ApiError(
      422,
      'check_failed',
      result.message,
      result.hint ?? 'fix the credentials or configuration and try again; nothing was saved',
      { check: result.code },
    )
  return result
}

const lastRuns = async (rt: Runtime, ids: string[]) => {
  if (ids.length === 0) return new Map<string, RunRow>()
  const { rows } = await rt.db.query<RunRow>(
    `SELECT DISTINCT ON (connection_id) * FROM sync_runs WHERE connection_id = ANY($1::uuid[]) ORDER BY connection_id, queued_at DESC`,
    [ids],
  )
  return new Map(rows.map((r) => [r.connection_id, r]))
}

export const loadConnection = async (
  rt: Runtime,
  id: string,
): Promise<{ row: ConnectionRow; connector: AnyConnector }> => {
  const row = await getConnection(rt.db, rt.workspaceId, id)
  if (!row)
    throw new ApiError(
      404,
      'not_found',
      `connection ${id} does not exist`,
      'list connections with GET /api/v1/connections',
    )
  const connector = connectorOf(rt.connectors, row.kind)
  if (!connector)
    throw new ApiError(
      409,
      'unknown_kind',
      `connection ${id} is of kind ${JSON.stringify(row.kind)}, which this vulnsync does not ship`,
      'upgrade vulnsync to a version with that connector, or disconnect it',
    )
  return { row, connector }
}

export const connectionRoutes = (rt: Runtime, r: ReturnType<typeof createRouter>) => {
  const secretFieldsOfKind = (kind: string) => {
    const c = connectorOf(rt.connectors, kind)
    return c ? secretFieldsOf(c) : []
  }
  const view = async (row: ConnectionRow) => {
    const last = (await lastRuns(rt, [row.id])).get(row.id) ?? null
    return connectionView(row, { lastRun: last, secretFields: secretFieldsOfKind(row.kind) })
  }

  r.add({
    method: 'GET',
    url: '/api/v1/connectors',
    access: 'viewer',
    summary: 'The integration kinds vulnsync can connect, with the JSON Schema of their configuration and credentials',
    tags: ['connections'],
    handler: async () => ({
      items: Object.values(rt.connectors).map((c) => ({
        kind: c.kind,
        title: c.title,
        logoLetters: c.logoLetters,
        description: c.description,
        help: c.help,
        role: c.role,
        configSchema: z.toJSONSchema(c.configSchema, { io: 'input', unrepresentable: 'any' }),
        secretsSchema: z.toJSONSchema(c.secretsSchema, { io: 'input', unrepresentable: 'any' }),
        secretFields: secretFieldsOf(c),
      })),
    }),
  })

  r.add({
    method: 'GET',
    url: '/api/v1/connections',
    access: 'viewer',
    summary: 'List connections (never their secrets)',
    tags: ['connections'],
    handler: async () => {
      const rows = await listConnections(rt.db, rt.workspaceId)
      const last = await lastRuns(
        rt,
        rows.map((x) => x.id),
      )
      return {
        items: rows.map((row) =>
          connectionView(row, {
            lastRun: last.get(row.id) ?? null,
            secretFields: secretFieldsOfKind(row.kind),
          }),
        ),
      }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/connections',
    access: 'admin',
    summary:
      "Connect an integration: runs the connector's check first; on success stores it (secrets encrypted) and queues the initial sync",
    tags: ['connections'],
    responses: {
      201: 'connected; the initial sync is queued',
      422: 'invalid input, or the check failed: nothing was stored',
    },
    body: z.object({
      kind: z.string().min(1).max(100),
      name: Name,
      config: z.record(z.string(), z.unknown()).default({}),
      secrets: z.record(z.string(), z.unknown()),
      locations: Locations.optional(),
      scheduleCron: Cron.optional(),
    }),
    handler: async ({ body, principal, reply }) => {
      const connector = connectorOf(rt.connectors, body.kind)
      if (!connector)
        throw new ApiError(
          422,
          'invalid_request',
          `unknown kind ${JSON.stringify(body.kind)}`,
          `use one of ${Object.keys(rt.connectors).join(', ')}`,
        )
      const config = parseWith(connector.configSchema, body.config, 'config')
      const secrets = parseWith(connector.secretsSchema, body.secrets, 'secrets')
      const cron = body.scheduleCron ?? rt.config.defaultSchedule
      const cronError = validateCron(cron)
      if (cronError)
        throw new ApiError(
          422,
          'invalid_request',
          `scheduleCron: ${cronError}`,
          'use a 5-field cron expression such as "0 */6 * * *"',
        )
      const existing = await listConnections(rt.db, rt.workspaceId)
      if (existing.some((c) => c.name.toLowerCase() === body.name.toLowerCase()))
        throw new ApiError(
          409,
          'conflict',
          `a connection named ${JSON.stringify(body.name)} exists already`,
          'choose another name',
        )
      const check = await checkOrThrow(rt, connector, config, secrets)
      const row = await insertConnection(rt.db, {
        workspaceId: rt.workspaceId,
        kind: connector.kind,
        name: body.name,
        config,
        secretsEnc: rt.box.seal(secrets),
        locations: body.locations ?? null,
        scheduleCron: cron,
        nextSyncAt: nextCronTime(cron, rt.now()),
      })
      const run = await requestRun(rt, row, 'initial')
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: principal.username ?? 'token',
        action: 'connection.create',
        target: row.id,
        detail: { kind: row.kind, name: row.name },
      })
      reply.status(201)
      return {
        connection: connectionView(row, { lastRun: run, secretFields: secretFieldsOf(connector) }),
        run: runView(run),
        check,
      }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/connections/:id',
    access: 'viewer',
    summary: 'One connection',
    tags: ['connections'],
    params: Id,
    handler: async ({ params }) => ({ connection: await view((await loadConnection(rt, params.id)).row) }),
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/connections/:id',
    access: 'admin',
    summary: 'Rename, reconfigure, rotate secrets (re-checked before saving), choose locations or change the schedule',
    tags: ['connections'],
    params: Id,
    body: z.object({
      name: Name.optional(),
      config: z.record(z.string(), z.unknown()).optional(),
      secrets: z.record(z.string(), z.unknown()).optional(),
      locations: Locations.optional(),
      /** null resets the schedule to the default */
      scheduleCron: Cron.nullable().optional(),
    }),
    handler: async ({ params, body, principal }) => {
      const { row, connector } = await loadConnection(rt, params.id)
      const patch: Parameters<typeof updateConnection>[3] = {}
      if (body.name && body.name !== row.name) {
        const others = await listConnections(rt.db, rt.workspaceId)
        if (others.some((c) => c.id !== row.id && c.name.toLowerCase() === body.name!.toLowerCase()))
          throw new ApiError(409, 'conflict', `a connection named ${JSON.stringify(body.name)} exists already`)
        patch.name = body.name
      }
      if (body.config || body.secrets) {
        const config = parseWith(connector.configSchema, { ...row.config, ...(body.config ?? {}) }, 'config')
        const current = connectionForRun(rt, row).secrets as Record<string, unknown>
        const secrets = parseWith(connector.secretsSchema, { ...current, ...(body.secrets ?? {}) }, 'secrets')
        await checkOrThrow(rt, connector, config, secrets)
        patch.config = config
        if (body.secrets) patch.secretsEnc = rt.box.seal(secrets)
      }
      if (body.locations !== undefined) patch.locations = body.locations
      if (body.scheduleCron !== undefined) {
        const cron = body.scheduleCron ?? rt.config.defaultSchedule
        const e = validateCron(cron)
        if (e) throw new ApiError(422, 'invalid_request', `scheduleCron: ${e}`)
        patch.scheduleCron = cron
        patch.nextSyncAt = nextCronTime(cron, rt.now())
      }
      const updated = await updateConnection(rt.db, rt.workspaceId, row.id, patch)
      // deselected locations leave the queue at once (excluded, not fixed); the next run reads the selected ones
      if (body.locations !== undefined && connector.role === 'scanner')
        await excludeDeselected(rt.db, { connectionId: row.id, selection: body.locations, now: rt.now() })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: principal.username ?? 'token',
        action: 'connection.update',
        target: row.id,
        detail: { fields: Object.keys(body).filter((k) => k !== 'secrets'), secretsRotated: !!body.secrets },
      })
      return { connection: await view(updated!) }
    },
  })

  r.add({
    method: 'DELETE',
    url: '/api/v1/connections/:id',
    access: 'admin',
    summary: 'Disconnect: syncing stops and the credentials are erased; imported findings and sync history stay',
    tags: ['connections'],
    params: Id,
    handler: async ({ params, principal }) => {
      const { row } = await loadConnection(rt, params.id)
      await rt.db.query(
        `UPDATE sync_runs SET status = 'cancelled', finished_at = now(), error = '{"code":"disconnected","message":"the connection was removed"}'::jsonb
          WHERE connection_id = $1 AND status = 'queued'`,
        [row.id],
      )
      await softDeleteConnection(rt.db, rt.workspaceId, row.id)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: principal.username ?? 'token',
        action: 'connection.delete',
        target: row.id,
        detail: { kind: row.kind, name: row.name },
      })
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/connections/:id/check',
    access: 'member',
    summary: "Run the connector's check with the stored credentials",
    tags: ['connections'],
    params: Id,
    handler: async ({ params }) => {
      const { row, connector } = await loadConnection(rt, params.id)
      const c = connectionForRun(rt, row)
      return runCheck(rt, connector, c.config, c.secrets)
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/connections/:id/locations',
    // listing locations calls the vendor with the stored credentials: not for read-only users
    access: 'member',
    summary:
      'What the connection can scan (repositories, projects, applications), whether each matches a repository, and what is selected',
    tags: ['connections'],
    params: Id,
    handler: async ({ params }) => {
      const { row, connector } = await loadConnection(rt, params.id)
      if (!connector.discover) return { items: [], selection: row.locations, selectable: false }
      const c = connectionForRun(rt, row)
      const ctx = createConnectorContext({
        config: c.config,
        secrets: c.secrets,
        baseUrl: connector.baseUrl(c.config),
        logger: rt.logger,
        allowPrivateNetworks: rt.config.allowPrivateNetworks,
        signal: AbortSignal.timeout(120_000),
        http: rt.engine.http,
        sleep: rt.engine.sleep,
      })
      const locations: Location[] = []
      for await (const l of connector.discover(ctx)) {
        locations.push(l)
        if (locations.length >= 20_000) break
      }
      const { rows: repos } = await rt.db.query<{
        id: number
        full_name: string
        url_key: string | null
        provider: string
        external_id: string
      }>(
        `SELECT id, full_name, url_key, provider, external_id FROM repositories WHERE workspace_id = $1 AND removed_at IS NULL`,
        [rt.workspaceId],
      )
      const { rows: maps } = await rt.db.query<{ match_key: string; repository_id: number }>(
        `SELECT match_key, repository_id FROM repo_mappings WHERE workspace_id = $1`,
        [rt.workspaceId],
      )
      const byExt = new Map(repos.map((x) => [`${x.provider}:${x.external_id}`, x]))
      const byUrl = new Map(repos.filter((x) => x.url_key).map((x) => [x.url_key!, x]))
      const byName = new Map(repos.map((x) => [x.full_name.toLowerCase(), x]))
      const byId = new Map(repos.map((x) => [x.id, x]))
      const byMap = new Map(maps.map((m) => [m.match_key, m.repository_id]))
      const selected = new Set(row.locations ?? [])
      return {
        items: locations.map((l) => {
          let matched: { id: number; full_name: string } | undefined
          if (l.target) {
            const k = matchKeys(l.target)
            matched =
              (k.externalKey ? byExt.get(k.externalKey) : undefined) ??
              (k.urlKey ? byUrl.get(k.urlKey) : undefined) ??
              (k.nameKey ? byName.get(k.nameKey) : undefined) ??
              byId.get(byMap.get(k.matchKey) ?? -1)
          }
          return {
            ...l,
            matched: matched ? { repositoryId: String(matched.id), fullName: matched.full_name } : null,
            selected: row.locations === null || selected.has(l.id),
          }
        }),
        selection: row.locations,
        selectable: true,
      }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/connections/:id/syncs',
    access: 'member',
    summary: 'Sync now: queues a manual run that jumps the queue (a queued scheduled run becomes this one)',
    tags: ['syncs'],
    params: Id,
    responses: { 202: 'queued' },
    handler: async ({ params, principal, reply }) => {
      const { row } = await loadConnection(rt, params.id)
      const run = await requestRun(rt, row, 'manual')
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: principal.username ?? 'token',
        action: 'sync.request',
        target: row.id,
        detail: { runId: run.id },
      })
      reply.status(202)
      return { run: runView(run) }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/syncs',
    access: 'viewer',
    summary: 'Sync runs, newest first',
    tags: ['syncs'],
    query: z.object({
      connectionId: z.string().uuid().optional(),
      status: z.enum(['queued', 'running', 'succeeded', 'failed', 'partial', 'cancelled', 'held']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    handler: async ({ query }) => {
      const { rows } = await rt.db.query<RunRow>(
        `SELECT * FROM sync_runs WHERE workspace_id = $1 AND ($2::uuid IS NULL OR connection_id = $2) AND ($3::text IS NULL OR status = $3)
          ORDER BY queued_at DESC LIMIT $4`,
        [rt.workspaceId, query.connectionId ?? null, query.status ?? null, query.limit],
      )
      return { items: rows.map(runView) }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/syncs/:id',
    access: 'viewer',
    summary: 'One sync run with its progress and counts',
    tags: ['syncs'],
    params: Id,
    handler: async ({ params }) => {
      const run = await getRun(rt.db, params.id)
      if (!run || run.workspace_id !== rt.workspaceId)
        throw new ApiError(404, 'not_found', `sync run ${params.id} does not exist`)
      return runView(run)
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/syncs/:id/confirm',
    access: 'admin',
    summary: 'Confirm a held run: apply the resolution it held back because the drop looked implausible',
    tags: ['syncs'],
    params: Id,
    handler: async ({ params, principal }) => {
      const run = await getRun(rt.db, params.id)
      if (!run || run.workspace_id !== rt.workspaceId)
        throw new ApiError(404, 'not_found', `sync run ${params.id} does not exist`)
      if (run.status !== 'held') throw new ApiError(409, 'not_held', `run ${run.id} is ${run.status}, not held`)
      const newer = await rt.db.query(
        `SELECT 1 FROM sync_runs WHERE connection_id = $1 AND queued_at > $2 AND status IN ('succeeded', 'held', 'running')`,
        [run.connection_id, run.queued_at],
      )
      if (newer.rows.length > 0)
        throw new ApiError(409, 'stale', 'a newer run of this connection exists; confirm that one instead')
      const { row, connector } = await loadConnection(rt, run.connection_id)
      await confirmHeldRun(rt.db, run, connectionForRun(rt, row), connector.role, rt.now(), connector.resolvesByScope)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: principal.username ?? 'token',
        action: 'sync.confirm',
        target: run.id,
      })
      return runView((await getRun(rt.db, run.id))!)
    },
  })
}
