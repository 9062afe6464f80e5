import type { ConnectorContext, Location, ReadEvent, ReadInput } from '@vulnsync/core'
import { withCodeowners } from '../kit/codeowners.ts'
import { repositoryLocation } from '../kit/locations.ts'
import { readPages } from '../kit/paging.ts'
import { recordEvent, selectedRecord } from '../kit/records.ts'
import { createGitlabClient, type GitlabClient, type GitlabPage } from './client.ts'
import { readGitlabCodeowners } from './codeowners.ts'
import type { GitlabConfig, GitlabSecrets } from './config.ts'
import { GitlabProject, type GitlabRecord } from './raw.ts'
import { words } from './words.ts'

type Ctx = ConnectorContext<GitlabConfig, GitlabSecrets>
type Event = ReadEvent<GitlabProject, GitlabCursor>
type Paging = 'keyset' | 'offset'

export type GitlabListing = 'membership' | 'group'

/**
 * Resumable position: `next` is GitLab's own next-page URL (keyset `id_after=` or offset `page=`), `mode` which
 * pagination it uses; `item` the index in `selection` when there is one.
 */
export interface GitlabCursor {
  listing: GitlabListing | 'selection'
  mode: Paging
  next: string | null
  pages: number
  item?: number
}

export const PER_PAGE = 100
export const enc = (idOrPath: string) => encodeURIComponent(idOrPath)

export const startUrl = (listing: GitlabListing, mode: Paging, group?: string): string => {
  const paging =
    mode === 'keyset'
      ? `pagination=keyset&order_by=id&sort=asc&per_page=${PER_PAGE}`
      : `order_by=id&sort=asc&per_page=${PER_PAGE}&page=1`
  if (listing === 'group') return `/groups/${enc(group!)}/projects?include_subgroups=true&with_shared=false&${paging}`
  return `/projects?membership=true&${paging}`
}

export const whatOf = (listing: GitlabListing, group?: string) =>
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
  resume: { next: string; mode: Paging; pages: number } | null,
  scope: string | undefined,
  cursorOf: (next: string, mode: Paging, pages: number) => GitlabCursor,
): AsyncGenerator<Event> {
  let mode = resume?.mode ?? 'keyset'
  const what = whatOf(listing, group)
  yield* readPages<unknown, string, GitlabProject, GitlabCursor, GitlabPage>({
    start: resume?.next ?? startUrl(listing, mode, group),
    pagesBefore: resume?.pages ?? 0,
    fetch: async (url, first) => {
      if (!(first && !resume && mode === 'keyset')) return gl.page(url, what)
      const p = await gl.page(url, what, [400, 405])
      if (p.res.status !== 400 && p.res.status !== 405) return p
      ctx.logger.info({ status: p.res.status }, 'gitlab: keyset pagination refused, falling back to offset pagination')
      mode = 'offset'
      return gl.page(startUrl(listing, mode, group), what)
    },
    event: (item) => recordEvent(GitlabProject, item, 'a GitLab project', scope),
    cursor: (next, pages) => cursorOf(next, mode, pages),
    progress: (pages, p) => ({
      pages,
      message: `GitLab: ${pages} page(s) of projects read`,
      ...(p.total !== null ? { total: p.total } : {}),
    }),
    report: ctx.progress,
  })
}

async function* listAll(ctx: Ctx, gl: GitlabClient, cursor: GitlabCursor | null): AsyncGenerator<Event> {
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
): AsyncGenerator<Event> {
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
      const gone = `GitLab project ${id} was not found (HTTP 404): it was deleted, or the token can no longer see it`
      yield selectedRecord(res, GitlabProject, 'a GitLab project', id, gone)
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

/** Every project the configuration names (or the selection), page by page with a checkpoint after each. */
export async function* read(
  ctx: Ctx,
  input: ReadInput<GitlabCursor>,
): AsyncGenerator<ReadEvent<GitlabRecord, GitlabCursor>> {
  const gl = createGitlabClient(ctx)
  const projects =
    input.selection && input.selection.length > 0
      ? readSelection(ctx, gl, input.selection, input.cursor)
      : listAll(ctx, gl, input.cursor)
  // each project with its CODEOWNERS file at the default branch
  yield* withCodeowners(projects, (p, budget) => readGitlabCodeowners(gl, p, budget), {
    forbidden: words.codeownersForbidden,
    skip: ctx.config.skipCodeowners,
  })
}

/** The group (when configured), then every project with its target, and each other group the first time it appears. */
export async function* discover(ctx: Ctx): AsyncGenerator<Location> {
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
    const p = ev.raw
    const ns = p.namespace
    if (ns?.kind === 'group' && ns.full_path && !seen.has(ns.full_path.toLowerCase())) {
      seen.add(ns.full_path.toLowerCase())
      yield {
        id: `group:${ns.full_path}`,
        name: ns.full_path,
        kind: 'namespace',
        description: 'every project of the group and its subgroups',
      }
    }
    yield repositoryLocation({
      provider: 'gitlab',
      id: p.id,
      fullName: p.path_with_namespace,
      url: p.web_url,
      archived: p.archived,
      visibility: p.visibility,
      defaultBranch: p.default_branch,
    })
  }
}
