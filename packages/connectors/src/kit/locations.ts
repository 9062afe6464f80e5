import type { Location } from '@vulnsync/core'

/** What a source-control connector knows of a repository it lists. */
export interface RepositoryFacts {
  provider: string
  id: number | string
  fullName: string
  url?: string | null | undefined
  archived?: boolean | null | undefined
  visibility?: string | null | undefined
  defaultBranch?: string | null | undefined
}

/** A repository as a selectable location: id, full name, the target with the provider's id, and its state. */
export const repositoryLocation = (r: RepositoryFacts): Location => ({
  id: String(r.id),
  name: r.fullName,
  kind: 'repository',
  ...(r.archived ? { description: 'archived' } : {}),
  target: {
    kind: 'repository',
    name: r.fullName,
    url: r.url ?? undefined,
    externalId: { provider: r.provider, id: String(r.id) },
  },
  meta: { archived: r.archived ?? false, visibility: r.visibility ?? null, defaultBranch: r.defaultBranch ?? null },
})
