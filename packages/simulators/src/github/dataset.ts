import { rngFor } from '../kit/random.ts'

/**
 * A deterministic generated GitHub organisation. Repository i is generated from (seed, i) alone, so a page is
 * built without generating the others; only one byte per repository (visibility + archived) is kept in memory so
 * that per-token filtered listings can be paged without materialising objects.
 */
export type GithubVisibility = 'public' | 'private' | 'internal'

const PREFIX = [
  'payments',
  'billing',
  'auth',
  'search',
  'catalog',
  'orders',
  'ledger',
  'notify',
  'gateway',
  'profile',
  'inventory',
  'checkout',
  'reporting',
  'analytics',
  'media',
  'shipping',
]
const SUFFIX = ['api', 'service', 'web', 'worker', 'cli', 'sdk', 'infra', 'ui', 'jobs', 'proxy', 'lib', 'docs']
const BRANCHES = ['main', 'main', 'main', 'main', 'main', 'master', 'develop', 'trunk']
const VIS: GithubVisibility[] = ['private', 'public', 'internal']

export interface GithubDatasetOptions {
  seed: number
  repos: number
  /** organisation login in its display case, e.g. 'Acme-Corp' */
  org: string
  orgId: number
  /** the web host of the repositories (html_url, clone_url, ssh_url): 'github.com' or a GHES host */
  webBaseUrl: string
  /** the API base the simulator answers on, for `url` fields */
  apiBaseUrl: string
}

export interface GithubDataset {
  size: number
  /** repository id of index i (ids grow with i, like creation order) */
  idOf(i: number): number
  /** index of a repository id, or -1 */
  indexOfId(id: number): number
  indexOfName(name: string): number
  visibility(i: number): GithubVisibility
  archived(i: number): boolean
  name(i: number): string
  repo(i: number, apiBaseUrl?: string): Record<string, unknown>
}

const ID_BASE = 410_000_000
const ID_STEP = 37

export const createGithubDataset = (o: GithubDatasetOptions): GithubDataset => {
  const flags = new Uint8Array(o.repos)
  for (let i = 0; i < o.repos; i++) {
    const r = rngFor(o.seed, i)
    const v = r.next()
    const vis = v < 0.55 ? 0 : v < 0.9 ? 1 : 2
    const archived = r.next() < 0.08 ? 1 : 0
    flags[i] = vis | (archived << 2)
  }
  const name = (i: number): string => {
    const r = rngFor(o.seed ^ 0x5eed, i)
    // display case varies, as on GitHub: matching must fold it
    const base = `${r.pick(PREFIX)}-${r.pick(SUFFIX)}-${i}`
    return r.chance(0.1) ? base.replace(/^./, (c) => c.toUpperCase()) : base
  }
  const web = o.webBaseUrl.replace(/\/+$/, '')
  const webHost = new URL(web).host
  return {
    size: o.repos,
    idOf: (i) => ID_BASE + i * ID_STEP,
    indexOfId: (id) => {
      const i = (id - ID_BASE) / ID_STEP
      return Number.isInteger(i) && i >= 0 && i < o.repos ? i : -1
    },
    indexOfName: (n) => {
      const m = /-(\d+)$/.exec(n)
      if (!m) return -1
      const i = Number(m[1])
      return i < o.repos && name(i).toLowerCase() === n.toLowerCase() ? i : -1
    },
    visibility: (i) => VIS[flags[i]! & 3]!,
    archived: (i) => (flags[i]! & 4) !== 0,
    name,
    repo: (i, apiBaseUrl = o.apiBaseUrl) => {
      const r = rngFor(o.seed ^ 0xbeef, i)
      const id = ID_BASE + i * ID_STEP
      const n = name(i)
      const full = `${o.org}/${n}`
      const visibility = VIS[flags[i]! & 3]!
      const created = Date.UTC(2015, 0, 1) + i * 3_600_000 * 7
      const pushed = created + r.int(0, 900) * 86_400_000
      const api = apiBaseUrl.replace(/\/+$/, '')
      return {
        id,
        node_id: `R_kgDO${r.hex(8).toUpperCase()}`,
        name: n,
        full_name: full,
        private: visibility !== 'public',
        owner: {
          login: o.org,
          id: o.orgId,
          node_id: `O_kgDO${o.orgId}`,
          type: 'Organization',
          site_admin: false,
          html_url: `${web}/${o.org}`,
        },
        html_url: `${web}/${full}`,
        description: r.chance(0.3) ? null : `The ${n} repository`,
        fork: r.chance(0.05),
        url: `${api}/repos/${full}`,
        git_url: `git://${webHost}/${full}.git`,
        ssh_url: `git@${webHost}:${full}.git`,
        clone_url: `${web}/${full}.git`,
        svn_url: `${web}/${full}`,
        homepage: null,
        size: r.int(10, 200_000),
        language: r.pick(['TypeScript', 'Java', 'Go', 'Python', 'Kotlin', null]),
        default_branch: r.pick(BRANCHES),
        topics: [],
        archived: (flags[i]! & 4) !== 0,
        disabled: false,
        visibility,
        pushed_at: new Date(pushed).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        created_at: new Date(created).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        updated_at: new Date(pushed).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      }
    },
  }
}
