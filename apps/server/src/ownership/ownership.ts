import { globProblem, type OwnershipRuleInput, slugify } from '@vulnsync/core'
import {
  type applicationWords,
  assertApplication,
  assertTeam,
  type Db,
  InputError,
  issuesWithoutOwnerContext,
  listRuleInputs,
  type OwnershipRecompute,
  previewOwnership,
  pruneOwnerContexts,
  type Queryable,
  type RecomputeScope,
  type RuleWrite,
  recomputeIssueIds,
  recomputeOwnership,
  refreshIssueOwnership,
} from '@vulnsync/db'

/**
 * Ownership changes: every edit of teams, applications, rules or a repository's default team runs here, in one
 * transaction with the recompute it causes (set-based, no scanner read again), so the queue never shows an owner
 * the rules no longer give.
 */

/** Gives issues imported before ownership existed their context (chunks of 5,000), inside the caller's transaction. */
export const backfillOwnerContexts = async (tx: Queryable, workspaceId: string, now: Date): Promise<number> => {
  let n = 0
  for (;;) {
    const ids = await issuesWithoutOwnerContext(tx, workspaceId, 5000)
    if (ids.length === 0) return n
    const r = await refreshIssueOwnership(tx, ids, { now })
    if (r.reprioritise.length > 0) await recomputeIssueIds(tx, r.reprioritise, now)
    n += ids.length
  }
}

/**
 * Resolves ownership again after a change (all contexts, or a scope), moves the issues, and recomputes the priority
 * of those whose application's business tier changed. `previous`: what the applications said before an edit of
 * one of them.
 */
export const recomputeAfterChange = async (
  tx: Queryable,
  workspaceId: string,
  now: Date,
  o: { scope?: RecomputeScope; previous?: Awaited<ReturnType<typeof applicationWords>> } = {},
): Promise<OwnershipRecompute> => {
  if (!o.scope) {
    await backfillOwnerContexts(tx, workspaceId, now)
    await pruneOwnerContexts(tx, workspaceId)
  }
  const r = await recomputeOwnership(tx, workspaceId, { now, scope: o.scope, previous: o.previous })
  if (r.reprioritise.length > 0) await recomputeIssueIds(tx, r.reprioritise, now)
  return r
}

/** Runs `change` and the recompute it causes in one transaction. */
export const changeOwnership = <T>(
  db: Db,
  workspaceId: string,
  now: Date,
  change: (tx: Queryable) => Promise<{
    result: T
    scope?: RecomputeScope
    previous?: Map<string, { bp: number | null; label: string | null }>
  }>,
): Promise<T & { recompute: OwnershipRecompute }> =>
  db.transaction(async (tx) => {
    const c = await change(tx)
    const recompute = await recomputeAfterChange(tx, workspaceId, now, { scope: c.scope, previous: c.previous })
    return { ...c.result, recompute }
  })

// ------------------------------------------------------------------ input a person gives

const SLUG = /^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$/

/** A team's slug: given (checked), or the name in lower case with dashes. */
export const teamSlug = (name: string, given: string | undefined): string => {
  if (given === undefined) {
    const s = slugify(name)
    if (!s)
      throw new InputError(
        'invalid_request',
        'slug: the name has no letters or digits to make a slug from',
        'give a slug (what @org/<slug> in CODEOWNERS names)',
        422,
      )
    return s
  }
  if (!SLUG.test(given))
    throw new InputError(
      'invalid_request',
      `slug: ${JSON.stringify(given)} must be lower-case letters, digits, dots, dashes or underscores, starting and ending with a letter or digit`,
      `for example ${JSON.stringify(slugify(given) || 'payments')}`,
      422,
    )
  return given
}

export interface RuleBody {
  match: { repository?: string | null | undefined; image?: string | null | undefined; path?: string | null | undefined }
  teamId?: string | null | undefined
  applicationId?: string | null | undefined
}

/** A rule as a person wrote it, checked: usable globs, something to match, someone to own, and both exist. */
export const checkRule = async (db: Queryable, workspaceId: string, b: RuleBody): Promise<RuleWrite> => {
  const match = {
    repository: b.match.repository?.trim() || null,
    image: b.match.image?.trim() || null,
    path: b.match.path?.trim() || null,
  }
  for (const k of ['repository', 'image', 'path'] as const) {
    const g = b.match[k]
    if (g === undefined || g === null) continue
    const problem = globProblem(g)
    if (problem)
      throw new InputError(
        'invalid_request',
        `match.${k}: the glob ${JSON.stringify(g.slice(0, 200))} ${problem}`,
        'use * within a path segment, ** across segments, ? for one character and {a,b} for either',
        422,
      )
  }
  if (!match.repository && !match.image && !match.path)
    throw new InputError(
      'invalid_request',
      'match: give at least one of repository, image or path',
      'for example {"match":{"path":"services/pay/**"}}',
      422,
    )
  const teamId = b.teamId ?? null
  const applicationId = b.applicationId ?? null
  if (!teamId && !applicationId)
    throw new InputError('invalid_request', 'teamId: give a teamId, an applicationId, or both', undefined, 422)
  if (teamId) await assertTeam(db, workspaceId, teamId, 'teamId')
  if (applicationId) await assertApplication(db, workspaceId, applicationId, 'applicationId')
  return { match, teamId, applicationId }
}

/**
 * What saving a rule would do (nothing is saved): the workspace's rules with this one put in (or, with `id`,
 * replacing that rule), resolved over every context.
 */
export const previewRule = async (
  db: Queryable,
  workspaceId: string,
  rule: RuleWrite & { id?: string | undefined; position?: number | undefined },
) => {
  const current = await listRuleInputs(db, workspaceId)
  if (rule.id && !current.some((r) => r.id === rule.id))
    throw new InputError('not_found', `id: ownership rule ${rule.id} does not exist`, undefined, 404)
  const others = current.filter((r) => r.id !== rule.id)
  const old = current.find((r) => r.id === rule.id)
  const position = Math.min(Math.max(1, rule.position ?? old?.position ?? others.length + 1), others.length + 1)
  // positions as they would be after saving: the others keep their order around the new one
  const next: OwnershipRuleInput[] = []
  let k = 1
  for (const r of others) {
    if (k === position) k++
    next.push({ ...r, position: k++ })
  }
  next.push({
    id: rule.id ?? 'preview',
    position,
    match: rule.match,
    teamId: rule.teamId,
    applicationId: rule.applicationId,
  })
  return previewOwnership(db, workspaceId, next)
}
