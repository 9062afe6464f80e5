/**
 * GitLab REST v4 simulator (project inventory), faithful to shared/upstream/scm.md §4.
 *
 * ```ts
 * const sim = await startGitlabSimulator({
 *   seed: 7,              // deterministic dataset (default 42)
 *   repos: 3000,          // projects, spread over nested groups under `org` (default 1500)
 *   org: 'acme',          // top-level group path (default 'acme'); subgroups like acme/platform/Backend/payments
 *   tokens: {             // token → what it sees (default: gitlabSimTokens(org): the four below)
 *     'glpat-admin': {},                                   // member of everything
 *     'glpat-platform': { groups: ['acme/platform'] },     // member of one subgroup tree only
 *     'glpat-public': { visibilities: ['public'] },
 *     'glpat-readuser': { scopes: ['read_user'] },         // 403 insufficient_scope on project endpoints
 *   },
 *   webBaseUrl: 'https://gitlab.com',  // host of web_url/http_url_to_repo/ssh_url_to_repo
 *   sshPort: 2222,        // ssh_url_to_repo as ssh://git@host:2222/… (default 22: scp-style git@host:…)
 *   rateLimit: 2000,      // RateLimit-Limit per minute (throttle_authenticated_api)
 *   maxOffset: 50000,     // offset pagination refused beyond this many records (400), as GitLab does for projects
 *   groupKeyset: false,   // keyset on /groups/:id/projects (default false: 400, the client must fall back to offset)
 *   faults: {...},        // kit faults plus the GitLab switches below
 * })
 * sim.url  // http://127.0.0.1:PORT  (API under /api/v4)
 * ```
 *
 * Endpoints (all under /api/v4): GET /user, /personal_access_tokens/self, /projects (membership, archived,
 * visibility, order_by, sort, offset and keyset pagination), /groups/:id (numeric or URL-encoded full path),
 * /groups/:id/projects (include_subgroups, with_shared), /projects/:id, /projects/:id/repository/files/:file_path?ref=
 * (the CODEOWNERS files of ./codeowners.ts at the default branch, base64; other files and refs 404); for projects
 * given files with `setFiles`, their files and the write API of fix merge requests (branches, commits with actions,
 * merge requests: write.ts).
 * Offset pages carry link (prev/next/first/last), x-page, x-per-page, x-next-page ('' on the last page), x-prev-page,
 * x-total and x-total-pages (the totals and rel="last" are left out above 10,000 records). Keyset pages
 * (pagination=keyset&order_by=id) carry only `link: <…id_after=N…>; rel="next"` while a page is full; the end is a
 * page without link (possibly empty). Every authenticated answer carries RateLimit-Limit/-Name/-Observed/-Remaining/
 * -Reset. Errors: 401 `{"message":"401 Unauthorized"}`, 404 `{"message":"404 Group Not Found"}` /
 * `{"message":"404 Project Not Found"}`, 403 `{"error":"insufficient_scope",…}`, 429 plain text `Retry later`.
 *
 * GitLab fault switches: `gitlabRateLimitNext: n` the next n requests answer 429 `Retry later` with Retry-After
 * `gitlabRetryAfter` seconds (default 30; `null` sends no Retry-After, only RateLimit-Reset/-ResetTime);
 * `gitlabRemainingZeroNext: n` the next n successful answers say RateLimit-Remaining 0 (reset in
 * `gitlabResetSeconds`, default 20).
 */

import { createHash } from 'node:crypto'
import type { GitRepo, SimPull } from '../kit/git.ts'
import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
import { gitlabCodeowners, type SimFile } from './codeowners.ts'
import { createGitlabDataset, type GitlabVisibility } from './dataset.ts'
import { createGitlabWrites } from './write.ts'

export type { GitlabGroup, GitlabVisibility } from './dataset.ts'

export interface GitlabSimToken {
  username?: string
  /** group full paths the token's user is a member of (their subgroups included); default: the top-level group */
  groups?: string[]
  /** visibilities the token sees (default all) */
  visibilities?: GitlabVisibility[]
  /** token scopes (default ['read_api']); without api/read_api project endpoints answer 403 insufficient_scope */
  scopes?: string[]
  /** the token's user may push branches and open merge requests (Developer role; writes also need the api scope) */
  write?: boolean
}

export interface GitlabSimulatorOptions {
  seed?: number
  repos?: number
  org?: string
  tokens?: Record<string, GitlabSimToken>
  webBaseUrl?: string
  sshPort?: number
  rateLimit?: number
  maxOffset?: number
  groupKeyset?: boolean
  faults?: Faults
  port?: number
}

export interface GitlabSimulator extends Simulator {
  org: string
  /** project ids a token sees through /projects?membership=true, ascending */
  visibleIds(token: string, underGroup?: string): number[]
  project(id: number): Record<string, unknown> | undefined
  /** the CODEOWNERS file of a project (GitLab's dialect, with sections), none for every 6th */
  codeowners(id: number): SimFile[]
  groups: Array<{ id: number; fullPath: string }>
  /** gives a project files on its default branch (the write API then works on it; see write.ts) */
  setFiles(pathWithNamespace: string, files: Record<string, string>): void
  /** the git store of a project with files */
  git(pathWithNamespace: string): GitRepo | undefined
  /** merges an open merge request (its target branch moves to its head) */
  mergeMergeRequest(pathWithNamespace: string, iid: number): SimPull
  /** closes a merge request without merging */
  closeMergeRequest(pathWithNamespace: string, iid: number): SimPull
}

export const gitlabSimTokens = (org: string): Record<string, GitlabSimToken> => ({
  'glpat-admin': { username: 'root-admin' },
  'glpat-platform': { username: 'pat-platform', groups: [`${org}/platform`] },
  'glpat-public': { username: 'pat-public', visibilities: ['public'] },
  'glpat-readuser': { username: 'pat-readuser', scopes: ['read_user'] },
  // a Developer with the api scope: may push branches and open merge requests
  'glpat-developer': { username: 'pat-developer', scopes: ['api'], write: true },
})

const json = (status: number, body: unknown, headers: Record<string, string> = {}): SimResponse => ({
  status,
  headers,
  body,
})

export const startGitlabSimulator = async (opts: GitlabSimulatorOptions = {}): Promise<GitlabSimulator> => {
  const seed = opts.seed ?? 42
  const size = opts.repos ?? 1500
  const org = opts.org ?? 'acme'
  const tokens = opts.tokens ?? gitlabSimTokens(org)
  const limit = opts.rateLimit ?? 2000
  const maxOffset = opts.maxOffset ?? 50_000
  const ds = createGitlabDataset({
    seed,
    projects: size,
    group: org,
    webBaseUrl: opts.webBaseUrl ?? 'https://gitlab.com',
    sshPort: opts.sshPort,
  })
  const groupById = new Map(ds.groups.map((g) => [g.id, g]))
  const groupByPath = new Map(ds.groups.map((g) => [g.fullPath.toLowerCase(), g]))

  const findGroup = (id: string) => (/^\d+$/.test(id) ? groupById.get(Number(id)) : groupByPath.get(id.toLowerCase()))
  const under = (fullPath: string, root: string) => {
    const a = fullPath.toLowerCase()
    const b = root.toLowerCase()
    return a === b || a.startsWith(`${b}/`)
  }

  const codeownersOf = (i: number): SimFile[] => {
    const p = ds.project(i) as { path: string; default_branch: string | null }
    return p.default_branch ? gitlabCodeowners(org, p.path, i) : []
  }
  const tokenOf = (req: SimRequest): string | undefined => {
    const pt = req.headers['private-token']
    if (pt) return String(pt)
    const m = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))
    return m?.[1] ?? req.query.get('private_token') ?? undefined
  }
  const memberOf = (token: string, fullPath: string) => (tokens[token]!.groups ?? [org]).some((g) => under(fullPath, g))
  const hasApiScope = (token: string) =>
    (tokens[token]!.scopes ?? ['read_api']).some((s) => s === 'api' || s === 'read_api')

  const cache = new Map<string, Int32Array>()
  /** indexes a token sees, ascending id, optionally restricted to a group subtree (with subgroups or not) */
  const visible = (token: string, group?: { fullPath: string; subgroups: boolean }): Int32Array => {
    const key = `${token}|${group?.fullPath ?? ''}|${group?.subgroups ?? ''}`
    let v = cache.get(key)
    if (v) return v
    const vis = new Set(tokens[token]!.visibilities ?? ['private', 'internal', 'public'])
    const out: number[] = []
    for (let i = 0; i < ds.size; i++) {
      const g = ds.groupOf(i).fullPath
      if (!memberOf(token, g) || !vis.has(ds.visibility(i))) continue
      if (group && !(group.subgroups ? under(g, group.fullPath) : g.toLowerCase() === group.fullPath.toLowerCase()))
        continue
      out.push(i)
    }
    v = Int32Array.from(out)
    cache.set(key, v)
    return v
  }

  const filtered = (req: SimRequest, idx: Int32Array): ArrayLike<number> => {
    const archived = req.query.get('archived')
    const visibility = req.query.get('visibility')
    if (archived === null && visibility === null) return idx
    return idx.filter(
      (i) =>
        (archived === null || ds.archived(i) === (archived === 'true')) &&
        (visibility === null || ds.visibility(i) === visibility),
    )
  }

  const baseOf = (req: SimRequest) => `http://${req.headers.host ?? '127.0.0.1'}`

  /** a listing page, keyset or offset, with GitLab's headers */
  const list = (req: SimRequest, idx: ArrayLike<number>, keysetAllowed: boolean): SimResponse => {
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 20) || 20))
    const orderBy = req.query.get('order_by') ?? 'created_at'
    const desc = (req.query.get('sort') ?? 'desc') === 'desc'
    const at = (k: number) => (desc ? idx[idx.length - 1 - k]! : idx[k]!)
    const link = (q: URLSearchParams, rel: string) => `<${baseOf(req)}${req.path}?${q.toString()}>; rel="${rel}"`
    if (req.query.get('pagination') === 'keyset') {
      if (!keysetAllowed) return json(400, { error: 'Keyset pagination is not yet available for this type of request' })
      if (orderBy !== 'id') return json(405, { message: '405 Method Not Allowed' })
      const after = req.query.get('id_after')
      const before = req.query.get('id_before')
      const items: Record<string, unknown>[] = []
      // idx is ascending by id; find the first position after/before the key
      let k = 0
      if (!desc && after !== null) while (k < idx.length && ds.idOf(idx[k]!) <= Number(after)) k++
      if (desc) {
        k = 0
        if (before !== null) while (k < idx.length && ds.idOf(at(k)) >= Number(before)) k++
      }
      for (; k < idx.length && items.length < perPage; k++) items.push(ds.project(desc ? at(k) : idx[k]!))
      const headers: Record<string, string> = {}
      if (items.length === perPage) {
        const q = new URLSearchParams(req.query)
        q.delete('id_after')
        q.delete('id_before')
        q.set(desc ? 'id_before' : 'id_after', String((items[items.length - 1] as { id: number }).id))
        headers.link = link(q, 'next')
      }
      return { headers, body: items }
    }
    const pageNo = Math.max(1, Number(req.query.get('page') ?? 1) || 1)
    const total = idx.length
    if ((pageNo - 1) * perPage >= maxOffset && req.path.endsWith('/projects'))
      return json(400, {
        message: `Offset pagination has a maximum allowed offset of ${maxOffset} for requests that return objects of type Project. Remaining records can be retrieved using keyset pagination.`,
      })
    const totalPages = Math.max(1, Math.ceil(total / perPage))
    const items: Record<string, unknown>[] = []
    for (let k = (pageNo - 1) * perPage; k < Math.min(total, pageNo * perPage); k++) items.push(ds.project(at(k)))
    const hideTotals = total > 10_000
    const q = (p: number) => {
      const s = new URLSearchParams(req.query)
      s.set('page', String(p))
      s.set('per_page', String(perPage))
      return s
    }
    const parts: string[] = []
    if (pageNo > 1) parts.push(link(q(pageNo - 1), 'prev'))
    if (pageNo < totalPages) parts.push(link(q(pageNo + 1), 'next'))
    parts.push(link(q(1), 'first'))
    if (!hideTotals) parts.push(link(q(totalPages), 'last'))
    const headers: Record<string, string> = {
      link: parts.join(', '),
      'x-page': String(pageNo),
      'x-per-page': String(perPage),
      'x-next-page': pageNo < totalPages ? String(pageNo + 1) : '',
      'x-prev-page': pageNo > 1 ? String(pageNo - 1) : '',
    }
    if (!hideTotals) {
      headers['x-total'] = String(total)
      headers['x-total-pages'] = String(totalPages)
    }
    return { headers, body: items }
  }

  const scopeDenied = (token: string): SimResponse | undefined =>
    hasApiScope(token)
      ? undefined
      : json(403, {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: 'api read_api',
        })

  const projectIndex = (id: string, token: string) => {
    const i = /^\d+$/.test(id) ? ds.indexOfId(Number(id)) : ds.indexOfPath(id)
    return i < 0 || !visible(token).includes(i) ? -1 : i
  }
  const writes = createGitlabWrites({
    tokenOf: (req) => tokenOf(req)!,
    project: (req, token) => {
      if (scopeDenied(token)) return undefined
      const i = projectIndex(req.params.id!, token)
      if (i < 0) return undefined
      const p = ds.project(i) as { path_with_namespace: string; default_branch: string | null }
      return { path: p.path_with_namespace, defaultBranch: p.default_branch ?? 'main' }
    },
    canWrite: (token) => ({
      scope: (tokens[token]!.scopes ?? ['read_api']).includes('api'),
      role: tokens[token]!.write === true,
    }),
    faults: () => sim.faults,
    webBaseUrl: opts.webBaseUrl ?? 'https://gitlab.com',
  })
  /** `:id` (numeric or URL-encoded path) of a project the token sees: its index, or the answer that refuses it */
  const projectOf = (req: SimRequest): number | SimResponse => {
    const token = tokenOf(req)!
    const denied = scopeDenied(token)
    if (denied) return denied
    const i = projectIndex(req.params.id!, token)
    return i < 0 ? json(404, { message: '404 Project Not Found' }) : i
  }

  // a project given files serves them from its git store; any other serves its CODEOWNERS files (below)
  const filesRoute = writes.routes.find(
    (r) => r.method === 'GET' && r.path === '/api/v4/projects/:id/repository/files/:file',
  )!
  const routes = [
    ...writes.routes.filter((r) => r !== filesRoute),
    {
      method: 'GET',
      path: '/api/v4/user',
      handler: (req: SimRequest): SimResponse => {
        const t = tokens[tokenOf(req)!]!
        return json(200, {
          id: 1,
          username: t.username ?? 'root',
          name: t.username ?? 'root',
          state: 'active',
          web_url: `${opts.webBaseUrl ?? 'https://gitlab.com'}/${t.username ?? 'root'}`,
        })
      },
    },
    {
      method: 'GET',
      path: '/api/v4/personal_access_tokens/self',
      handler: (req: SimRequest): SimResponse => {
        const t = tokens[tokenOf(req)!]!
        return json(200, {
          id: 42,
          name: 'vulnsync',
          revoked: false,
          created_at: '2026-01-01T00:00:00.000Z',
          scopes: t.scopes ?? ['read_api'],
          user_id: 1,
          active: true,
          expires_at: '2027-01-01',
        })
      },
    },
    {
      method: 'GET',
      path: '/api/v4/projects',
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const denied = scopeDenied(token)
        if (denied) return denied
        return list(req, filtered(req, visible(token)), true)
      },
    },
    {
      method: 'GET',
      path: '/api/v4/projects/:id',
      handler: (req: SimRequest): SimResponse => {
        const i = projectOf(req)
        return typeof i === 'number' ? json(200, ds.project(i)) : i
      },
    },
    {
      method: 'GET',
      path: '/api/v4/projects/:id/repository/files/:file',
      handler: (req: SimRequest): SimResponse => {
        const i = projectOf(req)
        if (typeof i !== 'number') return i
        const p = ds.project(i) as { default_branch: string | null; path_with_namespace: string; path: string }
        if (writes.git(p.path_with_namespace)) return filesRoute.handler(req)
        const ref = req.query.get('ref')
        if (!ref) return json(400, { error: 'ref is missing' })
        const file = codeownersOf(i).find((f) => f.path === req.params.file)
        if (!file || ref !== p.default_branch) return json(404, { message: '404 File Not Found' })
        const bytes = Buffer.from(file.content, 'utf8')
        return json(200, {
          file_name: file.path.split('/').pop(),
          file_path: file.path,
          size: bytes.length,
          encoding: 'base64',
          content: bytes.toString('base64'),
          content_sha256: createHash('sha256').update(bytes).digest('hex'),
          ref,
          blob_id: createHash('sha1').update(bytes).digest('hex'),
          commit_id: createHash('sha1').update(`${p.path_with_namespace}@${ref}`).digest('hex'),
          last_commit_id: createHash('sha1').update(`${p.path_with_namespace}@${ref}`).digest('hex'),
          execute_filemode: false,
        })
      },
    },
    {
      method: 'GET',
      path: '/api/v4/groups/:id/projects',
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const denied = scopeDenied(token)
        if (denied) return denied
        const g = findGroup(req.params.id!)
        if (!g || !(memberOf(token, g.fullPath) || (tokens[token]!.groups ?? [org]).some((m) => under(m, g.fullPath))))
          return json(404, { message: '404 Group Not Found' })
        const idx = visible(token, { fullPath: g.fullPath, subgroups: req.query.get('include_subgroups') === 'true' })
        return list(req, filtered(req, idx), opts.groupKeyset ?? false)
      },
    },
    {
      method: 'GET',
      path: '/api/v4/groups/:id',
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const denied = scopeDenied(token)
        if (denied) return denied
        const g = findGroup(req.params.id!)
        if (!g || !(memberOf(token, g.fullPath) || (tokens[token]!.groups ?? [org]).some((m) => under(m, g.fullPath))))
          return json(404, { message: '404 Group Not Found' })
        return json(200, {
          id: g.id,
          name: g.name,
          path: g.path,
          full_path: g.fullPath,
          full_name: g.fullPath.split('/').join(' / '),
          parent_id: g.parentId,
          visibility: 'private',
          web_url: `${opts.webBaseUrl ?? 'https://gitlab.com'}/groups/${g.fullPath}`,
        })
      },
    },
  ]

  // per-token minute window
  const windows = new Map<string, { observed: number; reset: number }>()
  const windowOf = (token: string) => {
    const now = Math.floor(Date.now() / 1000)
    let w = windows.get(token)
    if (!w || w.reset <= now) {
      w = { observed: 0, reset: now - (now % 60) + 60 }
      windows.set(token, w)
    }
    return w
  }
  const rateHeaders = (token: string, remainingOverride?: number, resetOverride?: number): Record<string, string> => {
    const w = windowOf(token)
    return {
      'ratelimit-name': 'throttle_authenticated_api',
      'ratelimit-limit': String(limit),
      'ratelimit-observed': String(w.observed),
      'ratelimit-remaining': String(remainingOverride ?? Math.max(0, limit - w.observed)),
      'ratelimit-reset': String(resetOverride ?? w.reset),
    }
  }
  const tooMany = (token: string, retryAfter: number | null, resetAt: number): SimResponse => {
    const h: Record<string, string> = {
      ...rateHeaders(token, 0, resetAt),
      'ratelimit-resettime': new Date(resetAt * 1000).toUTCString(),
      'content-type': 'text/plain',
    }
    if (retryAfter !== null) h['retry-after'] = String(retryAfter)
    return { status: 429, headers: h, body: 'Retry later\n' }
  }

  let sim: Simulator
  sim = await startSimulator({
    name: 'gitlab',
    port: opts.port,
    faults: opts.faults,
    routes,
    errorBody: (status, message) =>
      status === 429
        ? 'Retry later\n'
        : status === 401
          ? { message: '401 Unauthorized' }
          : status === 404
            ? { message: '404 Not Found' }
            : { message: `${status} ${message}` },
    authenticate: (req) => {
      const token = tokenOf(req)
      if (!token || !tokens[token]) return json(401, { message: '401 Unauthorized' })
      const f = sim.faults
      const now = Math.floor(Date.now() / 1000)
      if (Number(f.gitlabRateLimitNext ?? 0) > 0) {
        f.gitlabRateLimitNext = Number(f.gitlabRateLimitNext) - 1
        const ra = f.gitlabRetryAfter === null ? null : Number(f.gitlabRetryAfter ?? 30)
        return tooMany(token, ra, now + (ra ?? Number(f.gitlabResetSeconds ?? 20)))
      }
      const w = windowOf(token)
      if (w.observed >= limit) return tooMany(token, w.reset - now, w.reset)
      w.observed++
      return undefined
    },
    decorate: (req, res) => {
      const token = tokenOf(req)!
      const f = sim.faults
      let h = rateHeaders(token)
      if ((res.status ?? 200) < 300 && Number(f.gitlabRemainingZeroNext ?? 0) > 0) {
        f.gitlabRemainingZeroNext = Number(f.gitlabRemainingZeroNext) - 1
        h = rateHeaders(token, 0, Math.floor(Date.now() / 1000) + Number(f.gitlabResetSeconds ?? 20))
      }
      res.headers = { ...h, ...(res.headers ?? {}) }
    },
  })
  return Object.assign(sim, {
    org,
    groups: ds.groups.map((g) => ({ id: g.id, fullPath: g.fullPath })),
    visibleIds: (token: string, underGroup?: string) =>
      Array.from(visible(token, underGroup ? { fullPath: underGroup, subgroups: true } : undefined), (i) => ds.idOf(i)),
    project: (id: number) => {
      const i = ds.indexOfId(id)
      return i < 0 ? undefined : ds.project(i)
    },
    setFiles: (path: string, files: Record<string, string>) => {
      const i = ds.indexOfPath(path)
      if (i < 0) throw new Error(`no GitLab project ${path}`)
      const p = ds.project(i) as { path_with_namespace: string; default_branch: string | null }
      writes.setFiles(p.path_with_namespace, p.default_branch ?? 'main', files)
    },
    git: writes.git,
    mergeMergeRequest: writes.merge,
    closeMergeRequest: writes.close,
    codeowners: (id: number) => {
      const i = ds.indexOfId(id)
      return i < 0 ? [] : codeownersOf(i)
    },
  })
}
