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
import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
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
  /** the CODEOWNERS files of a repository (the first of GitHub's locations is the one GitHub uses) */
  codeowners(id: number): { path: string; content: string }[]
}

/** every 5th repository is selected for the default installation token */
const everyFifth = (n: number): number[] => Array.from({ length: Math.ceil(n / 5) }, (_, k) => 410_000_000 + k * 5 * 37)

export const githubSimTokens = (repos: number): Record<string, GithubSimToken> => ({
  ghp_admin: { type: 'user', login: 'octo-admin', scopes: ['repo', 'read:org'] },
  ghp_public: { type: 'user', login: 'octo-public', visibilities: ['public'], scopes: ['public_repo'] },
  github_pat_restricted: { type: 'user', login: 'octo-fine', orgForbidden: true },
  github_pat_metadata: { type: 'user', login: 'octo-meta', contentsForbidden: true },
  ghp_sso: { type: 'user', login: 'octo-sso', ssoRequired: true, scopes: ['repo'] },
  ghp_outsider: { type: 'user', login: 'octo-outsider', orgHidden: true, scopes: ['repo'] },
  ghs_installation: { type: 'installation', repoIds: everyFifth(repos) },
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
      items.push(ds.repo(idx[pos]!, api))
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
        return { body: ds.repo(i, `${baseOf(req)}${prefix}`) }
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
      path: `${prefix}/repos/:owner/:repo/contents/*`,
      handler: (req: SimRequest): SimResponse => {
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
    codeowners: (id: number) => {
      const i = ds.indexOfId(id)
      return i < 0 ? [] : githubCodeowners(org, ds.name(i), i)
    },
  })
}
