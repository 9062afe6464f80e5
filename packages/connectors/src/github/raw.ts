import type { CodeownersRead } from '@vulnsync/core'
import { z } from 'zod'

/**
 * GitHub "Minimal Repository" as listed by /orgs/{org}/repos, /user/repos and /installation/repositories
 * (scm.md §1.5). Permissive: only the fields vulnsync uses are described, the rest passes through. URL fields are
 * optional (the schema's `required` list was not verified); `has_downloads` is never read (removed in 2026-03-10).
 */
export const GithubRepo = z.looseObject({
  id: z.number().int(),
  node_id: z.string().nullish(),
  name: z.string().nullish(),
  full_name: z.string().min(1),
  private: z.boolean().nullish(),
  owner: z.looseObject({ login: z.string(), id: z.number().nullish(), type: z.string().nullish() }).nullish(),
  html_url: z.string().nullish(),
  url: z.string().nullish(),
  clone_url: z.string().nullish(),
  ssh_url: z.string().nullish(),
  git_url: z.string().nullish(),
  default_branch: z.string().nullish(),
  archived: z.boolean().nullish(),
  disabled: z.boolean().nullish(),
  fork: z.boolean().nullish(),
  visibility: z.string().nullish(),
})
export type GithubRepo = z.infer<typeof GithubRepo>

/** What `read` yields: the repository, and its CODEOWNERS file when read (added by vulnsync, not a GitHub field). */
export type GithubRecord = GithubRepo & { codeowners?: CodeownersRead | null | undefined }

/** GET /installation/repositories wraps the array (scm.md §1.4). */
export const GithubInstallationRepos = z.looseObject({
  total_count: z.number().nullish(),
  repository_selection: z.string().nullish(),
  repositories: z.array(z.unknown()),
})

/** `{"message":"Bad credentials","documentation_url":"…","status":"401"}`; `status` is a string or absent. */
export const GithubErrorBody = z.looseObject({
  message: z.string().nullish(),
  documentation_url: z.string().nullish(),
  status: z.union([z.string(), z.number()]).nullish(),
})
export type GithubErrorBody = z.infer<typeof GithubErrorBody>
