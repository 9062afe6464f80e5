import type { TargetRef } from './finding.ts'
import { canonicalRepo } from './repo-url.ts'

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

export const matchKeys = (t: TargetRef): MatchKeys => {
  const source = t.kind === 'repository' ? t.url : (t.sourceRepoUrl ?? undefined)
  const canon = canonicalRepo(source ?? (t.kind === 'repository' && t.name.includes('.') ? t.name : undefined))
  const externalKey = t.externalId ? `${t.externalId.provider.toLowerCase()}:${t.externalId.id}` : null
  const nameKey =
    canon?.fullName.toLowerCase() ??
    (t.kind === 'repository' && /^[^/\s]+(\/[^/\s]+)+$/.test(t.name.trim()) ? t.name.trim().toLowerCase() : null)
  const urlKey = canon?.key ?? null
  const matchKey = urlKey ?? (nameKey ? `name:${nameKey}` : `${t.kind}:${t.name.trim().toLowerCase()}`)
  const display = stripCredentials(source ?? t.name)
  return { externalKey, urlKey, nameKey, matchKey, display }
}
