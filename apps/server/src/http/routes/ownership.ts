import {
  Application,
  ApplicationList,
  OwnershipRule,
  OwnershipRuleList,
  OwnershipRulePreview,
  RepositoryOwnership,
  Team,
  TeamList,
} from '@vulnsync/api'
import {
  applicationWords,
  audit,
  countRulesNaming,
  deleteApplication,
  deleteRule,
  deleteTeam,
  getApplication,
  getRepositoryOwnership,
  getRule,
  getTeam,
  InputError,
  insertApplication,
  insertRule,
  insertTeam,
  listApplications,
  listRules,
  listTeams,
  lockOwnership,
  ownedCounts,
  ownedRepositories,
  setRepositoryDefaultTeam,
  setTeamRepositories,
  updateApplication,
  updateRule,
  updateTeam,
} from '@vulnsync/db'
import { z } from 'zod'
import { trackerRulesNamingTeam } from '../../outbound/outbox.ts'
import { changeOwnership, checkRule, previewRule, teamSlug } from '../../ownership/ownership.ts'
import type { Runtime } from '../../runtime.ts'
import { notFound } from '../errors.ts'
import {
  presentApplication,
  presentPreview,
  presentRepositoryOwnership,
  presentRule,
  presentTeam,
} from '../presenters/ownership.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbId, DbIdParams, Name, UuidParams } from '../schemas.ts'

const Ids = (max: number) => z.array(z.string().uuid('must be a UUID')).max(max)
const RepositoryIds = z.array(DbId).max(10_000)
const BusinessPriority = z.number().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100').nullable()
const Glob = z.string().max(500).nullable().optional()
/** where a rule is asked: 1 first */
const Position = z
  .number({ message: 'must be a whole number, 1 for the rule asked first' })
  .int('must be a whole number, 1 for the rule asked first')
  .min(1, 'must be 1 or more: 1 is the rule asked first')
  .max(100_000, 'must be at most 100000')
const RuleFields = z.object({
  match: z.object({ repository: Glob, image: Glob, path: Glob }),
  teamId: z.string().uuid('must be a UUID').nullable().optional(),
  applicationId: z.string().uuid('must be a UUID').nullable().optional(),
  position: Position.optional(),
})

/**
 * Teams, applications, ownership rules (with a preview) and a repository's ownership. Every change recomputes who
 * owns the issues it touches, in the same transaction (apps/server/src/ownership).
 */
export const ownershipRoutes = (rt: Runtime, r: Router) => {
  const teamView = async (id?: string) => {
    const now = rt.now()
    const [counts, repos, rules] = await Promise.all([
      ownedCounts(rt.db, rt.workspaceId, 'team', now, id),
      ownedRepositories(rt.db, rt.workspaceId, 'team', 50, id),
      countRulesNaming(rt.db, rt.workspaceId, 'team'),
    ])
    return (t: Awaited<ReturnType<typeof listTeams>>[number]) =>
      presentTeam(t, { counts: counts.get(t.id), repositories: repos.get(t.id), rules: rules.get(t.id) })
  }
  const loadTeam = async (id: string) => {
    const t = await getTeam(rt.db, rt.workspaceId, id)
    if (!t) throw notFound('team', id)
    return (await teamView(id))(t)
  }
  const appView = async (id?: string) => {
    const now = rt.now()
    const [counts, repos, rules] = await Promise.all([
      ownedCounts(rt.db, rt.workspaceId, 'application', now, id),
      ownedRepositories(rt.db, rt.workspaceId, 'application', 50, id),
      countRulesNaming(rt.db, rt.workspaceId, 'application'),
    ])
    return (a: Awaited<ReturnType<typeof listApplications>>[number]) =>
      presentApplication(a, { counts: counts.get(a.id), repositories: repos.get(a.id), rules: rules.get(a.id) })
  }
  const loadApplication = async (id: string) => {
    const a = await getApplication(rt.db, rt.workspaceId, id)
    if (!a) throw notFound('application', id)
    return (await appView(id))(a)
  }

  // ---------------------------------------------------------------- teams

  r.add({
    method: 'GET',
    url: '/api/v1/teams',
    access: 'viewer',
    summary: 'Teams with their members, default assignee, repositories, open issues by priority and SLA breaches',
    tags: ['ownership'],
    response: TeamList,
    handler: async () => {
      const view = await teamView()
      return { items: (await listTeams(rt.db, rt.workspaceId)).map(view) }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/teams',
    access: 'member',
    summary:
      'Create a team; the slug (what @org/<slug> in CODEOWNERS names) defaults to the name in lower case with dashes; repositoryIds makes it their default team',
    tags: ['ownership'],
    body: z.object({
      name: Name(100),
      slug: z.string().trim().optional(),
      memberIds: Ids(1000).optional(),
      defaultAssigneeId: z.string().uuid('must be a UUID').nullable().optional(),
      repositoryIds: RepositoryIds.optional(),
    }),
    response: Team,
    status: 201,
    handler: async ({ body, principal }) => {
      const slug = teamSlug(body.name, body.slug)
      const { id } = await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        const id = await insertTeam(tx, rt.workspaceId, {
          name: body.name,
          slug,
          defaultAssigneeId: body.defaultAssigneeId ?? null,
          memberIds: body.memberIds,
        })
        if (body.repositoryIds) await setTeamRepositories(tx, rt.workspaceId, id, body.repositoryIds)
        return { result: { id } }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'team.create',
        target: id,
        detail: { name: body.name, slug },
      })
      return loadTeam(id)
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/teams/:id',
    access: 'viewer',
    summary: 'One team',
    tags: ['ownership'],
    params: UuidParams,
    response: Team,
    handler: async ({ params }) => loadTeam(params.id),
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/teams/:id',
    access: 'member',
    summary:
      "Change a team's name, slug, members (the whole list), default assignee or repositories (the whole list it is the default team of)",
    tags: ['ownership'],
    params: UuidParams,
    body: z.object({
      name: Name(100).optional(),
      slug: z.string().trim().optional(),
      memberIds: Ids(1000).optional(),
      defaultAssigneeId: z.string().uuid('must be a UUID').nullable().optional(),
      repositoryIds: RepositoryIds.optional(),
    }),
    response: Team,
    handler: async ({ params, body, principal }) => {
      const t = await getTeam(rt.db, rt.workspaceId, params.id)
      if (!t) throw notFound('team', params.id)
      const name = body.name ?? t.name
      const slug = body.slug !== undefined ? teamSlug(name, body.slug) : t.slug
      await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        await updateTeam(tx, rt.workspaceId, t.id, {
          name,
          slug,
          defaultAssigneeId: body.defaultAssigneeId === undefined ? t.default_assignee_id : body.defaultAssigneeId,
          memberIds: body.memberIds,
        })
        if (body.repositoryIds) await setTeamRepositories(tx, rt.workspaceId, t.id, body.repositoryIds)
        return { result: {} }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'team.update',
        target: t.id,
        detail: body,
      })
      return loadTeam(t.id)
    },
  })

  r.add({
    method: 'DELETE',
    url: '/api/v1/teams/:id',
    access: 'member',
    summary:
      'Delete a team no ownership rule and no ticket rule names; its issues are owned by the next source that answers',
    tags: ['ownership'],
    params: UuidParams,
    handler: async ({ params, principal }) => {
      const t = await getTeam(rt.db, rt.workspaceId, params.id)
      if (!t) throw notFound('team', params.id)
      await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        const trackers = await trackerRulesNamingTeam(tx, rt.connectors, rt.workspaceId, t.id)
        if (trackers.length > 0)
          throw new InputError(
            'conflict',
            `the ticket rule of ${trackers.map((c) => JSON.stringify(c.name)).join(', ')} names this team`,
            'take the team out of "Only these teams" on those connections first (Integrations, or PATCH /api/v1/connections/{id})',
            409,
          )
        await deleteTeam(tx, rt.workspaceId, t.id)
        return { result: {} }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'team.delete',
        target: t.id,
        detail: { name: t.name },
      })
      return undefined
    },
  })

  // ---------------------------------------------------------------- applications

  r.add({
    method: 'GET',
    url: '/api/v1/applications',
    access: 'viewer',
    summary:
      'Applications (made here, or brought by scanner syncs) with their business priority, repositories, images, open issues by priority and SLA breaches',
    tags: ['ownership'],
    response: ApplicationList,
    handler: async () => {
      const view = await appView()
      return { items: (await listApplications(rt.db, rt.workspaceId)).map(view) }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/applications',
    access: 'member',
    summary: 'Create an application: a named group of repositories and images with a business priority (0–100)',
    tags: ['ownership'],
    body: z.object({
      name: Name(200),
      businessPriority: BusinessPriority.optional(),
      repositoryIds: RepositoryIds.optional(),
      images: z.array(z.string().trim().min(1).max(500)).max(10_000).optional(),
    }),
    response: Application,
    status: 201,
    handler: async ({ body, principal }) => {
      const { id } = await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => ({
        result: {
          id: await insertApplication(tx, rt.workspaceId, {
            name: body.name,
            businessPriority: body.businessPriority ?? null,
            repositoryIds: body.repositoryIds,
            images: body.images,
          }),
        },
      }))
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'application.create',
        target: id,
        detail: { name: body.name, businessPriority: body.businessPriority ?? null },
      })
      return loadApplication(id)
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/applications/:id',
    access: 'viewer',
    summary: 'One application',
    tags: ['ownership'],
    params: UuidParams,
    response: Application,
    handler: async ({ params }) => loadApplication(params.id),
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/applications/:id',
    access: 'member',
    summary:
      "Change an application's name, business priority, repositories or images (the whole lists); a scanner's application keeps the name and priority the scanner gives",
    tags: ['ownership'],
    params: UuidParams,
    body: z.object({
      name: Name(200).optional(),
      businessPriority: BusinessPriority.optional(),
      repositoryIds: RepositoryIds.optional(),
      images: z.array(z.string().trim().min(1).max(500)).max(10_000).optional(),
    }),
    response: Application,
    handler: async ({ params, body, principal }) => {
      const a = await getApplication(rt.db, rt.workspaceId, params.id)
      if (!a) throw notFound('application', params.id)
      if (a.origin === 'scanner' && (body.name !== undefined || body.businessPriority !== undefined))
        throw new InputError(
          'conflict',
          `${body.name !== undefined ? 'name' : 'businessPriority'}: application ${a.name} comes from ${a.connection_name ?? 'a scanner'}, which sets its name and business priority on each sync`,
          'change it in the scanner, or give its repositories and images here',
          409,
        )
      await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        const previous = await applicationWords(tx, rt.workspaceId)
        await updateApplication(tx, rt.workspaceId, a.id, {
          name: body.name ?? a.name,
          businessPriority: body.businessPriority === undefined ? a.business_priority : body.businessPriority,
          repositoryIds: body.repositoryIds,
          images: body.images,
        })
        return { result: {}, previous }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'application.update',
        target: a.id,
        detail: body,
      })
      return loadApplication(a.id)
    },
  })

  r.add({
    method: 'DELETE',
    url: '/api/v1/applications/:id',
    access: 'member',
    summary:
      'Delete an application made here that no ownership rule names (a scanner application comes back with its sync)',
    tags: ['ownership'],
    params: UuidParams,
    handler: async ({ params, principal }) => {
      const a = await getApplication(rt.db, rt.workspaceId, params.id)
      if (!a) throw notFound('application', params.id)
      if (a.origin === 'scanner')
        throw new InputError(
          'conflict',
          `application ${a.name} comes from ${a.connection_name ?? 'a scanner'} and would come back with its next sync`,
          'delete it in the scanner, or remove the connection',
          409,
        )
      await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        const previous = await applicationWords(tx, rt.workspaceId)
        await deleteApplication(tx, rt.workspaceId, a.id)
        return { result: {}, previous }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'application.delete',
        target: a.id,
        detail: { name: a.name },
      })
      return undefined
    },
  })

  // ---------------------------------------------------------------- ownership rules

  r.add({
    method: 'GET',
    url: '/api/v1/ownership-rules',
    access: 'viewer',
    summary: 'Ownership rules in the order they are asked (position 1 first)',
    tags: ['ownership'],
    response: OwnershipRuleList,
    handler: async () => ({ items: (await listRules(rt.db, rt.workspaceId)).map(presentRule) }),
  })

  r.add({
    method: 'POST',
    url: '/api/v1/ownership-rules',
    access: 'member',
    summary:
      'Create a rule: repository, image and/or manifest path globs → a team and/or an application, at a position (default last); issues are moved at once',
    tags: ['ownership'],
    body: RuleFields,
    response: OwnershipRule,
    status: 201,
    handler: async ({ body, principal }) => {
      const { id } = await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        await lockOwnership(tx, rt.workspaceId, 'exclusive')
        const rule = await checkRule(tx, rt.workspaceId, body)
        return {
          result: {
            id: await insertRule(tx, rt.workspaceId, {
              ...rule,
              position: body.position,
              createdBy: actorOf(principal),
            }),
          },
        }
      })
      const saved = (await getRule(rt.db, rt.workspaceId, id))!
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'ownership_rule.create',
        target: id,
        detail: presentRule(saved),
      })
      return presentRule(saved)
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/ownership-rules/preview',
    access: 'viewer',
    summary:
      'How many issues a rule would move, and from whom to whom, before saving it (with id: the rule as edited); nothing is saved',
    tags: ['ownership'],
    body: RuleFields.extend({ id: z.string().uuid('must be a UUID').optional() }),
    response: OwnershipRulePreview,
    handler: async ({ body }) => {
      const rule = await checkRule(rt.db, rt.workspaceId, body)
      const p = await previewRule(rt.db, rt.workspaceId, { ...rule, id: body.id, position: body.position })
      const [teams, apps] = await Promise.all([
        listTeams(rt.db, rt.workspaceId),
        listApplications(rt.db, rt.workspaceId),
      ])
      return presentPreview(p, {
        teams: new Map(teams.map((t) => [t.id, t.name])),
        applications: new Map(apps.map((a) => [a.id, a.name])),
      })
    },
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/ownership-rules/:id',
    access: 'member',
    summary:
      'Change a rule: its globs (match replaces all three), team, application, or position (1 to the number of rules: it is taken out and put back there, the rules between shift by one); issues are moved at once',
    tags: ['ownership'],
    params: UuidParams,
    body: z
      .object({
        match: z.object({ repository: Glob, image: Glob, path: Glob }).optional(),
        teamId: z.string().uuid('must be a UUID').nullable().optional(),
        applicationId: z.string().uuid('must be a UUID').nullable().optional(),
        position: Position.optional(),
      })
      .refine((b) => Object.values(b).some((v) => v !== undefined), {
        message: 'send at least one of match, teamId, applicationId or position',
      }),
    response: OwnershipRule,
    handler: async ({ params, body, principal }) => {
      const before = await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        // rule changes one at a time: positions read here stay true until this transaction ends
        await lockOwnership(tx, rt.workspaceId, 'exclusive')
        const all = await listRules(tx, rt.workspaceId)
        const old = all.find((r) => r.id === params.id)
        if (!old) throw notFound('ownership-rule', params.id)
        if (body.position !== undefined && body.position > all.length)
          throw new InputError(
            'invalid_request',
            `position: ${body.position} is past the last rule; there ${all.length === 1 ? 'is 1 rule' : `are ${all.length} rules`}`,
            `give 1 to ${all.length} (1 is asked first); list them with GET /api/v1/ownership-rules`,
            422,
          )
        const rule = await checkRule(tx, rt.workspaceId, {
          match: body.match ?? { repository: old.match_repository, image: old.match_image, path: old.match_path },
          teamId: body.teamId === undefined ? old.team_id : body.teamId,
          applicationId: body.applicationId === undefined ? old.application_id : body.applicationId,
        })
        await updateRule(tx, rt.workspaceId, old.id, { ...rule, position: body.position })
        return { result: { old } }
      })
      const old = before.old
      const saved = (await getRule(rt.db, rt.workspaceId, old.id))!
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'ownership_rule.update',
        target: old.id,
        detail: { before: presentRule(old), after: presentRule(saved) },
      })
      return presentRule(saved)
    },
  })

  r.add({
    method: 'DELETE',
    url: '/api/v1/ownership-rules/:id',
    access: 'member',
    summary: 'Delete a rule; the rules after it move up, and issues are moved at once',
    tags: ['ownership'],
    params: UuidParams,
    handler: async ({ params, principal }) => {
      const old = await getRule(rt.db, rt.workspaceId, params.id)
      if (!old) throw notFound('ownership-rule', params.id)
      await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        await lockOwnership(tx, rt.workspaceId, 'exclusive')
        await deleteRule(tx, rt.workspaceId, old.id)
        return { result: {} }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'ownership_rule.delete',
        target: old.id,
        detail: presentRule(old),
      })
      return undefined
    },
  })

  // ---------------------------------------------------------------- a repository's ownership

  r.add({
    method: 'GET',
    url: '/api/v1/repositories/:id/ownership',
    access: 'viewer',
    summary:
      "A repository's default team and its CODEOWNERS file as the last SCM sync read it, with each line it could not use (which line, why)",
    tags: ['ownership'],
    params: DbIdParams,
    response: RepositoryOwnership,
    handler: async ({ params }) => {
      const o = await getRepositoryOwnership(rt.db, rt.workspaceId, params.id)
      if (!o) throw notFound('repository', params.id)
      return presentRepositoryOwnership(o)
    },
  })

  r.add({
    method: 'PUT',
    url: '/api/v1/repositories/:id/default-team',
    access: 'member',
    summary: "Set (or clear, with null) a repository's default team: the last source of ownership",
    tags: ['ownership'],
    params: DbIdParams,
    body: z.object({ teamId: z.string().uuid('must be a UUID').nullable() }),
    response: RepositoryOwnership,
    handler: async ({ params, body, principal }) => {
      const o = await getRepositoryOwnership(rt.db, rt.workspaceId, params.id)
      if (!o) throw notFound('repository', params.id)
      await changeOwnership(rt.db, rt.workspaceId, rt.now(), async (tx) => {
        if (body.teamId) {
          const t = await getTeam(tx, rt.workspaceId, body.teamId)
          if (!t) throw new InputError('invalid_request', `teamId: team ${body.teamId} does not exist`, undefined, 422)
        }
        await setRepositoryDefaultTeam(tx, rt.workspaceId, params.id, body.teamId)
        return { result: {}, scope: { repositoryIds: [o.id] } }
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'repository.default_team',
        target: params.id,
        detail: { teamId: body.teamId },
      })
      return presentRepositoryOwnership((await getRepositoryOwnership(rt.db, rt.workspaceId, params.id))!)
    },
  })
}
