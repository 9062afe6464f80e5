import type {
  Application,
  OwnedIssues,
  OwnershipRule,
  OwnershipRulePreview,
  RepositoryOwnership,
  Severity,
  Team,
  TeamRef,
} from '@vulnsync/api'
import { SEVERITIES } from '@vulnsync/core'
import type {
  ApplicationRow,
  OwnedCounts,
  OwnedRepositoryRow,
  OwnershipPreview,
  RepositoryOwnershipRow,
  RuleListRow,
  TeamRow,
} from '@vulnsync/db'
import { isoRequired } from './time.ts'

export const presentOwnedIssues = (c: OwnedCounts | undefined): OwnedIssues => ({
  open: c?.open ?? 0,
  byPriority: Object.fromEntries(SEVERITIES.map((s) => [s, c?.byPriority[s] ?? 0])) as Record<Severity, number>,
  slaBreaches: c?.slaBreaches ?? 0,
})

const presentOwnedRepositories = (rows: OwnedRepositoryRow[] | undefined) =>
  (rows ?? []).map((r) => ({ id: String(r.id), fullName: r.full_name, openIssues: r.open_issues, listed: r.listed }))

export const presentTeam = (
  t: TeamRow,
  more: { counts?: OwnedCounts; repositories?: OwnedRepositoryRow[]; rules?: number },
): Team => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  members: t.members,
  defaultAssignee: t.default_assignee_id
    ? { id: t.default_assignee_id, username: t.default_assignee_name ?? '(removed user)' }
    : null,
  repositories: presentOwnedRepositories(more.repositories),
  issues: presentOwnedIssues(more.counts),
  rules: more.rules ?? 0,
  createdAt: isoRequired(t.created_at),
  updatedAt: isoRequired(t.updated_at),
})

export const presentApplication = (
  a: ApplicationRow,
  more: { counts?: OwnedCounts; repositories?: OwnedRepositoryRow[]; rules?: number },
): Application => ({
  id: a.id,
  name: a.name,
  businessPriority: a.business_priority,
  origin: a.origin,
  source:
    a.origin === 'scanner' && a.connection_id && a.external_key
      ? {
          connectionId: a.connection_id,
          connectionName: a.connection_name ?? '(deleted connection)',
          kind: a.connection_kind ?? 'unknown',
          externalId: a.external_key,
        }
      : null,
  repositories: presentOwnedRepositories(more.repositories),
  images: a.images,
  issues: presentOwnedIssues(more.counts),
  rules: more.rules ?? 0,
  createdAt: isoRequired(a.created_at),
  updatedAt: isoRequired(a.updated_at),
})

export const presentRule = (r: RuleListRow): OwnershipRule => ({
  id: r.id,
  position: r.position,
  match: { repository: r.match_repository, image: r.match_image, path: r.match_path },
  team: r.team_id ? { id: r.team_id, name: r.team_name ?? '(removed team)' } : null,
  application: r.application_id ? { id: r.application_id, name: r.application_name ?? '(removed application)' } : null,
  createdBy: r.created_by,
  createdAt: isoRequired(r.created_at),
  updatedAt: isoRequired(r.updated_at),
})

/** A preview's ids as references, named from the workspace's teams and applications. */
export const presentPreview = (
  p: OwnershipPreview,
  names: { teams: Map<string, string>; applications: Map<string, string> },
): OwnershipRulePreview => {
  const team = (id: string | null): TeamRef | null =>
    id ? { id, name: names.teams.get(id) ?? '(removed team)' } : null
  const app = (id: string | null) => (id ? { id, name: names.applications.get(id) ?? '(removed application)' } : null)
  return {
    issues: p.issues,
    openIssues: p.openIssues,
    moves: p.moves.map((m) => ({
      from: { team: team(m.fromTeamId), application: app(m.fromApplicationId) },
      to: { team: team(m.toTeamId), application: app(m.toApplicationId) },
      issues: m.issues,
      openIssues: m.openIssues,
    })),
    sample: p.sample.map((s) => ({
      id: String(s.id),
      cve: s.cve,
      target: s.target_name,
      team: team(s.to_team_id),
      reason: s.reason,
    })),
  }
}

export const presentRepositoryOwnership = (r: RepositoryOwnershipRow): RepositoryOwnership => ({
  repositoryId: String(r.id),
  fullName: r.full_name,
  defaultTeam: r.default_team_id ? { id: r.default_team_id, name: r.default_team_name ?? '(removed team)' } : null,
  codeowners:
    r.path && r.dialect && r.read_at && r.changed_at
      ? {
          path: r.path,
          dialect: r.dialect as 'github' | 'gitlab',
          readAt: isoRequired(r.read_at),
          changedAt: isoRequired(r.changed_at),
          lines: (r.content ?? '').split(/\r?\n/).length,
          errors: r.errors ?? [],
        }
      : null,
})
