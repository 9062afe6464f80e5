import type { CodeownersRead } from '@vulnsync/core'
import { z } from 'zod'

/**
 * GitLab project as listed by /projects and /groups/:id/projects (scm.md §4.2). Permissive: fields vulnsync uses,
 * everything else passes through. `default_branch` is null for an empty repository.
 */
export const GitlabProject = z.looseObject({
  id: z.number().int(),
  name: z.string().nullish(),
  path: z.string().nullish(),
  path_with_namespace: z.string().min(1),
  default_branch: z.string().nullish(),
  visibility: z.string().nullish(),
  ssh_url_to_repo: z.string().nullish(),
  http_url_to_repo: z.string().nullish(),
  web_url: z.string().nullish(),
  archived: z.boolean().nullish(),
  empty_repo: z.boolean().nullish(),
  namespace: z
    .looseObject({
      id: z.number().nullish(),
      name: z.string().nullish(),
      path: z.string().nullish(),
      kind: z.string().nullish(),
      full_path: z.string().nullish(),
    })
    .nullish(),
})
export type GitlabProject = z.infer<typeof GitlabProject>

/** What `read` yields: the project, and its CODEOWNERS file when read (added by vulnsync, not a GitLab field). */
export type GitlabRecord = GitlabProject & { codeowners?: CodeownersRead | null | undefined }

/** `{"message":"401 Unauthorized"}`, `{"error":"insufficient_scope","error_description":…}`, or plain text. */
export const GitlabErrorBody = z.looseObject({
  message: z.unknown().optional(),
  error: z.string().nullish(),
  error_description: z.string().nullish(),
  scope: z.string().nullish(),
})
