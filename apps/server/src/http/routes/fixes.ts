import {
  FIX_PR_STATES,
  FixPlanList,
  FixPrResult,
  FixPullRequestList,
  FixPullRequestRefresh,
  VulnerabilityFix,
} from '@vulnsync/api'
import { type FixRepositoryRow, getFixRepository, getIssue, getIssueFixState, listFixPrs } from '@vulnsync/db'
import { z } from 'zod'
import { planIssue, planRepository } from '../../fixes/plans.ts'
import { openFixPullRequests } from '../../fixes/pull-requests.ts'
import { scmAccess } from '../../fixes/scm.ts'
import { refreshFixPullRequests } from '../../fixes/tracking.ts'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentFixPlan, presentFixPr } from '../presenters/fix.ts'
import { eventActor } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbIdParams } from '../schemas.ts'

const emptyPlan = (target: string, name: string, ecosystem: string, purl: string) => ({
  target,
  package: { purl, name, ecosystem },
  manifest: null,
  installedVersion: null,
  fixVersion: null,
  fixes: [],
  remaining: [],
  majorBump: false,
  strategy: 'manual' as const,
  versionSource: 'scanners' as const,
  command: null,
  explanation: 'No scanner reports this vulnerability any more: there is nothing to upgrade.',
  issueIds: [],
})

const presentVerification = (v: any) =>
  v?.status === 'still_vulnerable'
    ? {
        status: 'still_vulnerable' as const,
        pullRequest: {
          id: String(v.pullRequest.id),
          number: Number(v.pullRequest.number),
          url: String(v.pullRequest.url),
        },
        versions: (v.versions ?? []).map(String),
        at: new Date(v.at).toISOString(),
      }
    : null

/** whether the repository's source control connection may open pull requests (false when it cannot at all) */
const pullRequestsEnabled = (rt: Runtime, repo: FixRepositoryRow) =>
  scmAccess(rt, repo).then(
    (s) => s.enabled,
    () => false,
  )

export const fixRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/:id/fix',
    access: 'viewer',
    summary:
      'How to fix a vulnerability: the lowest released version free of every known advisory of the package, how to apply it, what remains and why; its fix pull requests and their verification',
    tags: ['fixes'],
    params: DbIdParams,
    response: VulnerabilityFix,
    handler: async ({ params }) => {
      const issue = await getIssue(rt.db, rt.workspaceId, params.id)
      if (!issue)
        throw new ApiError(
          404,
          'not_found',
          `vulnerability ${params.id} does not exist`,
          'list them with GET /api/v1/vulnerabilities',
        )
      const plans = (await planIssue(rt, params.id)).map(presentFixPlan)
      const mine = plans.find((p) => p.fixes.includes(issue.cve) || p.remaining.some((x) => x.cve === issue.cve))
      const state = await getIssueFixState(rt.db, params.id)
      const repo =
        issue.repository_id === null
          ? undefined
          : await getFixRepository(rt.db, rt.workspaceId, String(issue.repository_id))
      const enabled = repo ? await pullRequestsEnabled(rt, repo) : false
      return {
        ...(mine ??
          plans[0] ??
          emptyPlan(String(issue.repository_id ?? ''), issue.package_name, issue.ecosystem, issue.package_key)),
        plans,
        pullRequests: (await listFixPrs(rt.db, rt.workspaceId, { issueId: params.id })).map(presentFixPr),
        fixedBy: (state?.fixed_by as any) ?? null,
        verification: presentVerification(state?.fix_verification),
        pullRequestsEnabled: enabled,
      }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/repositories/:id/fix-plans',
    access: 'viewer',
    summary: 'The fix plans of every open issue of a repository: one per package and manifest',
    tags: ['fixes'],
    params: DbIdParams,
    response: FixPlanList,
    handler: async ({ params }) => {
      const repo = await getFixRepository(rt.db, rt.workspaceId, params.id)
      if (!repo)
        throw new ApiError(
          404,
          'not_found',
          `repository ${params.id} does not exist`,
          'list them with GET /api/v1/repositories',
        )
      return {
        items: (await planRepository(rt, params.id)).map(presentFixPlan),
        repository: {
          id: String(repo.id),
          fullName: repo.full_name,
          pullRequestsEnabled: await pullRequestsEnabled(rt, repo),
        },
      }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/repositories/:id/fix-prs',
    access: 'member',
    summary:
      'Open (or update) the fix pull requests of a repository: one per manifest directory, bundling every package it can fix there; with dryRun, the exact file changes as unified diffs and nothing written',
    tags: ['fixes'],
    params: DbIdParams,
    body: z.object({
      /** package names or purls; all fixable packages when absent */
      packages: z.array(z.string().trim().min(1).max(500)).max(200).optional(),
      dryRun: z.boolean().optional(),
    }),
    response: FixPrResult,
    statusOf: (out: { dryRun: boolean }) => (out.dryRun ? 200 : 201),
    responses: {
      200: 'a dry run: what would change',
      201: 'the pull requests are open',
      409: 'fix pull requests are not enabled on the connection',
      502: 'the source control refused (the missing permission named)',
    },
    handler: async ({ params, body, principal }) => {
      const pullRequests = await openFixPullRequests(rt, params.id, body, eventActor(principal) as any)
      return { dryRun: body.dryRun === true, pullRequests }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/fix-prs',
    access: 'viewer',
    summary: 'The fix pull requests vulnsync opened, with their state (refreshed on every source control sync)',
    tags: ['fixes'],
    query: z.object({
      repositoryId: z
        .string()
        .regex(/^\d{1,18}$/)
        .optional(),
      state: z.enum(FIX_PR_STATES).optional(),
      refresh: z.enum(['true', 'false']).optional(),
    }),
    response: FixPullRequestList,
    handler: async ({ query }) => {
      if (query.refresh === 'true') await refreshFixPullRequests(rt)
      return {
        items: (
          await listFixPrs(rt.db, rt.workspaceId, {
            repositoryId: query.repositoryId,
            state: query.state ? [query.state] : undefined,
          })
        ).map(presentFixPr),
      }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/fix-prs/refresh',
    access: 'member',
    summary: 'Read the state of every open fix pull request now (merged, closed) and move its issues along',
    tags: ['fixes'],
    response: FixPullRequestRefresh,
    handler: async () => {
      const changed = await refreshFixPullRequests(rt)
      return { changed, items: (await listFixPrs(rt.db, rt.workspaceId)).map(presentFixPr) }
    },
  })
}
