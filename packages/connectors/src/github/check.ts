import type { CheckResult, ConnectorContext } from '@vulnsync/core'
import { checkFailure } from '../kit/failure.ts'
import { createGithubClient } from './client.ts'
import type { GithubConfig, GithubSecrets } from './config.ts'
import { isInstallationToken, PER_PAGE, startUrl, whatOf } from './read.ts'
import { checkWording, words } from './words.ts'

/** `x-oauth-scopes` of a classic token, or null when GitHub sends none (fine-grained and installation tokens). */
const scopesOf = (header: string | null): string[] | null =>
  header === null
    ? null
    : header
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)

/**
 * GET /user (skipped for `ghs_` tokens; a 403 there means an installation token), then the organisation and one
 * repository of its listing (the `rel="last"` page gives the count), or one repository of the token's listing.
 */
/**
 * With fix pull requests on, what the token lacks to write: a classic token's scopes say it; otherwise the
 * repository listing's `permissions.push` for the token's user (a fine-grained token's own permissions are only
 * known when a write is refused, and the refusal names them).
 */
const writeProblem = (scopes: string[] | null, sample: unknown): string | null => {
  if (scopes && !scopes.includes('repo') && !scopes.includes('public_repo'))
    return `fix pull requests are on, but the token has the scopes ${scopes.join(', ') || 'none'} and not "repo": it cannot write contents or open pull requests; give it "repo" (or "public_repo" for public repositories only), or turn fix pull requests off.`
  const push = (sample as { permissions?: { push?: boolean } } | undefined)?.permissions?.push
  const name = (sample as { full_name?: string } | undefined)?.full_name
  if (push === false)
    return `fix pull requests are on, but the token's user cannot push to ${name ?? 'the repositories'}: give a fine-grained token "Contents: write" and "Pull requests: write", a classic token "repo", or the GitHub App those permissions (and the user write access), or turn fix pull requests off.`
  return null
}

export const check = async (ctx: ConnectorContext<GithubConfig, GithubSecrets>): Promise<CheckResult> => {
  const gh = createGithubClient(ctx, { maxWaits: 2, maxWaitMs: 5_000 })
  const org = ctx.config.org
  const onePage = (listing: 'org' | 'user') => startUrl(listing, org).replace(`per_page=${PER_PAGE}`, 'per_page=1')
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
            message: words.notTheApi(gh.host, res.status),
            hint: words.notTheApiHint(gh.host),
          }
        }
        login = (body as { login?: string })?.login ?? null
        scopes = scopesOf(res.headers.get('x-oauth-scopes'))
      }
    }
    const who = login ? `as ${login}` : installation ? 'with a GitHub App installation token' : ''
    const scopeNote = scopes && !scopes.includes('repo') ? words.noRepoScope : ''
    if (org) {
      const o = await gh.get(`/orgs/${encodeURIComponent(org)}`, `read organisation "${org}"`, [404])
      if (o.status === 404) return { ok: false, code: 'not_found', message: words.noOrganisation(org) }
      const p = await gh.page(onePage('org'), whatOf('org', org))
      const count = p.lastPage ?? p.items.length
      const cannot = ctx.config.fixPullRequests ? writeProblem(scopes, p.items[0]) : null
      if (cannot) return { ok: false, code: 'permission', message: cannot }
      return {
        ok: true,
        message: `Connected to GitHub ${who}: organisation ${org}, ${count} repositories visible.${scopeNote}`,
        details: { login, org, repositories: count, scopes },
      }
    }
    if (installation) {
      const p = await gh.page('/installation/repositories?per_page=1', whatOf('installation'))
      const count = p.totalCount ?? p.lastPage ?? p.items.length
      const cannot = ctx.config.fixPullRequests ? writeProblem(null, p.items[0]) : null
      if (cannot) return { ok: false, code: 'permission', message: cannot }
      return {
        ok: true,
        message: `Connected to GitHub ${who}: ${count} repositories visible to the installation.`,
        details: { installation: true, repositories: count },
      }
    }
    const p = await gh.page(onePage('user'), whatOf('user'))
    const count = p.lastPage ?? p.items.length
    const cannot = ctx.config.fixPullRequests ? writeProblem(scopes, p.items[0]) : null
    if (cannot) return { ok: false, code: 'permission', message: cannot }
    return {
      ok: true,
      message: `Connected to GitHub ${who}: ${count} repositories visible to the token.${scopeNote}`,
      details: { login, repositories: count, scopes },
    }
  } catch (err) {
    return checkFailure(checkWording, err, undefined)
  }
}
