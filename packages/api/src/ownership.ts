import { z } from 'zod'
import { Iso, list, Severity } from './common.ts'

/** Ownership: teams, applications, ownership rules, and who owns an issue and why. */

export const OWNER_SOURCE_VALUES = ['rule', 'codeowners', 'scanner', 'default'] as const
export const OwnerSource = z.enum(OWNER_SOURCE_VALUES)

export const TeamRef = z.strictObject({ id: z.string(), name: z.string() })
export type TeamRef = z.infer<typeof TeamRef>
export const ApplicationRef = z.strictObject({ id: z.string(), name: z.string() })
export type ApplicationRef = z.infer<typeof ApplicationRef>

/**
 * Who owns an issue: its team and application, which source answered (the first of a manual rule, CODEOWNERS,
 * the scanner's owner data, the repository's default team) and why, e.g. "team payments, .github/CODEOWNERS line
 * 12 `/services/pay/ @acme/payments`, matched `services/pay/package.json`".
 */
export const Owner = z.strictObject({
  team: TeamRef.nullable(),
  application: ApplicationRef.nullable(),
  source: OwnerSource,
  reason: z.string(),
})
export type Owner = z.infer<typeof Owner>

const UserRef = z.strictObject({ id: z.string(), username: z.string() })

/** Open issues by priority, and how many of them are past their SLA. */
export const OwnedIssues = z.strictObject({
  open: z.number().int(),
  byPriority: z.record(Severity, z.number().int()),
  slaBreaches: z.number().int(),
})
export type OwnedIssues = z.infer<typeof OwnedIssues>

export const OwnedRepository = z.strictObject({
  id: z.string(),
  fullName: z.string(),
  openIssues: z.number().int(),
  /** the team is its default team / the application lists it (else it only owns issues there) */
  listed: z.boolean(),
})

export const Team = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** what `@org/<slug>` in CODEOWNERS names */
  slug: z.string(),
  members: z.array(UserRef),
  defaultAssignee: UserRef.nullable(),
  repositories: z.array(OwnedRepository),
  issues: OwnedIssues,
  /** ownership rules that name the team */
  rules: z.number().int(),
  createdAt: Iso,
  updatedAt: Iso,
})
export type Team = z.infer<typeof Team>
export const TeamList = list(Team)

export const Application = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** 0–100 */
  businessPriority: z.number().nullable(),
  /** made in vulnsync, or brought by a scanner sync (then its name and priority follow the scanner) */
  origin: z.enum(['user', 'scanner']),
  source: z
    .strictObject({ connectionId: z.string(), connectionName: z.string(), kind: z.string(), externalId: z.string() })
    .nullable(),
  repositories: z.array(OwnedRepository),
  images: z.array(z.string()),
  issues: OwnedIssues,
  rules: z.number().int(),
  createdAt: Iso,
  updatedAt: Iso,
})
export type Application = z.infer<typeof Application>
export const ApplicationList = list(Application)

export const RuleMatchShape = z.strictObject({
  repository: z.string().nullable(),
  image: z.string().nullable(),
  path: z.string().nullable(),
})

export const OwnershipRule = z.strictObject({
  id: z.string(),
  /** 1 is asked first */
  position: z.number().int(),
  match: RuleMatchShape,
  team: TeamRef.nullable(),
  application: ApplicationRef.nullable(),
  createdBy: z.string().nullable(),
  createdAt: Iso,
  updatedAt: Iso,
})
export type OwnershipRule = z.infer<typeof OwnershipRule>
export const OwnershipRuleList = list(OwnershipRule)

const Side = z.strictObject({ team: TeamRef.nullable(), application: ApplicationRef.nullable() })

/** What saving a rule would do: how many issues get another team or application, from whom to whom. */
export const OwnershipRulePreview = z.strictObject({
  issues: z.number().int(),
  openIssues: z.number().int(),
  moves: z.array(z.strictObject({ from: Side, to: Side, issues: z.number().int(), openIssues: z.number().int() })),
  sample: z.array(
    z.strictObject({
      id: z.string(),
      cve: z.string(),
      target: z.string(),
      team: TeamRef.nullable(),
      reason: z.string(),
    }),
  ),
})
export type OwnershipRulePreview = z.infer<typeof OwnershipRulePreview>

/** A repository's default team and its CODEOWNERS file as the last SCM sync read it, with the lines it could not use. */
export const RepositoryOwnership = z.strictObject({
  repositoryId: z.string(),
  fullName: z.string(),
  defaultTeam: TeamRef.nullable(),
  codeowners: z
    .strictObject({
      path: z.string(),
      dialect: z.enum(['github', 'gitlab']),
      readAt: Iso,
      changedAt: Iso,
      lines: z.number().int(),
      errors: z.array(z.strictObject({ line: z.number().int(), text: z.string(), message: z.string() })),
    })
    .nullable(),
})
export type RepositoryOwnership = z.infer<typeof RepositoryOwnership>
