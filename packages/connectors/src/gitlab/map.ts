import type { RepositoryRecord, Skip } from '@vulnsync/core'
import type { GitlabRecord } from './raw.ts'

/**
 * Pure: a GitLab project (validated by `read`) → a RepositoryRecord. externalId is GitLab's numeric project id
 * (stable across renames and transfers); fullName is `path_with_namespace` with every nested group
 * (`acme/platform/backend/api`). URLs are kept as GitLab gave them (ssh_url_to_repo may be `ssh://git@host:PORT/…` on
 * a self-managed instance).
 */
export const mapGitlabProject = (p: GitlabRecord): RepositoryRecord | Skip => {
  const webUrl = p.web_url ?? (p.http_url_to_repo ? p.http_url_to_repo.replace(/\.git$/, '') : undefined)
  if (!webUrl) return { skip: 'invalid_record', detail: `project ${p.id} has no web_url` }
  return {
    provider: 'gitlab',
    externalId: String(p.id),
    fullName: p.path_with_namespace,
    cloneUrl: p.http_url_to_repo ?? undefined,
    sshUrl: p.ssh_url_to_repo ?? undefined,
    webUrl,
    defaultBranch: p.default_branch ?? undefined,
    archived: p.archived === true,
    visibility: p.visibility ?? undefined,
    // read with the project (kit/codeowners.ts): absent when it could not be read, so what is stored stays
    ...('codeowners' in p ? { codeowners: p.codeowners ?? null } : {}),
  }
}
