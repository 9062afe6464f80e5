import {
  CheckResult,
  ConnectionCreated,
  ConnectionEnvelope,
  ConnectionList,
  LocationList,
  RunEnvelope,
} from '@vulnsync/api'
import { connectionContext } from '@vulnsync/connectors'
import { type AnyConnector, isSourceConnector, type Location, matchKeys } from '@vulnsync/core'
import {
  assertTeams,
  audit,
  type ConnectionRow,
  cancelQueuedRuns,
  excludeDeselected,
  getConnection,
  insertConnection,
  lastRunsOf,
  listConnections,
  loadRepoMatcher,
  softDeleteConnection,
  updateConnection,
  waitingCounts,
} from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { runCheck } from '../../sync/check.ts'
import { connectionForRun, connectorOf } from '../../sync/connection.ts'
import { requestRun } from '../../sync/requests.ts'
import { nextCronTime, validateCron } from '../../sync/scheduler.ts'
import { ApiError, zodMessage } from '../errors.ts'
import { presentConnection, presentRun } from '../presenters/connection.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { UuidParams as Id, Name as NameSchema } from '../schemas.ts'

const Name = NameSchema(100)
const Locations = z.array(z.string().min(1).max(500)).max(100_000).nullable()
const Cron = z.string().max(100)

export const secretFieldsOf = (c: AnyConnector): string[] => {
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

/** A tracker's rule names teams of this workspace only (checked before the tracker is asked anything). */
const assertRuleTeams = async (rt: Runtime, connector: AnyConnector, config: unknown) => {
  if (connector.role !== 'tracker') return
  await assertTeams(rt.db, rt.workspaceId, connector.rules(config).teams, 'config.teams')
}

const checkOrThrow = async (rt: Runtime, connector: AnyConnector, config: unknown, secrets: unknown) => {
  const result = await runCheck(rt.engine, connector, config, secrets)
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

export const connectionRoutes = (rt: Runtime, r: Router) => {
  const secretFieldsOfKind = (kind: string) => {
    const c = connectorOf(rt.connectors, kind)
    return c ? secretFieldsOf(c) : []
  }
  /** connections as the API shows them: with their last run and the findings that wait for a repository */
  const views = async (rows: ConnectionRow[]) => {
    const last = await lastRunsOf(
      rt.db,
      rows.map((x) => x.id),
    )
    const waiting = new Map(
      (await waitingCounts(rt.db, rt.workspaceId)).map((w) => [
        w.connection_id,
        { findings: w.findings, targets: w.targets },
      ]),
    )
    return rows.map((row) =>
      presentConnection(row, {
        lastRun: last.get(row.id) ?? null,
        secretFields: secretFieldsOfKind(row.kind),
        unmatched: waiting.get(row.id) ?? { findings: 0, targets: 0 },
      }),
    )
  }
  const view = async (row: ConnectionRow) => (await views([row]))[0]!

  r.add({
    method: 'GET',
    url: '/api/v1/connections',
    access: 'viewer',
    summary: 'List connections (never their secrets)',
    tags: ['connections'],
    response: ConnectionList,
    handler: async () => ({ items: await views(await listConnections(rt.db, rt.workspaceId)) }),
  })

  r.add({
    method: 'POST',
    url: '/api/v1/connections',
    access: 'admin',
    summary:
      "Connect an integration: runs the connector's check first; on success stores it (secrets encrypted) and queues the initial sync",
    tags: ['connections'],
    response: ConnectionCreated,
    status: 201,
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
    handler: async ({ body, principal }) => {
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
      await assertRuleTeams(rt, connector, config)
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
        actor: actorOf(principal),
        action: 'connection.create',
        target: row.id,
        detail: { kind: row.kind, name: row.name },
      })
      return {
        connection: presentConnection(row, { lastRun: run, secretFields: secretFieldsOf(connector) }),
        run: presentRun(run),
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
    response: ConnectionEnvelope,
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
    response: ConnectionEnvelope,
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
        const current = connectionForRun(rt.box, row).secrets as Record<string, unknown>
        const secrets = parseWith(connector.secretsSchema, { ...current, ...(body.secrets ?? {}) }, 'secrets')
        await assertRuleTeams(rt, connector, config)
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
        actor: actorOf(principal),
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
      await cancelQueuedRuns(rt.db, row.id)
      await softDeleteConnection(rt.db, rt.workspaceId, row.id)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
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
    response: CheckResult,
    handler: async ({ params }) => {
      const { row, connector } = await loadConnection(rt, params.id)
      const c = connectionForRun(rt.box, row)
      return runCheck(rt.engine, connector, c.config, c.secrets)
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
    response: LocationList,
    handler: async ({ params }) => {
      const { row, connector } = await loadConnection(rt, params.id)
      if (!isSourceConnector(connector) || !connector.discover)
        return { items: [], selection: row.locations, selectable: false }
      const c = connectionForRun(rt.box, row)
      const ctx = connectionContext(connector, 'discover', {
        config: c.config,
        secrets: c.secrets,
        logger: rt.logger,
        allowPrivateNetworks: rt.config.allowPrivateNetworks,
        http: rt.engine.http,
        sleep: rt.engine.sleep,
      })
      const locations: Location[] = []
      for await (const l of connector.discover(ctx)) {
        locations.push(l)
        if (locations.length >= 20_000) break
      }
      // the same matcher ingest uses, so the Hub's "matched" says what a sync would do
      const matcher = await loadRepoMatcher(rt.db, rt.workspaceId)
      const selected = new Set(row.locations ?? [])
      return {
        items: locations.map((l) => {
          const id = l.target ? matcher.match(matchKeys(l.target)) : null
          return {
            ...l,
            matched: id === null ? null : { repositoryId: String(id), fullName: matcher.fullName(id) ?? '' },
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
    response: RunEnvelope,
    status: 202,
    responses: { 202: 'queued' },
    handler: async ({ params, principal }) => {
      const { row } = await loadConnection(rt, params.id)
      const run = await requestRun(rt, row, 'manual')
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'sync.request',
        target: row.id,
        detail: { runId: run.id },
      })
      return { run: presentRun(run) }
    },
  })
}
