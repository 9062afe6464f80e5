/**
 * Repository URL normalisation: every way a scanner names a git repository reduces to one canonical key
 * `host/path` (lower-cased where the host ignores case), with credentials, ports of ssh, `.git`, trailing slashes
 * and web sub-paths removed. See docs/architecture.md#repository-matching.
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

/** Hosts known to treat owner and repository names case-insensitively. */
const CASE_INSENSITIVE_HOSTS = [/^github\.com$/, /^gitlab\.com$/, /^bitbucket\.org$/, /(^|\.)visualstudio\.com$/, /^dev\.azure\.com$/]

const isCaseInsensitive = (host: string): boolean => CASE_INSENSITIVE_HOSTS.some((re) => re.test(host))

/** Web sub-paths after which the rest of a URL points inside a repository (a file, a pull request …). */
const GITHUB_TAILS = new Set(['blob', 'tree', 'pull', 'pulls', 'issues', 'commit', 'commits', 'releases', 'actions', 'security', 'wiki', 'raw', 'compare', 'tags', 'branches', 'settings', 'network', 'projects', 'discussions', 'edit', 'blame'])

export const canonicalRepo = (input: string | null | undefined): CanonicalRepo | null => {
  if (!input) return null
  let s = input.trim()
  if (!s) return null
  // scp-style: git@host:org/repo.git  (no scheme, a colon before the first slash)
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(s)
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^\d+$/.test(scp[2]!.split('/')[0]!)) {
    s = `ssh://${scp[1]}/${scp[2]}`
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `https://${s}`
  let url: URL
  try {
    url = new URL(s.replace(/^git\+/, ''))
  } catch {
    return null
  }
  let host = url.hostname.toLowerCase().replace(/^www\./, '')
  if (!host || !host.includes('.') && host !== 'localhost') {
    if (!host) return null
  }
  let segs = url.pathname
    .split('/')
    .map((p) => {
      try {
        return decodeURIComponent(p)
      } catch {
        return p
      }
    })
    .filter((p) => p !== '')
  // ssh.dev.azure.com:v3/org/project/repo  and  vs-ssh.visualstudio.com:v3/org/project/repo
  if ((host === 'ssh.dev.azure.com' || host.endsWith('vs-ssh.visualstudio.com')) && segs[0] === 'v3') {
    host = 'dev.azure.com'
    segs = [segs[1]!, segs[2]!, segs[3]!].filter(Boolean)
  } else if (host === 'dev.azure.com' || host.endsWith('.visualstudio.com')) {
    // https://dev.azure.com/org/project/_git/repo  and  https://org.visualstudio.com/project/_git/repo
    const git = segs.indexOf('_git')
    if (host.endsWith('.visualstudio.com')) {
      const org = host.slice(0, -'.visualstudio.com'.length)
      segs = [org, ...segs.filter((p) => p !== 'DefaultCollection')]
      host = 'dev.azure.com'
    }
    const g = segs.indexOf('_git')
    if (g >= 0 || git >= 0) segs = [...segs.slice(0, g), ...segs.slice(g + 1, g + 2)]
  } else if (host === 'bitbucket.org' || host.startsWith('bitbucket.')) {
    // Bitbucket Server: /scm/PROJ/repo.git  or  /projects/PROJ/repos/repo/browse
    if (segs[0] === 'scm') segs = segs.slice(1)
    if (segs[0] === 'projects' && segs[2] === 'repos') segs = [segs[1]!, segs[3]!]
    segs = segs.slice(0, 2)
  } else if (host === 'github.com' || host.startsWith('github.')) {
    const tail = segs.findIndex((p, i) => i >= 2 && GITHUB_TAILS.has(p))
    segs = segs.slice(0, tail >= 0 ? tail : 2)
  } else {
    // GitLab and others: /group/sub/proj/-/blob/main/x  → cut at '/-/'
    const dash = segs.indexOf('-')
    if (dash >= 0) segs = segs.slice(0, dash)
  }
  if (segs.length === 0) return null
  const last = segs.length - 1
  segs[last] = segs[last]!.replace(/\.git$/i, '')
  if (segs[last] === '') return null
  if (isCaseInsensitive(host)) segs = segs.map((p) => p.toLowerCase())
  const fullName = segs.join('/')
  return { key: `${host}/${fullName}`, host, path: segs, fullName }
}

export const canonicalRepoKey = (input: string | null | undefined): string | null => canonicalRepo(input)?.key ?? null
