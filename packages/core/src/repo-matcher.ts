import type { MatchKeys } from './match.ts'

/** A repository of the inventory, as matching needs it. */
export interface RepoIndexEntry {
  id: number
  provider: string
  externalId: string
  fullName: string
  urlKey: string | null
}

export interface RepoMatcher {
  /** the repository a target matches, in matching order: external id, canonical URL, owner/name on the host, mapping */
  match(keys: Pick<MatchKeys, 'externalKey' | 'urlKey' | 'nameKey' | 'matchKey'>): number | null
  /** the full name of a repository of the index */
  fullName(id: number): string | undefined
  readonly size: number
}

const hostOf = (urlKey: string | null) => (urlKey ? urlKey.slice(0, urlKey.indexOf('/')) : null)

/**
 * The one implementation of repository matching (used while ingesting and when re-matching waiting findings).
 * Built from the workspace's live repositories and manual mappings; the lowest id wins a tie.
 */
export const createRepoMatcher = (
  repos: RepoIndexEntry[],
  mappings: { matchKey: string; repositoryId: number }[],
): RepoMatcher => {
  const byExt = new Map<string, number>()
  const byUrl = new Map<string, number>()
  const byName = new Map<string, { id: number; host: string | null }[]>()
  const sorted = [...repos].sort((a, b) => a.id - b.id)
  for (const r of sorted) {
    const ext = `${r.provider.toLowerCase()}:${r.externalId}`
    if (!byExt.has(ext)) byExt.set(ext, r.id)
    if (r.urlKey && !byUrl.has(r.urlKey)) byUrl.set(r.urlKey, r.id)
    const n = r.fullName.toLowerCase()
    const list = byName.get(n)
    if (list) list.push({ id: r.id, host: hostOf(r.urlKey) })
    else byName.set(n, [{ id: r.id, host: hostOf(r.urlKey) }])
  }
  const byMapping = new Map(mappings.map((m) => [m.matchKey, m.repositoryId]))
  const names = new Map(repos.map((r) => [r.id, r.fullName]))
  return {
    size: repos.length,
    fullName: (id) => names.get(id),
    match: (k) => {
      if (k.externalKey) {
        const id = byExt.get(k.externalKey)
        if (id !== undefined) return id
      }
      if (k.urlKey) {
        const id = byUrl.get(k.urlKey)
        if (id !== undefined) return id
      }
      if (k.nameKey) {
        const host = hostOf(k.urlKey)
        const hit = byName.get(k.nameKey)?.find((c) => host === null || c.host === host)
        if (hit) return hit.id
      }
      return byMapping.get(k.matchKey) ?? null
    },
  }
}
