import type { RepositoryRecord, Skip } from '@vulnsync/core'
import type { GithubRecord } from './raw.ts'

const VISIBILITIES = new Set(['public', 'private', 'internal'])

/**
 * Pure: a GitHub repository (validated by `read`) → a RepositoryRecord. externalId is GitHub's numeric id (stable
 * across renames and transfers; an OX app id of type GitHub is the same number). Web, clone and ssh URLs are kept as
 * GitHub gave them; when a field is missing the web URL is derived from the API `url` (…/repos/o/r → host/o/r) only
 * for github.com. `visibility` falls back to `private` → 'private' / 'public' for old GHES answers without the field.
 */
export const mapGithubRepo = (r: GithubRecord): RepositoryRecord | Skip => {
  let webUrl = r.html_url ?? undefined
  if (!webUrl && r.url && /^https:\/\/api\.github\.com\/repos\//.test(r.url))
    webUrl = `https://github.com/${r.full_name}`
  if (!webUrl) return { skip: 'invalid_record', detail: `repository ${r.id} has no html_url` }
  const vis = r.visibility?.toLowerCase()
  const visibility =
    vis && VISIBILITIES.has(vis)
      ? vis
      : r.private === true
        ? 'private'
        : r.private === false
          ? 'public'
          : (vis ?? undefined)
  return {
    provider: 'github',
    externalId: String(r.id),
    fullName: r.full_name,
    cloneUrl: r.clone_url ?? undefined,
    sshUrl: r.ssh_url ?? undefined,
    webUrl,
    defaultBranch: r.default_branch ?? undefined,
    archived: r.archived === true,
    visibility,
    // read with the repository (kit/codeowners.ts): absent when it could not be read, so what is stored stays
    ...('codeowners' in r ? { codeowners: r.codeowners ?? null } : {}),
  }
}
