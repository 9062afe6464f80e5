import { type ConnectorContext, type Location, type ReadEvent, type ReadInput, UpstreamError } from '@vulnsync/core'
import { offsetPages } from '../kit/paging.ts'
import { validateRecord } from '../kit/records.ts'
import { createOxClient, type OxClient, type OxClientOptions } from './client.ts'
import { type OxConfig, type OxSecrets, oxBaseUrl, oxUiBase } from './config.ts'
import { oxRepository, oxScopeOf } from './map.ts'
import { GET_APPLICATIONS_QUERY, GET_SINGLE_ISSUE_QUERY, getIssuesQuery, LIST_MODES, type ListMode } from './queries.ts'
import {
  OX_CATEGORIES,
  OxApplication,
  OxApplicationsPage,
  OxGraphQLError,
  OxIssue,
  OxIssuesPage,
  type OxRaw,
} from './raw.ts'
import { words } from './words.ts'

/** Where a read stands: the next offset, the page size and the list selection OX accepted. */
export interface OxCursor {
  offset: number
  limit: number
  mode: ListMode
}

/** Issues per getIssues page. OX documents no maximum; its own examples use 1,000 (and 10,000). */
export const OX_PAGE_SIZE = 1000
const MIN_PAGE_SIZE = 100
const APPS_PAGE_SIZE = 1000

type Ctx = ConnectorContext<OxConfig, OxSecrets>

/** Options the tests (and a future tuning screen) can change; the connector uses the defaults. */
export const oxTuning: { pageSize: number; client: OxClientOptions } = { pageSize: OX_PAGE_SIZE, client: {} }

export const hostOf = (ctx: Ctx): string => {
  try {
    return new URL(oxBaseUrl(ctx.config)).host
  } catch {
    return 'OX Security'
  }
}

/** Every application the key sees (getApplications, offset paging with OX's offset quirk). */
async function* listApplications(client: OxClient, ctx: Ctx): AsyncGenerator<OxApplication> {
  const pages = offsetPages({
    limit: APPS_PAGE_SIZE,
    maxPages: 10_000,
    fetch: async (offset, limit) => {
      const data = await client.graphql<{ getApplications?: unknown }>('GetApplications', GET_APPLICATIONS_QUERY, {
        getApplicationsInput: { offset, limit },
      })
      const parsed = OxApplicationsPage.safeParse(data.getApplications)
      if (!parsed.success)
        throw new UpstreamError({
          kind: 'bad_response',
          host: hostOf(ctx),
          message: words.unexpectedShape('getApplications'),
        })
      // OX answers offset = request offset + limit even past the end: the pager moves by what came back
      const total = typeof parsed.data.total === 'number' ? parsed.data.total : undefined
      return { items: parsed.data.applications ?? [], total }
    },
  })
  for await (const page of pages)
    for (const a of page.items) {
      const app = OxApplication.safeParse(a)
      if (app.success) yield app.data
      else ctx.logger.warn({ app: a }, 'skipping an OX application without appId')
    }
}

/** getIssues input: the two categories and the selected applications, oldest first so new issues land at the end. */
const issuesInput = (cursor: OxCursor, selection: string[] | null) => {
  const conditionalFilters: Record<string, unknown>[] = [
    { condition: 'OR', fieldName: 'categories', values: [OX_CATEGORIES.openSource, OX_CATEGORIES.container] },
  ]
  if (selection) conditionalFilters.push({ condition: 'OR', fieldName: 'appIds', values: selection })
  return {
    getIssuesInput: {
      offset: cursor.offset,
      limit: cursor.limit,
      sort: { fields: ['OpenDate'], order: ['ASC'] },
      conditionalFilters,
    },
  }
}

const shrinkable = (err: unknown): boolean =>
  err instanceof UpstreamError &&
  (err.kind === 'timeout' || err.kind === 'server' || (err.kind === 'client' && err.status === 413))

/** Every application as a location (not the org-level pseudo-apps), with the repository it stands for. */
export async function* discover(ctx: Ctx): AsyncGenerator<Location> {
  const client = createOxClient(ctx, oxTuning.client)
  for await (const app of listApplications(client, ctx)) {
    if (app.fakeApp) continue // org-level pseudo-apps such as "*GitHub-Settings (org)"
    const target = oxRepository(undefined, app)
    yield {
      id: app.appId,
      name: app.appName ?? app.appId,
      kind: 'repository',
      description: [app.type, app.link].filter(Boolean).join(' · ') || undefined,
      target,
      meta: {
        type: app.type ?? undefined,
        link: app.link ?? undefined,
        businessPriority: app.businessPriority ?? undefined,
      },
    }
  }
}

/**
 * The applications (their link is the repository of every issue), then every issue of the two categories page by
 * page, oldest first, with a checkpoint after each page; a page that fails is retried smaller, a selection OX rejects
 * steps down to a smaller one.
 */
export async function* read(ctx: Ctx, input: ReadInput<OxCursor>): AsyncGenerator<ReadEvent<OxRaw, OxCursor>> {
  const client = createOxClient(ctx, oxTuning.client)
  const uiBase = oxUiBase(ctx.config)
  const selection = input.selection?.length ? new Set(input.selection) : null

  // the applications first: their link is the repository of every issue (one request per 1,000 apps)
  const apps = new Map<string, OxApplication>()
  for await (const app of listApplications(client, ctx)) apps.set(app.appId, app)

  let cursor: OxCursor = input.cursor
    ? {
        offset: Math.max(0, input.cursor.offset | 0),
        limit: input.cursor.limit || oxTuning.pageSize,
        mode: LIST_MODES.includes(input.cursor.mode) ? input.cursor.mode : 'full',
      }
    : { offset: 0, limit: oxTuning.pageSize, mode: 'full' }
  let pages = 0
  let total: number | undefined
  let guard = 0
  let firstTotal: number | undefined
  let emptyRetries = 0
  for (;;) {
    if (ctx.signal.aborted) throw new UpstreamError({ kind: 'aborted', host: hostOf(ctx), message: words.cancelled })
    let page: { issues?: unknown[] | null; totalFilteredIssues?: unknown; offset?: unknown }
    try {
      const data = await client.graphql<{ getIssues?: unknown }>(
        'GetIssues',
        getIssuesQuery(cursor.mode),
        issuesInput(cursor, selection ? [...selection] : null),
      )
      const parsed = OxIssuesPage.safeParse(data.getIssues)
      if (!parsed.success)
        throw new UpstreamError({
          kind: 'bad_response',
          host: hostOf(ctx),
          message: 'OX answered getIssues in an unexpected shape',
        })
      page = parsed.data
    } catch (err) {
      if (err instanceof OxGraphQLError && err.isValidation && cursor.mode !== 'detail') {
        // this OX does not accept the SCA fields in the list: step down to a smaller selection
        const next = LIST_MODES[LIST_MODES.indexOf(cursor.mode) + 1]!
        yield {
          type: 'warning',
          code: 'ox_list_selection',
          message: `OX rejected the ${cursor.mode} getIssues selection (${err.message}); using the ${next} selection${next === 'detail' ? ', one getSingleIssueInfo request per issue' : ''}`,
        }
        cursor = { ...cursor, mode: next }
        continue
      }
      if (shrinkable(err) && cursor.limit > MIN_PAGE_SIZE) {
        const limit = Math.max(MIN_PAGE_SIZE, Math.floor(cursor.limit / 2))
        yield {
          type: 'warning',
          code: 'ox_page_shrunk',
          message: `a page of ${cursor.limit} issues failed (${(err as Error).message}); retrying with ${limit}`,
        }
        cursor = { ...cursor, limit }
        continue
      }
      throw err
    }
    const issues = page.issues ?? []
    if (typeof page.totalFilteredIssues === 'number') {
      firstTotal ??= page.totalFilteredIssues
      total = page.totalFilteredIssues
    }
    if (issues.length === 0 && total !== undefined && cursor.offset < total) {
      // an empty page before the end OX announced: ask once more, then fail rather than resolve what was not read
      if (++emptyRetries <= 1) continue
      throw new UpstreamError({
        kind: 'bad_response',
        host: hostOf(ctx),
        message: words.emptyPage(cursor.offset, total),
      })
    }
    emptyRetries = 0
    pages++
    let outOfScope = 0
    let notSelected = 0
    for (const item of issues) {
      // validated once, here: map receives the parsed issue
      const parsed = validateRecord(OxIssue, item, 'an OX issue')
      if (!parsed.ok) {
        yield { type: 'skip', reason: 'invalid_record', detail: parsed.skip.detail }
        continue
      }
      let issue = parsed.data
      // client-side again: the category filter's value format is not documented
      if (!oxScopeOf(issue.category)) {
        outOfScope++
        continue
      }
      const appId = issue.app?.id ?? undefined
      if (selection && (!appId || !selection.has(appId))) {
        notSelected++
        continue
      }
      if (cursor.mode === 'detail') {
        try {
          const detail = await client.graphql<{ getSingleIssueInfo?: unknown }>(
            'GetSingleIssueInfo',
            GET_SINGLE_ISSUE_QUERY,
            {
              getSingleIssueInput: { issueId: issue.issueId },
            },
          )
          const d = OxIssue.safeParse(detail.getSingleIssueInfo)
          // the list row's createdAt (first detection) wins; the detail's `created` is the scan time
          if (d.success)
            issue = {
              ...issue,
              ...d.data,
              app: { ...issue.app, ...d.data.app },
              createdAt: issue.createdAt ?? d.data.createdAt,
            }
        } catch (err) {
          if (!(err instanceof OxGraphQLError) || err.isValidation) throw err
          // one issue OX cannot detail (e.g. resolved since the list was read): import what the list row says
          yield {
            type: 'warning',
            code: 'ox_issue_detail',
            message: `getSingleIssueInfo failed for ${issue.issueId}: ${err.message}`,
          }
        }
      }
      yield { type: 'record', raw: { issue, app: appId ? (apps.get(appId) ?? null) : null, uiBase }, scope: appId }
    }
    if (outOfScope)
      yield {
        type: 'skip',
        reason: 'out_of_scope',
        count: outOfScope,
        detail: 'category other than Open Source Security / Container Security',
      }
    if (notSelected)
      yield { type: 'skip', reason: 'out_of_scope', count: notSelected, detail: 'application not selected' }

    // OX answers offset = request offset + limit even past the end: move by what came back
    const nextOffset = cursor.offset + issues.length
    const done = issues.length === 0 || (total !== undefined ? nextOffset >= total : issues.length < cursor.limit)
    cursor = { ...cursor, offset: nextOffset }
    ctx.progress({
      pages,
      total,
      message: `read ${Math.min(nextOffset, total ?? nextOffset)}${total !== undefined ? ` of ${total}` : ''} OX issues (${client.budget.used} requests)`,
    })
    if (done) break
    yield { type: 'checkpoint', cursor }
    if (++guard > 1_000_000) break
  }
  if (firstTotal !== undefined && total !== undefined && total !== firstTotal) {
    // the issue set changed while it was paged by offset: some issues may have shifted past a page boundary unseen,
    // so no application may have its missing issues resolved this run
    yield {
      type: 'warning',
      code: 'ox_total_changed',
      message: `OX's issue count changed from ${firstTotal} to ${total} during the sync; nothing is resolved this run`,
    }
    const scopes = selection ? [...selection] : [...apps.values()].filter((a) => !a.fakeApp).map((a) => a.appId)
    for (const scope of scopes)
      yield { type: 'incomplete', scope, reason: 'the OX issue list changed while it was read page by page' }
  }
}
