import { rngFor } from '../kit/random.ts'

/**
 * A deterministic generated GitLab instance: a top-level group with nested subgroups (up to four levels) and
 * projects spread over them. Project i is generated from (seed, i) alone; one byte per project (visibility,
 * archived) and one byte (group index) are kept so per-token listings can be paged without building objects.
 */
export type GitlabVisibility = 'private' | 'internal' | 'public'

export interface GitlabGroup {
  id: number
  /** last path segment, as in the URL (display case) */
  path: string
  name: string
  /** `acme/platform/backend` */
  fullPath: string
  parentId: number | null
}

export interface GitlabDatasetOptions {
  seed: number
  projects: number
  /** top-level group path, e.g. 'acme' */
  group: string
  /** host of web_url / http_url_to_repo / ssh_url_to_repo, e.g. https://gitlab.com */
  webBaseUrl: string
  /** ssh port when not 22: ssh_url_to_repo becomes ssh://git@host:PORT/path.git */
  sshPort?: number
}

const SUBGROUPS = [
  '',
  'platform',
  'platform/Backend',
  'platform/backend/payments',
  'platform/frontend',
  'data',
  'data/ml/models',
  'mobile',
  'mobile/ios',
  'security/tools',
]
const NAMES = [
  'api',
  'service',
  'web',
  'worker',
  'cli',
  'sdk',
  'infra',
  'gateway',
  'ledger',
  'search',
  'auth',
  'billing',
]
const BRANCHES = ['main', 'main', 'main', 'master', 'develop']
const VIS: GitlabVisibility[] = ['private', 'internal', 'public']

export const GROUP_ID_BASE = 9_000

export interface GitlabDataset {
  size: number
  groups: GitlabGroup[]
  idOf(i: number): number
  indexOfId(id: number): number
  indexOfPath(path: string): number
  groupOf(i: number): GitlabGroup
  visibility(i: number): GitlabVisibility
  archived(i: number): boolean
  project(i: number): Record<string, unknown>
}

const ID_BASE = 27_000_000
const ID_STEP = 13

export const createGitlabDataset = (o: GitlabDatasetOptions): GitlabDataset => {
  const groups: GitlabGroup[] = []
  const byPath = new Map<string, GitlabGroup>()
  for (const sub of SUBGROUPS) {
    const parts = sub ? sub.split('/') : []
    let full = o.group
    let parent: GitlabGroup | undefined = byPath.get(o.group.toLowerCase())
    if (!parent) {
      parent = {
        id: GROUP_ID_BASE,
        path: o.group,
        name: o.group.replace(/^./, (c) => c.toUpperCase()),
        fullPath: o.group,
        parentId: null,
      }
      groups.push(parent)
      byPath.set(o.group.toLowerCase(), parent)
    }
    for (const p of parts) {
      full = `${full}/${p}`
      let g = byPath.get(full.toLowerCase())
      if (!g) {
        g = {
          id: GROUP_ID_BASE + groups.length,
          path: p,
          name: p.replace(/^./, (c) => c.toUpperCase()),
          fullPath: full,
          parentId: parent.id,
        }
        groups.push(g)
        byPath.set(full.toLowerCase(), g)
      }
      parent = g
      full = g.fullPath
    }
  }
  const leafGroups = SUBGROUPS.map((s) => byPath.get((s ? `${o.group}/${s}` : o.group).toLowerCase())!)
  const flags = new Uint8Array(o.projects)
  const groupIdx = new Uint8Array(o.projects)
  for (let i = 0; i < o.projects; i++) {
    const r = rngFor(o.seed, i)
    const v = r.next()
    flags[i] = (v < 0.6 ? 0 : v < 0.85 ? 1 : 2) | ((r.next() < 0.07 ? 1 : 0) << 2)
    groupIdx[i] = Math.floor(r.next() * leafGroups.length)
  }
  const web = o.webBaseUrl.replace(/\/+$/, '')
  const webHost = new URL(web).hostname
  const pathOf = (i: number): string => {
    const r = rngFor(o.seed ^ 0x6a11, i)
    const base = `${r.pick(NAMES)}-${i}`
    return r.chance(0.1) ? base.replace(/^./, (c) => c.toUpperCase()) : base
  }
  const groupOf = (i: number) => leafGroups[groupIdx[i]!]!
  return {
    size: o.projects,
    groups,
    idOf: (i) => ID_BASE + i * ID_STEP,
    indexOfId: (id) => {
      const i = (id - ID_BASE) / ID_STEP
      return Number.isInteger(i) && i >= 0 && i < o.projects ? i : -1
    },
    indexOfPath: (full) => {
      const m = /-(\d+)$/.exec(full)
      if (!m) return -1
      const i = Number(m[1])
      return i < o.projects && `${groupOf(i).fullPath}/${pathOf(i)}`.toLowerCase() === full.toLowerCase() ? i : -1
    },
    groupOf,
    visibility: (i) => VIS[flags[i]! & 3]!,
    archived: (i) => (flags[i]! & 4) !== 0,
    project: (i) => {
      const r = rngFor(o.seed ^ 0xface, i)
      const g = groupOf(i)
      const path = pathOf(i)
      const full = `${g.fullPath}/${path}`
      const created = new Date(Date.UTC(2016, 0, 1) + i * 3_600_000 * 5).toISOString()
      const empty = r.chance(0.03)
      const ssh =
        o.sshPort && o.sshPort !== 22 ? `ssh://git@${webHost}:${o.sshPort}/${full}.git` : `git@${webHost}:${full}.git`
      return {
        id: ID_BASE + i * ID_STEP,
        description: r.chance(0.4) ? null : `The ${path} project`,
        name: path.replace(/-/g, ' '),
        name_with_namespace: `${g.fullPath.split('/').join(' / ')} / ${path.replace(/-/g, ' ')}`,
        path,
        path_with_namespace: full,
        created_at: created,
        updated_at: created,
        default_branch: empty ? null : r.pick(BRANCHES),
        tag_list: [],
        topics: [],
        ssh_url_to_repo: ssh,
        http_url_to_repo: `${web}/${full}.git`,
        web_url: `${web}/${full}`,
        readme_url: empty ? null : `${web}/${full}/-/blob/main/README.md`,
        forks_count: r.int(0, 5),
        star_count: r.int(0, 50),
        last_activity_at: created,
        empty_repo: empty,
        archived: (flags[i]! & 4) !== 0,
        visibility: VIS[flags[i]! & 3]!,
        namespace: {
          id: g.id,
          name: g.name,
          path: g.path,
          kind: 'group',
          full_path: g.fullPath,
          parent_id: g.parentId,
          web_url: `${web}/groups/${g.fullPath}`,
        },
      }
    },
  }
}
