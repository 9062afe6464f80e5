import type { ConnectorContext, Location, ReadEvent, ReadInput } from '@vulnsync/core'
import { withCodeowners } from '../kit/codeowners.ts'
import { repositoryLocation } from '../kit/locations.ts'
import { readPages } from '../kit/paging.ts'
import { recordEvent, selectedRecord } from '../kit/records.ts'
import { createGithubClient, type GithubClient, type GithubPage } from './client.ts'
import { readGithubCodeowners } from './codeowners.ts'
import type { GithubConfig, GithubSecrets } from './config.ts'
import { type GithubRecord, GithubRepo } from './raw.ts'
import { words } from './words.ts'

type Ctx = ConnectorContext<GithubConfig, GithubSecrets>
type Event = ReadEvent<GithubRepo, GithubCursor>

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

export const PER_PAGE = 100
export const isInstallationToken = (token: string) => token.startsWith('ghs_')

export const startUrl = (listing: GithubListing, org?: string): string => {
  if (listing === 'org')
    return `/orgs/${encodeURIComponent(org!)}/repos?per_page=${PER_PAGE}&type=all&sort=created&direction=asc`
  if (listing === 'installation') return `/installation/repositories?per_page=${PER_PAGE}`
  return `/user/repos?per_page=${PER_PAGE}&affiliation=owner,collaborator,organization_member&sort=created&direction=asc`
}

export const whatOf = (listing: GithubListing, org?: string) =>
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
): AsyncGenerator<Event> {
  const fallback = listing === 'user' && pagesBefore === 0
  const outcome = yield* readPages<unknown, string, GithubRepo, GithubCursor, GithubPage>({
    start: from,
    pagesBefore,
    fetch: async (url, first) => {
      const p = await gh.page(url, whatOf(listing, ctx.config.org), first && fallback ? [403, 404] : [])
      return p.res.status === 403 || p.res.status === 404 ? 'refused' : p
    },
    event: (item) => recordEvent(GithubRepo, item, 'a GitHub repository', scope),
    cursor: (next, pages) => cursorOf(next, pages, listing),
    progress: (pages, p) => ({
      pages,
      message: `GitHub: ${pages} page(s) of repositories read`,
      ...(p.lastPage ? { total: p.lastPage * PER_PAGE } : {}),
    }),
    report: ctx.progress,
  })
  if (outcome === 'refused') {
    ctx.logger.info({ listing }, 'github: /user/repos refused, trying /installation/repositories')
    yield* readListing(ctx, gh, 'installation', startUrl('installation'), 0, scope, cursorOf)
  }
}

async function* listAll(ctx: Ctx, gh: GithubClient, cursor: GithubCursor | null): AsyncGenerator<Event> {
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
): AsyncGenerator<Event> {
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
      const gone = `GitHub repository ${id} was not found (HTTP 404): it was deleted, or the token can no longer see it`
      yield selectedRecord(res, GithubRepo, 'a GitHub repository', id, gone)
    }
    // the next selection item starts from scratch
    if (item + 1 < selection.length)
      yield { type: 'checkpoint', cursor: { listing: 'selection', next: null, pages, item: item + 1 } }
  }
}

/**
 * Every repository the configuration names (or the selection), page by page with a checkpoint after each, each with
 * its CODEOWNERS file at the default branch.
 */
export async function* read(
  ctx: Ctx,
  input: ReadInput<GithubCursor>,
): AsyncGenerator<ReadEvent<GithubRecord, GithubCursor>> {
  const gh = createGithubClient(ctx)
  const repos =
    input.selection && input.selection.length > 0
      ? readSelection(ctx, gh, input.selection, input.cursor)
      : listAll(ctx, gh, input.cursor)
  yield* withCodeowners(repos, (repo, budget) => readGithubCodeowners(gh, repo, budget), {
    forbidden: words.codeownersForbidden,
    skip: ctx.config.skipCodeowners,
  })
}

const ORGANISATION = 'every repository of the organisation, including ones created later'

/** The organisation (when configured), then every repository with its target, and each other owning organisation. */
export async function* discover(ctx: Ctx): AsyncGenerator<Location> {
  const gh = createGithubClient(ctx)
  const orgs = new Set<string>()
  if (ctx.config.org) {
    orgs.add(ctx.config.org.toLowerCase())
    yield { id: `org:${ctx.config.org}`, name: ctx.config.org, kind: 'organization', description: ORGANISATION }
  }
  for await (const ev of listAll(ctx, gh, null)) {
    if (ev.type !== 'record') continue
    const r = ev.raw
    const owner = r.owner
    if (owner?.type === 'Organization' && !orgs.has(owner.login.toLowerCase())) {
      orgs.add(owner.login.toLowerCase())
      yield { id: `org:${owner.login}`, name: owner.login, kind: 'organization', description: ORGANISATION }
    }
    yield repositoryLocation({
      provider: 'github',
      id: r.id,
      fullName: r.full_name,
      url: r.html_url,
      archived: r.archived,
      visibility: r.visibility,
      defaultBranch: r.default_branch,
    })
  }
}
