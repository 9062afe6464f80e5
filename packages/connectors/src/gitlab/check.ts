import type { CheckResult, ConnectorContext } from '@vulnsync/core'
import { checkFailure } from '../kit/failure.ts'
import { createGitlabClient, type GitlabPage } from './client.ts'
import { type GitlabConfig, type GitlabSecrets, gitlabInstanceUrl } from './config.ts'
import { enc, type GitlabListing, PER_PAGE, startUrl, whatOf } from './read.ts'
import { checkWording, words } from './words.ts'

/** What one offset page says about the size of a listing (`x-total` is not sent above 10,000). */
const countOf = (p: GitlabPage): string =>
  p.total === null ? (p.next ? 'more than 10,000' : String(p.items.length)) : String(p.total)

/**
 * GET /user, the token's scopes where the instance tells (GitLab 15.5+), then the group and one page of its projects,
 * or one page of the user's projects (`x-total` gives the count).
 */
export const check = async (ctx: ConnectorContext<GitlabConfig, GitlabSecrets>): Promise<CheckResult> => {
  const gl = createGitlabClient(ctx, { maxWaits: 2, maxWaitMs: 5_000 })
  const instance = gitlabInstanceUrl(ctx.config)
  const group = ctx.config.group
  const onePage = (listing: GitlabListing) =>
    gl.page(startUrl(listing, 'offset', group).replace(`per_page=${PER_PAGE}`, 'per_page=1'), whatOf(listing, group))
  try {
    const me = await gl.get('/user', "read the token's user", [404])
    if (me.status === 404)
      return { ok: false, code: 'not_found', message: words.noApi(gl.host, gl.base), hint: words.noApiHint }
    let username: string | null = null
    try {
      username = (me.json() as { username?: string })?.username ?? null
    } catch {
      return {
        ok: false,
        code: 'invalid_config',
        message: words.notTheApi(gl.host, me.status),
        hint: words.instanceHint,
      }
    }
    // token scopes, where the instance tells (GitLab 15.5+); project calls would fail with insufficient_scope anyway
    const self = await gl.get('/personal_access_tokens/self', 'read the token', [401, 403, 404])
    if (self.status === 200) {
      const scopes = ((self.json() as { scopes?: unknown })?.scopes ?? []) as string[]
      if (Array.isArray(scopes) && scopes.length > 0 && !scopes.includes('api') && !scopes.includes('read_api'))
        return { ok: false, code: 'permission', message: words.noReadApi(scopes) }
      if (ctx.config.fixPullRequests && Array.isArray(scopes) && scopes.length > 0 && !scopes.includes('api'))
        return { ok: false, code: 'permission', message: words.noWriteScope(scopes) }
    }
    const who = username ? `as ${username}` : ''
    if (group) {
      const g = await gl.get(`/groups/${enc(group)}`, `read group "${group}"`, [404])
      if (g.status === 404) return { ok: false, code: 'not_found', message: words.noGroup(group, instance) }
      const p = await onePage('group')
      return {
        ok: true,
        message: `Connected to GitLab ${who}: group ${group} (subgroups included), ${countOf(p)} projects visible.`,
        details: { username, group, projects: p.total },
      }
    }
    const p = await onePage('membership')
    return {
      ok: true,
      message: `Connected to GitLab ${who}: ${countOf(p)} projects the user is a member of.`,
      details: { username, projects: p.total },
    }
  } catch (err) {
    return checkFailure(checkWording, err, { instance })
  }
}
