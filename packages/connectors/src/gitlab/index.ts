import {
  type CheckResult,
  type ConnectorContext,
  type ReadEvent,
  type ScmConnector,
  UpstreamError,
} from '@vulnsync/core'
import { createGitlabClient, type GitlabClient } from './client.ts'
import { GitlabConfig, GitlabSecrets, gitlabApiBase, gitlabInstanceUrl } from './config.ts'
import { mapGitlabProject } from './map.ts'
import { GitlabProject, type GitlabRaw } from './raw.ts'

export { GitlabConfig, GitlabSecrets } from './config.ts'

type Ctx = ConnectorContext<GitlabConfig, GitlabSecrets>

export type GitlabListing = 'membership' | 'group'

/**
 * Resumable position: `next` is GitLab's own next-page URL (keyset `id_after=` or offset `page=`), `mode` which
 * pagination it uses; `item` the index in `selection` when there is one.
 */
export interface GitlabCursor {
  listing: GitlabListing | 'selection'
  mode: 'keyset' | 'offset'
  next: string | null
  pages: number
  item?: number
}

const PER_PAGE = 100
const enc = (idOrPath: string) => encodeURIComponent(idOrPath)

const startUrl = (listing: GitlabListing, mode: 'keyset' | 'offset', group?: string): string => {
  const paging =
    mode === 'keyset'
      ? `pagination=keyset&order_by=id&sort=asc&per_page=${PER_PAGE}`
      : `order_by=id&sort=asc&per_page=${PER_PAGE}&page=1`
  if (listing === 'group') return `/groups/${enc(group!)}/projects?include_subgroups=true&with_shared=false&${paging}`
  return `/projects?membership=true&${paging}`
}

const whatOf = (listing: GitlabListing, group?: string) =>
  listing === 'group' ? `list the projects of group "${group}"` : "list the projects of the token's user"

/**
 * Reads one listing, page by page (records, then a checkpoint with the next URL). Keyset pagination first; a
 * 400/405 to the first keyset page (keyset not offered for this request or instance) falls back to offset paging.
 */
async function* readListing(
  ctx: Ctx,
  gl: GitlabClient,
  listing: GitlabListing,
  group: string | undefined,
  resume: { next: string; mode: 'keyset' | 'offset'; pages: number } | null,
  scope: string | undefined,
  cursorOf: (next: string, mode: 'keyset' | 'offset', pages: number) => GitlabCursor,
): AsyncGenerator<ReadEvent<GitlabRaw, GitlabCursor>> {
  let mode = resume?.mode ?? 'keyset'
  let url: string | null = resume?.next ?? startUrl(listing, mode, group)
  let pages = resume?.pages ?? 0
  let first = !resume
  while (url) {
    const p = await gl.page(url, whatOf(listing, group), first && mode === 'keyset' ? [400, 405] : [])
    if (p.res.status === 400 || p.res.status === 405) {
      ctx.logger.info({ status: p.res.status }, 'gitlab: keyset pagination refused, falling back to offset pagination')
      mode = 'offset'
      url = startUrl(listing, mode, group)
      first = false
      continue
    }
    first = false
    pages++
    for (const raw of p.items) yield { type: 'record', raw: raw as GitlabRaw, ...(scope ? { scope } : {}) }
    ctx.progress({
      pages,
      message: `GitLab: ${pages} page(s) of projects read`,
      ...(p.total !== null ? { total: p.total } : {}),
    })
    url = p.next
    if (url) yield { type: 'checkpoint', cursor: cursorOf(url, mode, pages) }
  }
}

async function* listAll(
  ctx: Ctx,
  gl: GitlabClient,
  cursor: GitlabCursor | null,
): AsyncGenerator<ReadEvent<GitlabRaw, GitlabCursor>> {
  const group = ctx.config.group
  const listing: GitlabListing = group ? 'group' : 'membership'
  const resume =
    cursor && cursor.listing === listing && cursor.next
      ? { next: cursor.next, mode: cursor.mode, pages: cursor.pages }
      : null
  yield* readListing(ctx, gl, listing, group, resume, group ? `group:${group}` : undefined, (next, mode, pages) => ({
    listing,
    mode,
    next,
    pages,
  }))
}

/** Selection ids: `group:<full path or id>` lists a group with subgroups; a numeric id or a full path is one project. */
async function* readSelection(
  ctx: Ctx,
  gl: GitlabClient,
  selection: string[],
  cursor: GitlabCursor | null,
): AsyncGenerator<ReadEvent<GitlabRaw, GitlabCursor>> {
  const resuming = cursor?.listing === 'selection'
  const startItem = resuming ? (cursor.item ?? 0) : 0
  let pages = resuming ? cursor.pages : 0
  for (let item = startItem; item < selection.length; item++) {
    const id = selection[item]!.trim()
    if (id.startsWith('group:')) {
      const group = id.slice('group:'.length)
      const resume =
        item === startItem && resuming && cursor.next ? { next: cursor.next, mode: cursor.mode, pages } : null
      for await (const ev of readListing(ctx, gl, 'group', group, resume, id, (next, mode, p) => ({
        listing: 'selection',
        mode,
        next,
        pages: p,
        item,
      }))) {
        if (ev.type === 'checkpoint') pages = ev.cursor.pages
        yield ev
      }
    } else if (/^\d+$/.test(id) || /^[^\s/]+(\/[^\s/]+)+$/.test(id)) {
      const res = await gl.get(`/projects/${enc(id)}`, `read project ${id}`, [404])
      if (res.status === 404)
        yield {
          type: 'warning',
          code: 'repository_not_found',
          message: `GitLab project ${id} was not found (HTTP 404): it was deleted, or the token can no longer see it`,
        }
      else yield { type: 'record', raw: res.json() as GitlabRaw, scope: id }
    } else {
      yield {
        type: 'warning',
        code: 'invalid_selection',
        message: `"${id}" is neither a project id, a project path nor group:<path>; it was ignored`,
      }
    }
    if (item + 1 < selection.length)
      yield { type: 'checkpoint', cursor: { listing: 'selection', mode: 'keyset', next: null, pages, item: item + 1 } }
  }
}

const checkFailure = (err: unknown, instance: string): CheckResult => {
  if (!(err instanceof UpstreamError))
    return {
      ok: false,
      code: 'vendor_error',
      message: `the check failed unexpectedly: ${(err as Error)?.message ?? String(err)}`,
    }
  switch (err.kind) {
    case 'auth':
    case 'permission':
    case 'not_found':
    case 'rate_limited':
      return { ok: false, code: err.kind, message: err.message }
    case 'unreachable':
    case 'timeout':
    case 'blocked':
      return {
        ok: false,
        code: 'unreachable',
        message: err.message,
        hint: `Check the GitLab URL (${instance}; gitlab.com: https://gitlab.com; self-managed: https://HOST) and that this server can reach it.`,
      }
    default:
      return { ok: false, code: 'vendor_error', message: err.message }
  }
}

const check = async (ctx: Ctx): Promise<CheckResult> => {
  const gl = createGitlabClient(ctx, { maxWaits: 2, maxWaitMs: 5_000 })
  const instance = gitlabInstanceUrl(ctx.config)
  const group = ctx.config.group
  try {
    const me = await gl.get('/user', "read the token's user", [404])
    if (me.status === 404)
      return {
        ok: false,
        code: 'not_found',
        message: `${gl.host} has no GitLab API at ${gl.base} (GET /user answered HTTP 404).`,
        hint: 'Give the address of the GitLab instance itself, e.g. https://gitlab.example.com, without /api/v4 or a group path.',
      }
    let username: string | null = null
    try {
      username = (me.json() as { username?: string })?.username ?? null
    } catch {
      return {
        ok: false,
        code: 'invalid_config',
        message: `${gl.host} answered with something that is not the GitLab REST API (GET /api/v4/user, HTTP ${me.status}, not JSON).`,
        hint: 'Give the address of the GitLab instance itself, e.g. https://gitlab.example.com.',
      }
    }
    // token scopes, where the instance tells (GitLab 15.5+); project calls would fail with insufficient_scope anyway
    const self = await gl.get('/personal_access_tokens/self', 'read the token', [401, 403, 404])
    if (self.status === 200) {
      const scopes = ((self.json() as { scopes?: unknown })?.scopes ?? []) as string[]
      if (Array.isArray(scopes) && scopes.length > 0 && !scopes.includes('api') && !scopes.includes('read_api'))
        return {
          ok: false,
          code: 'permission',
          message: `the token has the scopes ${scopes.join(', ')} but not read_api, which listing projects needs: create a token with the read_api scope.`,
        }
    }
    const who = username ? `as ${username}` : ''
    if (group) {
      const g = await gl.get(`/groups/${enc(group)}`, `read group "${group}"`, [404])
      if (g.status === 404)
        return {
          ok: false,
          code: 'not_found',
          message: `GitLab group "${group}" was not found (HTTP 404): check its full path as in the URL (${instance}/<group>/<subgroup>) or its numeric id, and that the token's user is a member of it.`,
        }
      const p = await gl.page(
        startUrl('group', 'offset', group).replace(`per_page=${PER_PAGE}`, 'per_page=1'),
        whatOf('group', group),
      )
      const count = p.total === null ? (p.next ? 'more than 10,000' : String(p.items.length)) : String(p.total)
      return {
        ok: true,
        message: `Connected to GitLab ${who}: group ${group} (subgroups included), ${count} projects visible.`,
        details: { username, group, projects: p.total },
      }
    }
    const p = await gl.page(
      startUrl('membership', 'offset').replace(`per_page=${PER_PAGE}`, 'per_page=1'),
      whatOf('membership'),
    )
    const count = p.total === null ? (p.next ? 'more than 10,000' : String(p.items.length)) : String(p.total)
    return {
      ok: true,
      message: `Connected to GitLab ${who}: ${count} projects the user is a member of.`,
      details: { username, projects: p.total },
    }
  } catch (err) {
    return checkFailure(err, instance)
  }
}

export const gitlabConnector: ScmConnector<'gitlab', GitlabConfig, GitlabSecrets, GitlabRaw, GitlabCursor> = {
  kind: 'gitlab',
  role: 'scm',
  title: 'GitLab',
  logoLetters: 'GL',
  description:
    "Project inventory from gitlab.com or a self-managed GitLab: a group with its subgroups, or every project the token's user is a member of.",
  help: "Create a personal, group or project access token with the read_api scope (GitLab → Preferences → Access tokens; for a group token: the group's Settings → Access tokens, role Reporter or higher). Give the group's full path to limit the import to it.",
  configSchema: GitlabConfig,
  secretsSchema: GitlabSecrets,
  baseUrl: (config) => gitlabApiBase(config),
  check,
  async *discover(ctx) {
    const gl = createGitlabClient(ctx)
    const seen = new Set<string>()
    if (ctx.config.group) {
      seen.add(ctx.config.group.toLowerCase())
      yield {
        id: `group:${ctx.config.group}`,
        name: ctx.config.group,
        kind: 'namespace',
        description: 'every project of the group and its subgroups, including ones created later',
      }
    }
    for await (const ev of listAll(ctx, gl, null)) {
      if (ev.type !== 'record') continue
      const r = GitlabProject.safeParse(ev.raw)
      if (!r.success) continue
      const ns = r.data.namespace
      if (ns?.kind === 'group' && ns.full_path && !seen.has(ns.full_path.toLowerCase())) {
        seen.add(ns.full_path.toLowerCase())
        yield {
          id: `group:${ns.full_path}`,
          name: ns.full_path,
          kind: 'namespace',
          description: 'every project of the group and its subgroups',
        }
      }
      yield {
        id: String(r.data.id),
        name: r.data.path_with_namespace,
        kind: 'repository',
        ...(r.data.archived ? { description: 'archived' } : {}),
        target: {
          kind: 'repository',
          name: r.data.path_with_namespace,
          url: r.data.web_url ?? undefined,
          externalId: { provider: 'gitlab', id: String(r.data.id) },
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
    const gl = createGitlabClient(ctx)
    if (input.selection && input.selection.length > 0) yield* readSelection(ctx, gl, input.selection, input.cursor)
    else yield* listAll(ctx, gl, input.cursor)
  },
  map: (raw) => mapGitlabProject(raw),
}
