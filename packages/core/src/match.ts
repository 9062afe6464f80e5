import type { RepositoryRecord, TargetRef } from './finding.ts'
import { canonicalRepo, canonicalRepoKey, type RepoHostKind, type RepoUrlOptions } from './repo-url.ts'

/** The keys a target can be matched on, in matching order. All derived, never stored with credentials. */
export interface MatchKeys {
  /** `github:123456` */
  externalKey: string | null
  /** canonical `host/owner/name` */
  urlKey: string | null
  /** `owner/name`, lower-cased, to match on a connected host when the scanner gave no URL */
  nameKey: string | null
  /** the key unmatched findings are grouped and manually mapped by */
  matchKey: string
  /** what to show the user: the URL or name as the scanner gave it (credentials stripped) */
  display: string
}

/**
 * Strips `user:password@` from anything URL-like and token-bearing query parameters (`private_token=`,
 * `access_token=`, `token=` …), so credentials never reach storage or a response. scp-style `git@host:` is kept:
 * `git` is a fixed ssh user, not a secret.
 */
export const stripCredentials = (s: string): string =>
  s
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i, '$1')
    .replace(
      /([?&])(private_token|access_token|token|password|passwd|secret|sig|signature|x-access-token)=[^&#]*(&?)/gi,
      (_m, sep: string, _k, amp: string) => (amp ? sep : ''),
    )
    .replace(/[?&]$/, '')

/**
 * `options.hosts` declares hosts of connected SCMs (see `scmHostKinds`), so a GitHub Enterprise or self-managed GitLab
 * URL gets its forge's path rules and case folding, the same as the inventory's keys.
 */
export const matchKeys = (t: TargetRef, options?: RepoUrlOptions): MatchKeys => {
  const source = t.kind === 'repository' ? t.url : (t.sourceRepoUrl ?? undefined)
  const canon = canonicalRepo(source ?? (t.kind === 'repository' && t.name.includes('.') ? t.name : undefined), options)
  const externalKey = t.externalId ? `${t.externalId.provider.toLowerCase()}:${t.externalId.id}` : null
  const nameKey =
    canon?.fullName.toLowerCase() ??
    (t.kind === 'repository' && /^[^/\s]+(\/[^/\s]+)+$/.test(t.name.trim()) ? t.name.trim().toLowerCase() : null)
  const urlKey = canon?.key ?? null
  const matchKey = urlKey ?? (nameKey ? `name:${nameKey}` : `${t.kind}:${t.name.trim().toLowerCase()}`)
  const display = stripCredentials(source ?? t.name)
  return { externalKey, urlKey, nameKey, matchKey, display }
}

const PROVIDER_KINDS: Record<string, RepoHostKind> = { github: 'github', gitlab: 'gitlab' }

const hostOf = (url: string | undefined): string | null => {
  if (!url) return null
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '')
  } catch {
    return null
  }
}

/** The web hosts of inventory repositories with their forge kind: pass as `{hosts}` to `matchKeys`/`canonicalRepo`. */
export const scmHostKinds = (
  records: Iterable<Pick<RepositoryRecord, 'provider' | 'webUrl'>>,
): Record<string, RepoHostKind> => {
  const out: Record<string, RepoHostKind> = {}
  for (const r of records) {
    const kind = PROVIDER_KINDS[r.provider.toLowerCase()]
    const host = hostOf(r.webUrl)
    if (kind && host) out[host] = kind
  }
  return out
}

/** The keys an inventory repository is found by, mirroring `matchKeys` of a finding's target. */
export interface RepositoryKeys {
  /** `github:123456` */
  externalKey: string
  /** canonical keys of every URL the SCM gave (web, clone, ssh) and of `host/fullName`, de-duplicated */
  urlKeys: string[]
  /** `fullName` lower-cased, for scanners that give only `owner/name` */
  nameKey: string
}

export const repositoryKeys = (
  rec: Pick<RepositoryRecord, 'provider' | 'externalId' | 'fullName' | 'webUrl' | 'cloneUrl' | 'sshUrl'>,
  options?: RepoUrlOptions,
): RepositoryKeys => {
  const kind = PROVIDER_KINDS[rec.provider.toLowerCase()]
  const host = hostOf(rec.webUrl)
  const opts: RepoUrlOptions | undefined = kind && host ? { hosts: { ...options?.hosts, [host]: kind } } : options
  const candidates = [rec.webUrl, rec.cloneUrl, rec.sshUrl, host ? `https://${host}/${rec.fullName}` : undefined]
  const urlKeys = [...new Set(candidates.map((u) => canonicalRepoKey(u, opts)).filter((k): k is string => k !== null))]
  return {
    externalKey: `${rec.provider.toLowerCase()}:${rec.externalId}`,
    urlKeys,
    nameKey: rec.fullName.toLowerCase(),
  }
}
