import { z } from 'zod'
import { Iso, list, NullableIso } from './common.ts'

/** What remains unfixed by a plan, and why. */
export const FixRemaining = z.strictObject({ cve: z.string(), reason: z.string() })

/** The fix plan of one (target, package, manifest): the version to move to, how, and why. */
export const FixPlan = z.strictObject({
  target: z.string(),
  package: z.strictObject({ purl: z.string(), name: z.string(), ecosystem: z.string() }),
  manifest: z.strictObject({ path: z.string(), editable: z.boolean() }).nullable(),
  installedVersion: z.string().nullable(),
  fixVersion: z.string().nullable(),
  fixes: z.array(z.string()),
  remaining: z.array(FixRemaining),
  majorBump: z.boolean(),
  strategy: z.enum(['direct', 'override', 'manual']),
  /** `registry`: the registry's versions were considered; `scanners`: only the scanners' fixed versions */
  versionSource: z.enum(['registry', 'scanners']),
  /** for a manual plan: the command a developer should run */
  command: z.string().nullable(),
  explanation: z.string(),
  issueIds: z.array(z.string()),
})
export type FixPlan = z.infer<typeof FixPlan>
/** The plans of a repository's open issues, with the repository and whether its connection may open pull requests. */
export const FixPlanList = z.strictObject({
  items: z.array(FixPlan),
  repository: z.strictObject({ id: z.string(), fullName: z.string(), pullRequestsEnabled: z.boolean() }),
})
export type FixPlanList = z.infer<typeof FixPlanList>

export const FIX_PR_STATES = ['open', 'merged', 'closed'] as const

/** A fix pull request (merge request) vulnsync opened, as tracked. */
export const FixPullRequest = z.strictObject({
  id: z.string(),
  repositoryId: z.string(),
  repository: z.string(),
  provider: z.string(),
  url: z.string(),
  number: z.number().int(),
  branch: z.string(),
  baseBranch: z.string(),
  state: z.enum(FIX_PR_STATES),
  title: z.string(),
  manifestDir: z.string(),
  issueIds: z.array(z.string()),
  createdBy: z.string(),
  createdAt: Iso,
  updatedAt: Iso,
  mergedAt: NullableIso,
  closedAt: NullableIso,
  refreshedAt: NullableIso,
})
export type FixPullRequest = z.infer<typeof FixPullRequest>
export const FixPullRequestList = list(FixPullRequest)
export const FixPullRequestRefresh = z.strictObject({ changed: z.number().int(), items: z.array(FixPullRequest) })

const FixChange = z.strictObject({ path: z.string(), diff: z.string() })
const FixPackageMove = z.strictObject({
  name: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  strategy: z.enum(['direct', 'override']),
  cves: z.array(z.string()),
  majorBump: z.boolean(),
})
const FixSkipped = z.strictObject({
  name: z.string(),
  to: z.string(),
  reason: z.string(),
  command: z.string().nullable(),
})

/** One pull request per repository and manifest directory; with `dryRun` only what it would change (no id, url, number). */
export const FixPrOpened = z.strictObject({
  id: z.string().optional(),
  url: z.string().optional(),
  number: z.number().int().optional(),
  branch: z.string(),
  /** `planned` for a dry run, or one that changed nothing */
  state: z.enum(['open', 'merged', 'closed', 'planned']),
  manifestDir: z.string(),
  issueIds: z.array(z.string()),
  changes: z.array(FixChange),
  packages: z.array(FixPackageMove),
  skipped: z.array(FixSkipped),
})
export type FixPrOpened = z.infer<typeof FixPrOpened>
export const FixPrResult = z.strictObject({ dryRun: z.boolean(), pullRequests: z.array(FixPrOpened) })
export type FixPrResult = z.infer<typeof FixPrResult>

/** How a vulnerability gets fixed: its plan (the first manifest's), every manifest's plan, its pull requests, verification. */
export const VulnerabilityFix = FixPlan.extend({
  plans: z.array(FixPlan),
  pullRequests: z.array(FixPullRequest),
  /** set once a complete scan after a merged fix pull request no longer reports it */
  fixedBy: z
    .strictObject({ pullRequest: z.strictObject({ id: z.string(), number: z.number(), url: z.string() }) })
    .nullable(),
  /** "merged but still vulnerable": a scan after the merge still reports it, at these versions */
  verification: z
    .strictObject({
      status: z.literal('still_vulnerable'),
      pullRequest: z.strictObject({ id: z.string(), number: z.number(), url: z.string() }),
      versions: z.array(z.string()),
      at: Iso,
    })
    .nullable(),
  /** whether the issue's source control connection may open pull requests (else: the patch only) */
  pullRequestsEnabled: z.boolean(),
})
export type VulnerabilityFix = z.infer<typeof VulnerabilityFix>
