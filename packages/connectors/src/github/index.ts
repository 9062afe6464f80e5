import {
  type CheckResult,
  type ConnectorContext,
  type Location,
  type ReadEvent,
  type ScmConnector,
  UpstreamError,
} from '@vulnsync/core'
import { createGithubClient, type GithubClient } from './client.ts'
import { GithubConfig, GithubSecrets, githubApiBase } from './config.ts'
import { mapGithubRepo } from './map.ts'
import { type GithubRaw, GithubRepo } from './raw.ts'

export { GithubConfig, GithubSecrets } from './config.ts'

type Ctx = ConnectorContext<GithubConfig, GithubSecrets>

/** Which listing a run reads. */
export type GithubListing = 'org' | 'user' | 'installation'

/**
 * Resumable position. `next` is GitHub's own `rel="next"` URL of the page to read next (never built by us);
 * `listing` says which endpoint it belongs to; `item` is the index in `selection` being read when there is one.
 */
export interface GithubCursor {
  listing: GithubListing | 'selection'
  next: string | null
  pages: number
  item?: number
}

const PER_PAGE = 100
const isInstallationToken = (token: string) => token.startsWith('ghs_')

const startUrl = (listing: GithubListing, org?: string): string => {
  if (listing === 'org')
    return `/orgs/${encodeURIComponent(org!)}/repos?per_page=${PER_PAGE}&type=all&sort=created&direction=asc`
  if (listing === 'installation') return `/installation/repositories?per_page=${PER_PAGE}`
  return `/user/repos?per_page=${PER_PAGE}&affiliation=owner,collaborator,organization_member&sort=created&direction=asc`
}

const whatOf = (listing: GithubListing, org?: string) =>
  listing === 'org'
    ? `list the repositories of organisation "${org}"`
    : listing === 'installation'
      ? "list the app installation's repositories"
      : 'list the repositories of the authenticated user'

/**
 * Reads one listing from `from` (a path or a next URL), page by page. Each page: its records, then a checkpoint
 * holding the next URL. A user listing that answers 403/404 on its first page falls back to the installation
 * listing (an app installation token that does not start with ghs_).
 */
async function* readListing(
  ctx: Ctx,
  gh: GithubClient,
  listing: GithubListing,
  from: string,
  pagesBefore: number,
  scope: string | undefined,
  cursorOf: (next: string | null, pages: number, listing: GithubListing) => GithubCursor,
): AsyncGenerator<ReadEvent<GithubRaw, GithubCursor>> {
  let url: string | null = from
  let pages = pagesBefore
  let first = true
  while (url) {
    const fallback = first && listing === 'user' && pagesBefore === 0
    const p = await gh.page(url, whatOf(listing, ctx.config.org), fallback ? [403, 404] : [])
    if (p.res.status === 403 || p.res.status === 404) {
      ctx.logger.info({ status: p.res.status }, 'github: /user/repos refused, trying /installation/repositories')
      yield* readListing(ctx, gh, 'installation', startUrl('installation'), 0, scope, cursorOf)
      return
    }
    first = false
    pages++
    for (const raw of p.items) yield { type: 'record', raw: raw as GithubRaw, ...(scope ? { scope } : {}) }
    ctx.progress({
      pages,
      message: `GitHub: ${pages} page(s) of repositories read`,
      ...(p.lastPage ? { total: p.lastPage * PER_PAGE } : {}),
    })
    url = p.next
    if (url) yield { type: 'checkpoint', cursor: cursorOf(url, pages, listing) }
  }
}

async function* listAll(
  ctx: Ctx,
  gh: GithubClient,
  cursor: GithubCursor | null,
): AsyncGenerator<ReadEvent<GithubRaw, GithubCursor>> {
  const org = ctx.config.org
  const listing: GithubListing = org ? 'org' : isInstallationToken(ctx.secrets.token) ? 'installation' : 'user'
  // resume only a cursor of the same listing whose URL points at the configured API
  const resumable =
    cursor &&
    cursor.listing !== 'selection' &&
    cursor.next &&
    (cursor.listing === listing || (listing === 'user' && cursor.listing === 'installation'))
  const from = resumable ? cursor.next! : startUrl(listing, org)
  const startListing = resumable ? (cursor.listing as GithubListing) : listing
  yield* readListing(
    ctx,
    gh,
    startListing,
    from,
    resumable ? cursor.pages : 0,
    org ? `org:${org}` : undefined,
    (next, pages, l) => ({ listing: l, next, pages }),
  )
}

/** Reads the selected locations: `org:<login>` lists an organisation; a numeric id or `owner/name` is one repository. */
async function* readSelection(
  ctx: Ctx,
  gh: GithubClient,
  selection: string[],
  cursor: GithubCursor | null,
): AsyncGenerator<ReadEvent<GithubRaw, GithubCursor>> {
  const startItem = cursor?.listing === 'selection' ? (cursor.item ?? 0) : 0
  let pages = cursor?.listing === 'selection' ? cursor.pages : 0
  for (let item = startItem; item < selection.length; item++) {
    const id = selection[item]!.trim()
    if (id.startsWith('org:')) {
      const org = id.slice(4)
      const from =
        item === startItem && cursor?.listing === 'selection' && cursor.next ? cursor.next : startUrl('org', org)
      for await (const ev of readListing(ctx, gh, 'org', from, pages, id, (next, p) => ({
        listing: 'selection',
        next,
        pages: p,
        item,
      }))) {
        if (ev.type === 'checkpoint') pages = ev.cursor.pages
        yield ev
      }
    } else {
      const path = /^\d+$/.test(id) ? `/repositories/${id}` : /^[^/\s]+\/[^/\s]+$/.test(id) ? `/repos/${id}` : null
      if (!path) {
        yield {
          type: 'warning',
          code: 'invalid_selection',
          message: `"${id}" is neither a repository id, owner/name nor org:<login>; it was ignored`,
        }
        continue
      }
      const res = await gh.get(path, `read repository ${id}`, [404])
      if (res.status === 404)
        yield {
          type: 'warning',
          code: 'repository_not_found',
          message: `GitHub repository ${id} was not found (HTTP 404): it was deleted, or the token can no longer see it`,
        }
      else yield { type: 'record', raw: res.json() as GithubRaw, scope: id }
    }
    // the next selection item starts from scratch
    if (item + 1 < selection.length)
      yield { type: 'checkpoint', cursor: { listing: 'selection', next: null, pages, item: item + 1 } }
  }
}

/** Turns a failure of a check call into a CheckResult. */
const checkFailure = (err: unknown): CheckResult => {
  if (!(err instanceof UpstreamError))
    return {
      ok: false,
      code: 'vendor_error',
      message: `the check failed unexpectedly: ${(err as Error)?.message ?? String(err)}`,
    }
  switch (err.kind) {
    case 'auth':
      return { ok: false, code: 'auth', message: err.message }
    case 'permission':
      return { ok: false, code: 'permission', message: err.message }
    case 'not_found':
      return { ok: false, code: 'not_found', message: err.message }
    case 'rate_limited':
      return { ok: false, code: 'rate_limited', message: err.message }
    case 'unreachable':
    case 'timeout':
    case 'blocked':
      return {
        ok: false,
        code: 'unreachable',
        message: err.message,
        hint: 'Check the API base URL (github.com: https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3) and that this server can reach it.',
      }
    default:
      return { ok: false, code: 'vendor_error', message: err.message }
  }
}

const check = async (ctx: Ctx): Promise<CheckResult> => {
  const gh = createGithubClient(ctx, { maxWaits: 2, maxWaitMs: 5_000 })
  const org = ctx.config.org
  try {
    let login: string | null = null
    let installation = isInstallationToken(ctx.secrets.token)
    let scopes: string[] | null = null
    if (!installation) {
      const res = await gh.get('/user', 'read the authenticated user', [403, 404])
      if (res.status === 404) throw gh.errorFor(res, 'read the authenticated user (GET /user)')
      if (res.status === 403)
        installation = true // "Resource not accessible by integration": an app installation token
      else {
        let body: unknown
        try {
          body = res.json()
        } catch {
          return {
            ok: false,
            code: 'invalid_config',
            message: `${gh.host} answered with something that is not the GitHub REST API (HTTP ${res.status}, not JSON).`,
            hint: `For GitHub Enterprise Server the API base URL is https://${gh.host}/api/v3.`,
          }
        }
        login = (body as { login?: string })?.login ?? null
        const header = res.headers.get('x-oauth-scopes')
        scopes =
          header === null
            ? null
            : header
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
      }
    }
    const who = login ? `as ${login}` : installation ? 'with a GitHub App installation token' : ''
    const scopeNote =
      scopes && !scopes.includes('repo')
        ? ' Note: the token has no "repo" scope, so private repositories are not listed; add "repo" (and "read:org") to import them.'
        : ''
    if (org) {
      const o = await gh.get(`/orgs/${encodeURIComponent(org)}`, `read organisation "${org}"`, [404])
      if (o.status === 404)
        return {
          ok: false,
          code: 'not_found',
          message: `GitHub organisation "${org}" was not found (HTTP 404): check the organisation login (as in github.com/<org>), and that the token's owner can see it (GitHub answers 404 to tokens that may not).`,
        }
      const p = await gh.page(
        startUrl('org', org).replace(`per_page=${PER_PAGE}`, 'per_page=1'),
        `list the repositories of organisation "${org}"`,
      )
      const count = p.lastPage ?? p.items.length
      return {
        ok: true,
        message: `Connected to GitHub ${who}: organisation ${org}, ${count} repositories visible.${scopeNote}`,
        details: { login, org, repositories: count, scopes },
      }
    }
    if (installation) {
      const p = await gh.page('/installation/repositories?per_page=1', "list the app installation's repositories")
      const count = p.totalCount ?? p.lastPage ?? p.items.length
      return {
        ok: true,
        message: `Connected to GitHub ${who}: ${count} repositories visible to the installation.`,
        details: { installation: true, repositories: count },
      }
    }
    const p = await gh.page(
      startUrl('user').replace(`per_page=${PER_PAGE}`, 'per_page=1'),
      'list the repositories of the authenticated user',
    )
    const count = p.lastPage ?? p.items.length
    return {
      ok: true,
      message: `Connected to GitHub ${who}: ${count} repositories visible to the token.${scopeNote}`,
      details: { login, repositories: count, scopes },
    }
  } catch (err) {
    return checkFailure(err)
  }
}

export const githubConnector: ScmConnector<'github', GithubConfig, GithubSecrets, GithubRaw, GithubCursor> = {
  kind: 'github',
  role: 'scm',
  title: 'GitHub',
  logoLetters: 'GH',
  description:
    'Repository inventory from GitHub.com or GitHub Enterprise Server: an organisation, everything a token can see, or a GitHub App installation.',
  help: 'Create a fine-grained personal access token (Settings → Developer settings → Personal access tokens) with the organisation as resource owner, access to all repositories and the read-only "Metadata" permission; or a classic token with "repo" and "read:org"; or use a GitHub App installation token (Metadata: read). Authorise classic tokens for SAML SSO when the organisation enforces it.',
  configSchema: GithubConfig,
  secretsSchema: GithubSecrets,
  baseUrl: (config) => githubApiBase(config),
  check,
  async *discover(ctx) {
    const gh = createGithubClient(ctx)
    const orgs = new Set<string>()
    if (ctx.config.org) {
      orgs.add(ctx.config.org.toLowerCase())
      yield {
        id: `org:${ctx.config.org}`,
        name: ctx.config.org,
        kind: 'organization',
        description: 'every repository of the organisation, including ones created later',
      } satisfies Location
    }
    for await (const ev of listAll(ctx, gh, null)) {
      if (ev.type !== 'record') continue
      const r = GithubRepo.safeParse(ev.raw)
      if (!r.success) continue
      const owner = r.data.owner
      if (owner?.type === 'Organization' && !orgs.has(owner.login.toLowerCase())) {
        orgs.add(owner.login.toLowerCase())
        yield {
          id: `org:${owner.login}`,
          name: owner.login,
          kind: 'organization',
          description: 'every repository of the organisation, including ones created later',
        }
      }
      yield {
        id: String(r.data.id),
        name: r.data.full_name,
        kind: 'repository',
        ...(r.data.archived ? { description: 'archived' } : {}),
        target: {
          kind: 'repository',
          name: r.data.full_name,
          url: r.data.html_url ?? undefined,
          externalId: { provider: 'github', id: String(r.data.id) },
        },
        meta: {
          archived: r.data.archived ?? false,
          visibility: r.data.visibility ?? null,
          defaultBranch: r.data.default_branch ?? null,
        },
      }
    }
  },
  async *read(ctx, input) {
    const gh = createGithubClient(ctx)
    if (input.selection && input.selection.length > 0) yield* readSelection(ctx, gh, input.selection, input.cursor)
    else yield* listAll(ctx, gh, input.cursor)
  },
  map: (raw) => mapGithubRepo(raw),
}
