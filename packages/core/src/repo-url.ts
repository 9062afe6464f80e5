/**
 * Repository URL normalisation: every way a scanner names a git repository reduces to one canonical key
 * `host/path`, lower-cased where the host ignores case. Credentials, query, fragment, ports, `.git`, trailing
 * slashes and web sub-paths (a file, a tree, a pull request) are removed. Forms handled (upstream research, scm.md §5):
 *
 * - `https://[user[:token]@]host[:port]/owner/repo[.git][/]`, `http://`, `git://`, `git+https://`, `git+ssh://`
 * - `ssh://[user@]host[:port]/path`, scp-like `[user@]host:path` (only when no `/` precedes the first `:`, git's rule)
 * - `scm:git:<url>` (Maven), `github:owner/repo`, `gitlab:group/repo`, `bitbucket:ws/repo` (npm shorthands)
 * - scheme-less `github.com/owner/repo`
 * - GitHub: exactly two path segments (`/tree/…`, `/blob/…`, `/pull/12` … dropped); `ssh.github.com`, `www.` folded;
 *   API URLs `api.github.com/repos/o/r` and GHES `host/api/v3/repos/o/r`; `raw.githubusercontent.com/o/r/…`
 * - GitLab: every segment up to `/-/` (nested groups kept); old-style `…/blob/<ref>/…` links; API URLs
 *   `host/api/v4/projects/group%2Fproject`
 * - Bitbucket Cloud: two segments; Bitbucket Server/DC: `/scm/PROJ/repo.git`, `/scm/~user/repo.git`,
 *   `/projects/PROJ/repos/repo/browse`, `/users/user/repos/repo/browse`, `/rest/api/1.0/projects/P/repos/r`
 * - Azure DevOps: `dev.azure.com/org/proj/_git/repo`, `org.visualstudio.com[/DefaultCollection]/proj/_git/repo`,
 *   `ssh.dev.azure.com:v3/org/proj/repo`, `vs-ssh.visualstudio.com:v3/org/proj/repo`, all → `dev.azure.com/org/proj/repo`
 *
 * Ports are never part of the key: one server answers https on 443 and ssh on 2222/7999, and both name the same
 * repository. Case is folded for hosts known to ignore it (github.com, gitlab.com, bitbucket.org, Azure DevOps,
 * any Bitbucket Server path form, and hosts named `github.*`, `gitlab.*`, `bitbucket.*`), or for any host the caller
 * declares in `options.hosts` (e.g. a GitHub Enterprise Server at `ghe.corp`).
 * A bare `owner/name` (no host) is not a URL and yields null: match it by name instead (see match.ts).
 */
export interface CanonicalRepo {
  /** `github.com/acme/api` */
  key: string
  host: string
  /** path segments after the host, e.g. ['acme', 'api'] or ['group', 'sub', 'proj'] */
  path: string[]
  /** `acme/api` */
  fullName: string
}

export type RepoHostKind = 'github' | 'gitlab' | 'bitbucket-cloud' | 'bitbucket-server' | 'azure' | 'generic'

export interface RepoUrlOptions {
  /**
   * Hosts whose kind the caller knows (from connected SCM connections), lower-case host → kind. A known GitHub,
   * GitLab, Bitbucket or Azure host gets that forge's path rules and is case-folded; 'generic' keeps case.
   */
  hosts?: Record<string, RepoHostKind>
}

/** Hosts that are other names of a canonical host. */
const HOST_ALIASES: Record<string, string> = {
  'ssh.github.com': 'github.com',
  'api.github.com': 'github.com',
  'raw.githubusercontent.com': 'github.com',
  'altssh.gitlab.com': 'gitlab.com',
  'altssh.bitbucket.org': 'bitbucket.org',
  'api.bitbucket.org': 'bitbucket.org',
  'ssh.dev.azure.com': 'dev.azure.com',
  'vs-ssh.visualstudio.com': 'dev.azure.com',
}

const hostKind = (host: string, path: string[], port: string, opts?: RepoUrlOptions): RepoHostKind => {
  const declared = opts?.hosts?.[host]
  if (declared) return declared
  if (host === 'github.com' || /^github\./.test(host)) return 'github'
  if (host === 'gitlab.com' || /^gitlab\./.test(host)) return 'gitlab'
  if (host === 'bitbucket.org') return 'bitbucket-cloud'
  if (host === 'dev.azure.com' || host.endsWith('.visualstudio.com')) return 'azure'
  if (
    /^bitbucket\./.test(host) ||
    port === '7999' ||
    path[0] === 'scm' ||
    (path[0] === 'projects' && path[2] === 'repos') ||
    (path[0] === 'users' && path[2] === 'repos')
  )
    return 'bitbucket-server'
  return 'generic'
}

/** Web sub-paths that, on a host of unknown kind, start the part of a URL pointing inside a repository. */
const INNER_PATHS = new Set([
  'blob',
  'tree',
  'commit',
  'commits',
  'blame',
  'raw',
  'pull',
  'merge_requests',
  'compare',
  'src',
])

const decode = (p: string): string => {
  try {
    return decodeURIComponent(p)
  } catch {
    return p
  }
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i
const SHORTHANDS: Record<string, string> = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' }

/** Rewrites the non-URL forms (scp-like, shorthands, scheme-less) into a URL string, or null when it is not one. */
const toUrlString = (raw: string): string | null => {
  const s = raw.trim().replace(/^scm:git:/i, '')
  if (!s) return null
  const short = /^(github|gitlab|bitbucket):([^/].*)$/i.exec(s)
  if (short && !s.includes('@')) return `https://${SHORTHANDS[short[1]!.toLowerCase()]}/${short[2]}`
  if (SCHEME.test(s)) return s.replace(/^git\+/i, '')
  // scp-like: [user@]host:path, only when no '/' precedes the first ':' (git's rule); `host:2222/x` is a port
  const colon = s.indexOf(':')
  const slash = s.indexOf('/')
  if (colon > 0 && (slash === -1 || colon < slash)) {
    const before = s.slice(0, colon)
    const after = s.slice(colon + 1)
    if (/^\d+(\/|$)/.test(after)) return `https://${s}`
    const host = before.includes('@') ? before.slice(before.lastIndexOf('@') + 1) : before
    if (!host || !/^[a-z0-9.-]+$/i.test(host) || after.includes('@')) return null
    if (!before.includes('@') && !host.includes('.') && host !== 'localhost') return null
    return `ssh://${before}/${after.replace(/^\/+/, '')}`
  }
  // scheme-less: the first segment must look like a host name, else it is `owner/name`, not a URL
  const first = s.split('/')[0]!
  if (first.includes('.') || first === 'localhost') return `https://${s}`
  return null
}

export const canonicalRepo = (input: string | null | undefined, options?: RepoUrlOptions): CanonicalRepo | null => {
  if (!input) return null
  const s = toUrlString(input)
  if (!s) return null
  let url: URL
  try {
    url = new URL(s)
  } catch {
    return null
  }
  if (!/^(https?|ssh|git|ftps?|git\+ssh|ssh\+git):$/i.test(url.protocol)) return null
  let host = url.hostname
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '')
  if (!host) return null
  const originalHost = host
  host = HOST_ALIASES[host] ?? host
  let segs = url.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decode)

  // Azure DevOps legacy host: the organisation is the first label of org.visualstudio.com
  let azureOrg: string | null = null
  if (host.endsWith('.visualstudio.com') && host !== 'vs-ssh.visualstudio.com') {
    azureOrg = host.slice(0, -'.visualstudio.com'.length)
    host = 'dev.azure.com'
  }

  // API URLs name the repository too
  if (originalHost === 'api.github.com' && segs[0] === 'repos') segs = segs.slice(1)
  else if (segs[0] === 'api' && segs[1] === 'v3' && segs[2] === 'repos') segs = segs.slice(3)
  else if (segs[0] === 'api' && segs[1] === 'v4' && segs[2] === 'projects' && segs[3]) {
    if (/^\d+$/.test(segs[3])) return null
    segs = segs[3].split('/').filter(Boolean)
  } else if (originalHost === 'api.bitbucket.org' && segs[0] === '2.0' && segs[1] === 'repositories')
    segs = segs.slice(2)

  const kind = hostKind(host, segs, url.port, options)
  let fold = kind !== 'generic'
  switch (kind) {
    case 'github':
    case 'bitbucket-cloud':
      if (segs.length < 2) return null
      segs = segs.slice(0, 2)
      break
    case 'gitlab': {
      const dash = segs.indexOf('-')
      if (dash >= 0) segs = segs.slice(0, dash)
      else {
        const inner = segs.findIndex((p, i) => i >= 2 && INNER_PATHS.has(p) && i < segs.length - 1)
        if (inner >= 0) segs = segs.slice(0, inner)
      }
      if (segs.length < 2) return null
      break
    }
    case 'bitbucket-server': {
      if (segs[0] === 'rest' && segs[1] === 'api') segs = segs.slice(3)
      if (segs[0] === 'scm') segs = segs.slice(1, 3)
      else if (segs[0] === 'projects' && segs[2] === 'repos') segs = [segs[1]!, segs[3]!]
      else if (segs[0] === 'users' && segs[2] === 'repos') segs = [`~${segs[1]}`, segs[3]!]
      else segs = segs.slice(0, 2)
      if (segs.length < 2 || segs.some((p) => !p)) return null
      break
    }
    case 'azure': {
      if (segs[0] === 'v3') segs = segs.slice(1, 4)
      else {
        if (azureOrg) segs = [azureOrg, ...segs]
        segs = segs.filter((p, i) => !(i === 1 && p.toLowerCase() === 'defaultcollection'))
        const g = segs.indexOf('_git')
        if (g === 1)
          segs = [segs[0]!, segs[2]!, segs[2]!] // project omitted: repository named like its project
        else if (g === 2) segs = [segs[0]!, segs[1]!, segs[3]!]
        else if (g > 2) return null
      }
      if (segs.length !== 3 || segs.some((p) => !p)) return null
      break
    }
    default: {
      const dash = segs.indexOf('-')
      if (dash >= 0) segs = segs.slice(0, dash)
      else {
        const inner = segs.findIndex((p, i) => i >= 2 && INNER_PATHS.has(p) && i < segs.length - 1)
        if (inner >= 0) segs = segs.slice(0, inner)
      }
      fold = false
    }
  }
  if (segs.length === 0) return null
  const last = segs.length - 1
  segs[last] = segs[last]!.replace(/\.git$/i, '')
  if (segs[last] === '') return null
  if (fold) segs = segs.map((p) => p.toLowerCase())
  const fullName = segs.join('/')
  return { key: `${host}/${fullName}`, host, path: segs, fullName }
}

export const canonicalRepoKey = (input: string | null | undefined, options?: RepoUrlOptions): string | null =>
  canonicalRepo(input, options)?.key ?? null
