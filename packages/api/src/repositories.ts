import { z } from 'zod'
import { Iso, list, NullableIso, paged } from './common.ts'

export const Repository = z.strictObject({
  id: z.string(),
  provider: z.string(),
  externalId: z.string(),
  fullName: z.string(),
  webUrl: z.string(),
  cloneUrl: z.string().nullable(),
  sshUrl: z.string().nullable(),
  defaultBranch: z.string().nullable(),
  archived: z.boolean(),
  visibility: z.string().nullable(),
  connectionId: z.string(),
  connectionName: z.string(),
  openIssues: z.number().int(),
  firstSeenAt: NullableIso,
  lastSeenAt: NullableIso,
  removedAt: NullableIso,
})
export type Repository = z.infer<typeof Repository>
export const RepositoryPage = paged(Repository)

/** A target findings wait on because it matches no repository, as the scanner named it. */
export const UnmatchedTarget = z.strictObject({
  key: z.string(),
  kind: z.string(),
  connectionId: z.string(),
  connectionName: z.string(),
  targetKind: z.string(),
  display: z.string(),
  name: z.string(),
  findings: z.number().int(),
  cves: z.number().int(),
  lastSeenAt: NullableIso,
})
export type UnmatchedTarget = z.infer<typeof UnmatchedTarget>
export const UnmatchedList = list(UnmatchedTarget)

/** Findings that wait for a repository match, in all and per connection (the queue and the Hub say so). */
export const WaitingCount = z.strictObject({ findings: z.number().int(), targets: z.number().int() })
export type WaitingCount = z.infer<typeof WaitingCount>
export const UnmatchedSummary = z.strictObject({
  findings: z.number().int(),
  targets: z.number().int(),
  byConnection: z.array(z.strictObject({ connectionId: z.string(), ...WaitingCount.shape })),
})
export type UnmatchedSummary = z.infer<typeof UnmatchedSummary>

export const MappingSaved = z.strictObject({
  key: z.string(),
  repositoryId: z.string(),
  repository: z.string(),
  /** findings that joined the queue at once */
  joined: z.number().int(),
})

export const Mapping = z.strictObject({
  key: z.string(),
  repositoryId: z.string(),
  repository: z.string(),
  createdBy: z.string().nullable(),
  createdAt: Iso,
})
export type Mapping = z.infer<typeof Mapping>
export const MappingList = list(Mapping)
