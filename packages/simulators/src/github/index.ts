/**
 * GitHub REST simulator (repository inventory), faithful to shared/upstream/scm.md §1.
 *
 * ```ts
 * const sim = await startGithubSimulator({
 *   seed: 7,               // deterministic dataset (default 42)
 *   repos: 2500,           // organisation repositories, generated lazily per page (default 1200)
 *   org: 'Acme-Corp',      // organisation login in display case; lookups ignore case (default 'Acme-Corp')
 *   tokens: {              // token → what it is and what it may see (default: githubSimTokens(repos), below)
 *     ghp_admin: { type: 'user', scopes: ['repo', 'read:org'] },
 *     ghp_public: { type: 'user', visibilities: ['public'], scopes: ['public_repo'] },
 *     ghs_install: { type: 'installation', repoIds: [...] },
 *   },
 *   webBaseUrl: 'https://github.com',  // host of html_url/clone_url/ssh_url (default https://github.com)
 *   ghes: false,           // true: routes under /api/v3 and no x-ratelimit-* headers (rate limits off, as on GHES)
 *   rateLimit: 5000,       // primary budget per token per hour (x-ratelimit-limit)
 *   faults: {...},         // kit faults plus the GitHub switches below
 * })
 * sim.url        // http://127.0.0.1:PORT  (the API base is sim.apiUrl: sim.url or sim.url + '/api/v3')
 * ```
 *
 * Default tokens (githubSimTokens): `ghp_admin` (classic, repo + read:org, sees everything), `ghp_public` (classic,
 * public_repo, sees public repositories only), `github_pat_metadata` (fine-grained with Metadata but not Contents: sees
 * everything, CODEOWNERS answer 403), `github_pat_restricted` (fine-grained, 403 "Resource not accessible by
 * personal access token" on org endpoints), `ghp_sso` (403 with X-GitHub-SSO), `ghp_outsider` (the org answers 404),
 * `ghs_installation` (installation token with every 5th repository selected). Any other token: 401.
 *
 * Endpoints: GET /orgs/:org/repos, /user/repos, /installation/repositories (object wrapper), /user, /orgs/:org,
 * /repos/:owner/:repo, /repositories/:id, /rate_limit, and /repos/:owner/:repo/contents/:path (the CODEOWNERS files of
 * ./codeowners.ts, base64 as GitHub sends them; other paths 404; 403 for a token with `contentsForbidden`). `per_page` (default 30, capped at 100) and `page`, with a real
 * `link` header (next/last/first/prev; omitted when everything fits on one page). Tokens in `Authorization: Bearer`
 * or `token`; unknown → 401 `{"message":"Bad credentials",...}`; no User-Agent → 403; unknown
 * `X-GitHub-Api-Version` → 410.
 *
 * GitHub fault switches (sim.setFaults or POST /__sim/faults):
 * - `primaryLimitNext: n` next n requests answer the primary limit: `primaryStatus` (403 default, or 429),
 *   `x-ratelimit-remaining: 0`, `x-ratelimit-reset` = now + `primaryResetSeconds` (default 60).
 * - `primaryRemainingZeroNext: n` next n successful responses carry remaining 0 and a reset
 *   `primaryResetSeconds` ahead (a client should pause before its next call).
 * - `secondaryLimitNext: n` next n requests answer a secondary limit: `secondaryStatus` (403 default, or 429),
 *   `retry-after: secondaryRetryAfter` when that is a number, no retry-after at all when it is null/absent
 *   (the client must wait a minute), remaining stays > 0.
 */

import { GitRepo, gitBlobSha, type SimPull } from '../kit/git.ts'
import {
  type Faults,
  type SimRequest,
  type SimResponse,
  type Simulator,
  startSimulator,
  takeFault,
} from '../kit/server.ts'
import { githubCodeowners } from './codeowners.ts'
import { createGithubDataset, type GithubVisibility } from './dataset.ts'

export type { GithubVisibility } from './dataset.ts'

export interface GithubSimToken {
  /** 'user' (classic or fine-grained PAT, OAuth) or 'installation' (GitHub App installation token, `ghs_…`) */
  type?: 'user' | 'installation'
  login?: string
  /** visibilities of the organisation's repositories the token can see (default: all three) */
  visibilities?: GithubVisibility[]
  /** only these repository ids (an installation with selected repositories, a fine-grained PAT) */
  repoIds?: number[]
  /** classic PAT scopes, sent as `x-oauth-scopes`; absent for fine-grained and installation tokens */
  scopes?: string[]
  /** organisation endpoints answer 403 "Resource not accessible by personal access token" */
  orgForbidden?: boolean
  /** organisation endpoints answer 403 with `X-GitHub-SSO: required; url=…` (SAML SSO not authorised) */
  ssoRequired?: boolean
  /** the token is not allowed to see the organisation at all (404, like a private org) */
  orgHidden?: boolean
  /** the token may write contents and pull requests (default false: writes answer 403) */
  write?: boolean
  /** repository contents answer 403 (a fine-grained token without the Contents permission) */
  contentsForbidden?: boolean
}

export interface GithubSimulatorOptions {
  seed?: number
  repos?: number
  org?: string
  tokens?: Record<string, GithubSimToken>
  webBaseUrl?: string
  ghes?: boolean
  rateLimit?: number
  faults?: Faults
  port?: number
}

export interface GithubSimulator extends Simulator {
  /** the API base a connector should use (`sim.url`, or `sim.url/api/v3` in GHES mode) */
  apiUrl: string
  org: string
  /** all repository ids a token can see, in creation order */
  visibleIds(token: string): number[]
  repo(id: number): Record<string, unknown> | undefined
  /** gives a repository files on its default branch (the write API then works on it) */
  setFiles(fullName: string, files: Record<string, string>): void
  /** the git store of a repository with files */
  git(fullName: string): GitRepo | undefined
  /** merges an open pull request (the default branch moves to its head) */
  mergePullRequest(fullName: string, number: number): SimPull
  /** closes a pull request without merging */
  closePullRequest(fullName: string, number: number): SimPull
  /** the CODEOWNERS files of a repository (the first of GitHub's locations is the one GitHub uses) */
  codeowners(id: number): { path: string; content: string }[]
}

/** every 5th repository is selected for the default installation token */
const everyFifth = (n: number): number[] => Array.from({ length: Math.ceil(n / 5) }, (_, k) => 410_000_000 + k * 5 * 37)

export const githubSimTokens = (repos: number): Record<string, GithubSimToken> => ({
  ghp_admin: { type: 'user', login: 'octo-admin', scopes: ['repo', 'read:org'], write: true },
  ghp_public: { type: 'user', login: 'octo-public', visibilities: ['public'], scopes: ['public_repo'] },
  github_pat_restricted: { type: 'user', login: 'octo-fine', orgForbidden: true },
  github_pat_metadata: { type: 'user', login: 'octo-meta', contentsForbidden: true },
  ghp_sso: { type: 'user', login: 'octo-sso', ssoRequired: true, scopes: ['repo'] },
  ghp_outsider: { type: 'user', login: 'octo-outsider', orgHidden: true, scopes: ['repo'] },
  ghs_installation: { type: 'installation', repoIds: everyFifth(repos), write: true },
  // fine-grained, read-only: sees everything, may write nothing
  github_pat_readonly: { type: 'user', login: 'octo-reader' },
})

const DOCS = 'https://docs.github.com/rest'
const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'
const SUPPORTED_VERSIONS = new Set(['2022-11-28', '2026-03-10'])

const err = (
  status: number,
  message: string,
  documentation_url = DOCS,
  headers: Record<string, string> = {},
): SimResponse => ({
  status,
  headers,
  body: { message, documentation_url, status: String(status) },
})

export const startGithubSimulator = async (opts: GithubSimulatorOptions = {}): Promise<GithubSimulator> => {
  const seed = opts.seed ?? 42
  const size = opts.repos ?? 1200
  const org = opts.org ?? 'Acme-Corp'
  const orgId = 6_811_672
  const ghes = opts.ghes ?? false
  const prefix = ghes ? '/api/v3' : ''
  const tokens = opts.tokens ?? githubSimTokens(size)
  const limit = opts.rateLimit ?? 5000
  const webBaseUrl = opts.webBaseUrl ?? 'https://github.com'
  let apiBase = 'http://127.0.0.1'
  const ds = createGithubDataset({ seed, repos: size, org, orgId, webBaseUrl, apiBaseUrl: apiBase })

  // per-token primary budget
  const budgets = new Map<string, { used: number; reset: number }>()
  const budget = (token: string) => {
    const now = Math.floor(Date.now() / 1000)
    let b = budgets.get(token)
    if (!b || b.reset <= now) {
      b = { used: 0, reset: now + 3600 }
      budgets.set(token, b)
    }
    return b
  }

  // per-token visible index lists, computed once (4 bytes per visible repository)
  const visibleCache = new Map<string, Int32Array>()
  const visible = (token: string): Int32Array => {
    let v = visibleCache.get(token)
    if (v) return v
    const t = tokens[token]!
    const vis = new Set(t.visibilities ?? ['public', 'private', 'internal'])
    const ids = t.repoIds ? new Set(t.repoIds) : null
    const out: number[] = []
    for (let i = 0; i < ds.size; i++) {
      if (!vis.has(ds.visibility(i))) continue
      if (ids && !ids.has(ds.idOf(i))) continue
      out.push(i)
    }
    v = Int32Array.from(out)
    visibleCache.set(token, v)
    return v
  }
  const canSee = (token: string, i: number): boolean => {
    const v = visible(token)
    let lo = 0
    let hi = v.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (v[mid] === i) return true
      if (v[mid]! < i) lo = mid + 1
      else hi = mid - 1
    }
    return false
  }

  const tokenOf = (req: SimRequest): string | undefined => {
    const auth = String(req.headers.authorization ?? '')
    const m = /^(?:bearer|token)\s+(.+)$/i.exec(auth)
    return m?.[1]?.trim()
  }

  const baseOf = (req: SimRequest) => `http://${req.headers.host ?? '127.0.0.1'}`

  /** one page of index list `idx` with GitHub's link header */
  const page = (
    req: SimRequest,
    idx: ArrayLike<number>,
    unsorted = false,
  ): { items: Record<string, unknown>[]; headers: Record<string, string> } => {
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30))
    const pageNo = Math.max(1, Number(req.query.get('page') ?? 1) || 1)
    const sort = req.query.get('sort') ?? 'created'
    const direction = unsorted ? 'asc' : (req.query.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc'))
    const total = idx.length
    const lastPage = Math.max(1, Math.ceil(total / perPage))
    const items: Record<string, unknown>[] = []
    const api = `${baseOf(req)}${prefix}`
    for (let k = (pageNo - 1) * perPage; k < Math.min(total, pageNo * perPage); k++) {
      const pos = direction === 'asc' ? k : total - 1 - k
      items.push(withPermissions(ds.repo(idx[pos]!, api), tokenOf(req)))
    }
    const headers: Record<string, string> = {}
    if (lastPage > 1) {
      const link = (p: number, rel: string) => {
        const q = new URLSearchParams(req.query)
        q.set('per_page', String(perPage))
        q.set('page', String(p))
        return `<${baseOf(req)}${req.path}?${q.toString()}>; rel="${rel}"`
      }
      const parts: string[] = []
      if (pageNo > 1) parts.push(link(pageNo - 1, 'prev'))
      if (pageNo < lastPage) parts.push(link(pageNo + 1, 'next'))
      parts.push(link(lastPage, 'last'))
      if (pageNo > 1) parts.push(link(1, 'first'))
      headers.link = parts.join(', ')
    }
    return { items, headers }
  }

  const withPermissions = (repo: Record<string, unknown>, token: string | undefined) => {
    const write = token ? tokens[token]?.write === true : false
    return { ...repo, permissions: { admin: false, maintain: false, push: write, triage: true, pull: true } }
  }

  // ------------------------------------------------------------ the write API (repositories with files)
  const gits = new Map<string, GitRepo>()
  const DOCS_GIT = 'https://docs.github.com/rest/git'
  const gitOf = (req: SimRequest): { git?: GitRepo; denied?: SimResponse } => {
    const token = tokenOf(req)!
    const i =
      req.params.owner!.toLowerCase() === org.toLowerCase()
        ? ds.indexOfName(req.params.repo!.replace(/\.git$/, ''))
        : -1
    const git = gits.get(`${req.params.owner}/${req.params.repo}`.toLowerCase())
    if (i < 0 || !canSee(token, i) || !git) return { denied: err(404, 'Not Found', DOCS_GIT) }
    return { git }
  }
  const writeGate = (req: SimRequest): SimResponse | undefined => {
    const token = tokenOf(req)!
    if (sim.faults.writeForbiddenNext && Number(sim.faults.writeForbiddenNext) > 0) {
      sim.faults.writeForbiddenNext = Number(sim.faults.writeForbiddenNext) - 1
      return err(403, 'Resource not accessible by integration', DOCS_GIT, {
        'x-accepted-github-permissions': 'contents=write',
      })
    }
    if (!tokens[token]?.write)
      return err(403, 'Resource not accessible by personal access token', DOCS_GIT, {
        'x-accepted-github-permissions': req.path.includes('/pulls') ? 'pull_requests=write' : 'contents=write',
      })
    return undefined
  }
  const fault = (name: string) => takeFault(sim.faults, name)
  const pullJson = (req: SimRequest, git: GitRepo, p: SimPull) => {
    const web = `${webBaseUrl}/${git.fullName}`
    return {
      url: `${baseOf(req)}${prefix}/repos/${git.fullName}/pulls/${p.number}`,
      number: p.number,
      html_url: `${web}/pull/${p.number}`,
      state: p.state,
      title: p.title,
      body: p.body,
      draft: false,
      merged: p.merged_at !== null,
      merged_at: p.merged_at,
      closed_at: p.closed_at,
      merge_commit_sha: p.merge_commit_sha,
      created_at: p.created_at,
      updated_at: p.updated_at,
      head: { ref: p.head, sha: git.refs.get(p.head) ?? null, label: `${org}:${p.head}` },
      base: { ref: p.base, sha: git.refs.get(p.base) ?? null, label: `${org}:${p.base}` },
      mergeable: p.state === 'open' ? true : null,
    }
  }
  const refJson = (req: SimRequest, git: GitRepo, branch: string) => ({
    ref: `refs/heads/${branch}`,
    url: `${baseOf(req)}${prefix}/repos/${git.fullName}/git/refs/heads/${branch}`,
    object: { type: 'commit', sha: git.refs.get(branch)! },
  })
  /** GET contents of a repository without a git store: its CODEOWNERS files (codeowners.ts), other paths 404 */
  const codeownersContent = (req: SimRequest): SimResponse => {
    const token = tokenOf(req)!
    const docs = 'https://docs.github.com/rest/repos/contents#get-repository-content'
    const i =
      req.params.owner!.toLowerCase() === org.toLowerCase()
        ? ds.indexOfName(req.params.repo!.replace(/\.git$/, ''))
        : -1
    if (i < 0 || !canSee(token, i)) return err(404, 'Not Found', docs)
    if (tokens[token]!.contentsForbidden) return err(403, 'Resource not accessible by personal access token', docs)
    const path = req.params['*']!.replace(/^\/+/, '')
    const file = githubCodeowners(org, ds.name(i), i).find((f) => f.path === path)
    if (!file) return err(404, 'Not Found', docs)
    const bytes = Buffer.from(file.content, 'utf8')
    const full = `${org}/${ds.name(i)}`
    return {
      body: {
        type: 'file',
        encoding: 'base64',
        size: bytes.length,
        name: path.split('/').pop(),
        path,
        sha: `${(i * 2654435761).toString(16).padStart(8, '0')}`.repeat(5).slice(0, 40),
        // GitHub wraps the base64 at 60 characters
        content: `${bytes.toString('base64').replace(/.{60}/g, '$&\n')}\n`,
        url: `${baseOf(req)}${prefix}/repos/${full}/contents/${path}`,
        html_url: `${webBaseUrl}/${full}/blob/main/${path}`,
        download_url: `https://raw.githubusercontent.com/${full}/main/${path}`,
      },
    }
  }
  const gitRoutes = [
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo/contents/*`,
      handler: (req: SimRequest): SimResponse => {
        const { git } = gitOf(req)
        if (!git) return codeownersContent(req)
        const ref = req.query.get('ref') ?? git.defaultBranch
        const path = req.params['*']!
        const content = git.file(path, ref)
        if (content === undefined)
          return err(404, 'Not Found', 'https://docs.github.com/rest/repos/contents#get-repository-content')
        return {
          body: {
            type: 'file',
            encoding: 'base64',
            size: Buffer.byteLength(content),
            name: path.split('/').pop(),
            path,
            content: Buffer.from(content, 'utf8')
              .toString('base64')
              .replace(/(.{60})/g, '$1\n'),
            sha: git.blob(content),
          },
        }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo/git/ref/heads/*`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const branch = req.params['*']!
        if (!git.refs.has(branch)) return err(404, 'Not Found', 'https://docs.github.com/rest/git/refs#get-a-reference')
        return { body: refJson(req, git, branch) }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo/git/commits/:sha`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const c = git.commits.get(req.params.sha!)
        if (!c) return err(404, 'Not Found', DOCS_GIT)
        return {
          body: {
            sha: req.params.sha,
            tree: { sha: c.tree },
            parents: c.parents.map((sha) => ({ sha })),
            message: c.message,
          },
        }
      },
    },
    {
      method: 'POST',
      path: `${prefix}/repos/:owner/:repo/git/blobs`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const b = req.body ?? {}
        if (typeof b.content !== 'string') return err(422, 'Invalid request.\n\n"content" wasn\'t supplied.', DOCS_GIT)
        const content = b.encoding === 'base64' ? Buffer.from(b.content, 'base64').toString('utf8') : b.content
        return { status: 201, body: { sha: git.blob(content), url: '' } }
      },
    },
    {
      method: 'POST',
      path: `${prefix}/repos/:owner/:repo/git/trees`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const b = req.body ?? {}
        // without base_tree every other file is deleted, as on GitHub
        const entries = new Map(b.base_tree ? (git.trees.get(b.base_tree) ?? []) : [])
        if (b.base_tree && !git.trees.has(b.base_tree)) return err(422, 'Invalid tree info', DOCS_GIT)
        for (const e of Array.isArray(b.tree) ? b.tree : []) {
          if (e.sha === null) entries.delete(e.path)
          else if (typeof e.content === 'string') entries.set(e.path, git.blob(e.content))
          else if (git.blobs.has(e.sha)) entries.set(e.path, e.sha)
          else return err(422, `Invalid tree info: unknown blob ${e.sha}`, DOCS_GIT)
        }
        return { status: 201, body: { sha: git.tree(entries) } }
      },
    },
    {
      method: 'POST',
      path: `${prefix}/repos/:owner/:repo/git/commits`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const b = req.body ?? {}
        if (!git.trees.has(b.tree)) return err(422, 'Tree SHA does not exist', DOCS_GIT)
        const parents: string[] = Array.isArray(b.parents) ? b.parents : []
        if (parents.some((p) => !git.commits.has(p)))
          return err(422, 'Parent SHA does not exist or is not a commit object', DOCS_GIT)
        return { status: 201, body: { sha: git.commit({ tree: b.tree, parents, message: String(b.message ?? '') }) } }
      },
    },
    {
      method: 'POST',
      path: `${prefix}/repos/:owner/:repo/git/refs`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const ref = String(req.body?.ref ?? '')
        const m = /^refs\/heads\/(.+)$/.exec(ref)
        if (!m) return err(422, "Reference name must start with 'refs/' and have at least two slashes.", DOCS_GIT)
        // fault: someone else made the branch just now
        if (fault('branchExistsNext') && !git.refs.has(m[1]!)) git.refs.set(m[1]!, git.refs.get(git.defaultBranch)!)
        if (git.refs.has(m[1]!)) return err(422, 'Reference already exists', DOCS_GIT)
        if (!git.commits.has(req.body?.sha)) return err(422, 'Object does not exist', DOCS_GIT)
        git.refs.set(m[1]!, req.body.sha)
        return { status: 201, body: refJson(req, git, m[1]!) }
      },
    },
    {
      method: 'PATCH',
      path: `${prefix}/repos/:owner/:repo/git/refs/heads/*`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const branch = req.params['*']!
        if (!git.refs.has(branch)) return err(422, 'Reference does not exist', DOCS_GIT)
        const sha = req.body?.sha
        if (!git.commits.has(sha)) return err(422, 'Object does not exist', DOCS_GIT)
        // a stale base (the branch moved under the caller), or a non-forced move that is not a fast-forward
        const fastForward = git.commits.get(sha)!.parents.includes(git.refs.get(branch)!)
        if (fault('staleShaNext') || (!req.body?.force && !fastForward))
          return err(422, 'Update is not a fast forward', DOCS_GIT)
        git.refs.set(branch, sha)
        return { body: refJson(req, git, branch) }
      },
    },
    {
      method: 'PUT',
      path: `${prefix}/repos/:owner/:repo/contents/*`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const path = req.params['*']!
        const branch = String(req.body?.branch ?? git.defaultBranch)
        const head = git.refs.get(branch)
        if (!head) return err(404, `Branch ${branch} not found`, DOCS_GIT)
        const current = git.file(path, branch)
        const sha = req.body?.sha
        if (current !== undefined && sha !== gitBlobSha(current))
          return err(409, `${path} does not match ${sha ?? 'the missing sha'}`, DOCS_GIT)
        const files = git.files(branch)!
        const entries = new Map([...files].map(([p, c]) => [p, git.blob(c)]))
        entries.set(path, git.blob(Buffer.from(String(req.body?.content ?? ''), 'base64').toString('utf8')))
        const commit = git.commit({
          tree: git.tree(entries),
          parents: [head],
          message: String(req.body?.message ?? ''),
        })
        git.refs.set(branch, commit)
        return {
          status: current === undefined ? 201 : 200,
          body: { content: { path, sha: entries.get(path) }, commit: { sha: commit } },
        }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo/pulls`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const state = req.query.get('state') ?? 'open'
        const head = req.query.get('head')
        const list = git.pulls.filter(
          (p) =>
            (state === 'all' || p.state === state) &&
            (!head || `${org}:${p.head}`.toLowerCase() === head.toLowerCase()),
        )
        return { body: list.map((p) => pullJson(req, git, p)) }
      },
    },
    {
      method: 'POST',
      path: `${prefix}/repos/:owner/:repo/pulls`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const b = req.body ?? {}
        const head = String(b.head ?? '').replace(/^[^:]+:/, '')
        const validation = (message: string) => ({
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'PullRequest', code: 'custom', message }],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
            status: '422',
          },
        })
        if (!git.refs.has(head) || !git.refs.has(b.base)) return validation(`head or base invalid`)
        if (git.refs.get(head) === git.refs.get(b.base)) return validation(`No commits between ${b.base} and ${head}`)
        const open = git.pulls.find((p) => p.state === 'open' && p.head === head && p.base === b.base)
        if (open) return validation(`A pull request already exists for ${org}:${head}.`)
        const pull = git.openPull({
          title: String(b.title ?? ''),
          body: String(b.body ?? ''),
          head,
          base: String(b.base),
        })
        // fault: another client opened it at the same moment
        if (fault('pullExistsNext')) return validation(`A pull request already exists for ${org}:${head}.`)
        return { status: 201, body: pullJson(req, git, pull) }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo/pulls/:number`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const p = git.pulls.find((x) => x.number === Number(req.params.number))
        return p ? { body: pullJson(req, git, p) } : err(404, 'Not Found', DOCS_GIT)
      },
    },
    {
      method: 'PATCH',
      path: `${prefix}/repos/:owner/:repo/pulls/:number`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const w = writeGate(req)
        if (w) return w
        const p = git.pulls.find((x) => x.number === Number(req.params.number))
        if (!p) return err(404, 'Not Found', DOCS_GIT)
        if (typeof req.body?.title === 'string') p.title = req.body.title
        if (typeof req.body?.body === 'string') p.body = req.body.body
        p.updated_at = new Date().toISOString()
        return { body: pullJson(req, git, p) }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo/pulls/:number/merge`,
      handler: (req: SimRequest): SimResponse => {
        const { git, denied } = gitOf(req)
        if (!git) return denied!
        const p = git.pulls.find((x) => x.number === Number(req.params.number))
        return p?.merged_at
          ? { status: 204 }
          : { status: 404, body: { message: 'Not Found', documentation_url: DOCS_GIT } }
      },
    },
  ]

  const orgGate = (req: SimRequest, token: string, docs: string): SimResponse | undefined => {
    const t = tokens[token]!
    if (req.params.org!.toLowerCase() !== org.toLowerCase() || t.orgHidden) return err(404, 'Not Found', docs)
    if (t.ssoRequired)
      return err(
        403,
        'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
        'https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/',
        {
          'x-github-sso': `required; url=https://github.com/orgs/${org}/sso?authorization_request=A5OZ7SIM`,
        },
      )
    if (t.orgForbidden)
      return err(403, 'Resource not accessible by personal access token', docs, {
        'x-accepted-github-permissions': 'metadata=read',
      })
    return undefined
  }

  const filterVisibility = (req: SimRequest, idx: Int32Array): ArrayLike<number> => {
    const type = req.query.get('type') ?? req.query.get('visibility') ?? 'all'
    if (type !== 'public' && type !== 'private') return idx
    return idx.filter((i) => (type === 'public' ? ds.visibility(i) === 'public' : ds.visibility(i) !== 'public'))
  }

  const routes = [
    ...gitRoutes,
    {
      method: 'GET',
      path: `${prefix}/orgs/:org/repos`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const denied = orgGate(req, token, 'https://docs.github.com/rest/repos/repos#list-organization-repositories')
        if (denied) return denied
        const { items, headers } = page(req, filterVisibility(req, visible(token)))
        return { headers, body: items }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/orgs/:org`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        if (req.params.org!.toLowerCase() !== org.toLowerCase() || tokens[token]!.orgHidden)
          return err(404, 'Not Found', 'https://docs.github.com/rest/orgs/orgs#get-an-organization')
        return {
          body: {
            login: org,
            id: orgId,
            node_id: `O_kgDO${orgId}`,
            url: `${baseOf(req)}${prefix}/orgs/${org}`,
            repos_url: `${baseOf(req)}${prefix}/orgs/${org}/repos`,
            description: null,
            type: 'Organization',
            html_url: `${webBaseUrl}/${org}`,
          },
        }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/user/repos`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        if (tokens[token]!.type === 'installation')
          return err(
            403,
            'Resource not accessible by integration',
            'https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user',
          )
        const t = tokens[token]!
        if (t.orgHidden || t.orgForbidden || t.ssoRequired) return { body: [] } // org repositories left out (SSO: partial results)
        const { items, headers } = page(req, filterVisibility(req, visible(token)))
        return { headers, body: items }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/installation/repositories`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const t = tokens[token]!
        if (t.type !== 'installation')
          return err(
            403,
            'You must authenticate with an installation access token in order to list repositories for an installation.',
            'https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation',
          )
        const idx = visible(token)
        const { items, headers } = page(req, idx, true)
        return {
          headers,
          body: { total_count: idx.length, repository_selection: t.repoIds ? 'selected' : 'all', repositories: items },
        }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/user`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const t = tokens[token]!
        if (t.type === 'installation')
          return err(
            403,
            'Resource not accessible by integration',
            'https://docs.github.com/rest/users/users#get-the-authenticated-user',
          )
        return {
          body: {
            login: t.login ?? 'octocat',
            id: 1,
            node_id: 'MDQ6VXNlcjE=',
            type: 'User',
            site_admin: false,
            name: t.login ?? 'octocat',
          },
        }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repos/:owner/:repo`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const i =
          req.params.owner!.toLowerCase() === org.toLowerCase()
            ? ds.indexOfName(req.params.repo!.replace(/\.git$/, ''))
            : -1
        if (i < 0 || !canSee(token, i))
          return err(404, 'Not Found', 'https://docs.github.com/rest/repos/repos#get-a-repository')
        return { body: withPermissions(ds.repo(i, `${baseOf(req)}${prefix}`), token) }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/repositories/:id`,
      handler: (req: SimRequest): SimResponse => {
        const token = tokenOf(req)!
        const i = ds.indexOfId(Number(req.params.id))
        if (i < 0 || !canSee(token, i))
          return err(404, 'Not Found', 'https://docs.github.com/rest/repos/repos#get-a-repository')
        return { body: ds.repo(i, `${baseOf(req)}${prefix}`) }
      },
    },
    {
      method: 'GET',
      path: `${prefix}/rate_limit`,
      handler: (req: SimRequest): SimResponse => {
        const b = budget(tokenOf(req)!)
        const core = { limit, used: b.used, remaining: Math.max(0, limit - b.used), reset: b.reset }
        return { body: { resources: { core }, rate: core } }
      },
    },
  ]

  const rateHeaders = (token: string, override?: { remaining: number; reset: number }): Record<string, string> => {
    if (ghes) return {}
    const b = budget(token)
    const remaining = override?.remaining ?? Math.max(0, limit - b.used)
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(limit - remaining),
      'x-ratelimit-reset': String(override?.reset ?? b.reset),
      'x-ratelimit-resource': 'core',
    }
  }

  let sim: Simulator
  let requestId = 0
  const commonHeaders = (token: string | undefined): Record<string, string> => {
    const h: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `SIM:${(++requestId).toString(16).toUpperCase()}`,
    }
    const t = token ? tokens[token] : undefined
    if (t?.scopes) {
      h['x-oauth-scopes'] = t.scopes.join(', ')
      h['x-accepted-oauth-scopes'] = 'repo'
    }
    return h
  }

  sim = await startSimulator({
    name: 'github',
    port: opts.port,
    faults: opts.faults,
    routes,
    errorBody: (status, message) =>
      status === 429
        ? {
            message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: `${RATE_DOCS}#about-secondary-rate-limits`,
          }
        : status === 401
          ? { message: 'Bad credentials', documentation_url: DOCS, status: '401' }
          : status === 404
            ? { message: 'Not Found', documentation_url: DOCS, status: '404' }
            : { message, documentation_url: DOCS, status: String(status) },
    authenticate: (req) => {
      const f = sim.faults
      if (!req.headers['user-agent'])
        return err(
          403,
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.',
        )
      const version = req.headers['x-github-api-version']
      if (version && !SUPPORTED_VERSIONS.has(String(version)))
        return err(
          410,
          `The API version ${version} is not supported.`,
          'https://docs.github.com/rest/about-the-rest-api/api-versions',
        )
      const token = tokenOf(req)
      if (!token || !tokens[token]) return err(401, 'Bad credentials', DOCS, commonHeaders(undefined))
      const now = Math.floor(Date.now() / 1000)
      if (Number(f.primaryLimitNext ?? 0) > 0) {
        f.primaryLimitNext = Number(f.primaryLimitNext) - 1
        const reset = now + Number(f.primaryResetSeconds ?? 60)
        return err(Number(f.primaryStatus ?? 403), 'API rate limit exceeded for user ID 1234.', RATE_DOCS, {
          ...commonHeaders(token),
          ...rateHeaders(token, { remaining: 0, reset }),
        })
      }
      if (Number(f.secondaryLimitNext ?? 0) > 0) {
        f.secondaryLimitNext = Number(f.secondaryLimitNext) - 1
        const h = { ...commonHeaders(token), ...rateHeaders(token) }
        if (typeof f.secondaryRetryAfter === 'number') h['retry-after'] = String(f.secondaryRetryAfter)
        return err(
          Number(f.secondaryStatus ?? 403),
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID SIM:1.',
          `${RATE_DOCS}#about-secondary-rate-limits`,
          h,
        )
      }
      const b = budget(token)
      if (!ghes && b.used >= limit)
        return err(403, 'API rate limit exceeded for user ID 1234.', RATE_DOCS, {
          ...commonHeaders(token),
          ...rateHeaders(token),
        })
      b.used++
      return undefined
    },
    decorate: (req, res) => {
      const token = tokenOf(req)!
      const f = sim.faults
      let override: { remaining: number; reset: number } | undefined
      if ((res.status ?? 200) < 300 && Number(f.primaryRemainingZeroNext ?? 0) > 0) {
        f.primaryRemainingZeroNext = Number(f.primaryRemainingZeroNext) - 1
        override = { remaining: 0, reset: Math.floor(Date.now() / 1000) + Number(f.primaryResetSeconds ?? 60) }
      }
      res.headers = { ...commonHeaders(token), ...rateHeaders(token, override), ...(res.headers ?? {}) }
    },
  })
  apiBase = `${sim.url}${prefix}`
  return Object.assign(sim, {
    apiUrl: apiBase,
    org,
    visibleIds: (token: string) => Array.from(visible(token), (i) => ds.idOf(i)),
    repo: (id: number) => {
      const i = ds.indexOfId(id)
      return i < 0 ? undefined : ds.repo(i, apiBase)
    },
    setFiles: (fullName: string, files: Record<string, string>) => {
      const i = ds.indexOfName(fullName.split('/')[1] ?? '')
      if (i < 0) throw new Error(`no repository ${fullName} in the simulator`)
      const repo = ds.repo(i, apiBase) as { full_name: string; default_branch: string }
      gits.set(repo.full_name.toLowerCase(), new GitRepo(repo.full_name, repo.default_branch, files))
    },
    git: (fullName: string) => gits.get(fullName.toLowerCase()),
    mergePullRequest: (fullName: string, number: number) => {
      const g = gits.get(fullName.toLowerCase())
      if (!g) throw new Error(`${fullName} has no files in the simulator`)
      return g.merge(number)
    },
    closePullRequest: (fullName: string, number: number) => {
      const g = gits.get(fullName.toLowerCase())
      if (!g) throw new Error(`${fullName} has no files in the simulator`)
      return g.close(number)
    },
    codeowners: (id: number) => {
      const i = ds.indexOfId(id)
      return i < 0 ? [] : githubCodeowners(org, ds.name(i), i)
    },
  })
}
