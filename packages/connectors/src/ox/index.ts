import {
  type CheckResult,
  type ConnectorContext,
  type Location,
  type ReadEvent,
  type ScannerConnector,
  UpstreamError,
} from '@vulnsync/core'
import { OxClient, type OxClientOptions, OxGraphQLError } from './client.ts'
import { OxConfig, OxSecrets, oxBaseUrl, oxUiBase } from './config.ts'
import { mapOxIssue, oxRepository, oxScopeOf } from './map.ts'
import {
  CHECK_QUERY,
  GET_APPLICATIONS_QUERY,
  GET_SINGLE_ISSUE_QUERY,
  getIssuesQuery,
  LIST_MODES,
  type ListMode,
} from './queries.ts'
import { OX_CATEGORIES, OxApplication, OxApplicationsPage, OxIssue, OxIssuesPage, type OxRaw } from './raw.ts'

export { OxConfig, OxSecrets } from './config.ts'
export { mapOxIssue } from './map.ts'
export type { OxRaw } from './raw.ts'

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

const hostOf = (ctx: Ctx): string => {
  try {
    return new URL(oxBaseUrl(ctx.config)).host
  } catch {
    return 'OX Security'
  }
}

/** Every application the key sees (getApplications, offset paging with OX's offset quirk). */
async function* listApplications(client: OxClient, ctx: Ctx): AsyncGenerator<OxApplication> {
  let offset = 0
  for (let page = 0; page < 10_000; page++) {
    const data = await client.graphql<{ getApplications?: unknown }>('GetApplications', GET_APPLICATIONS_QUERY, {
      getApplicationsInput: { offset, limit: APPS_PAGE_SIZE },
    })
    const parsed = OxApplicationsPage.safeParse(data.getApplications)
    if (!parsed.success)
      throw new UpstreamError({
        kind: 'bad_response',
        host: hostOf(ctx),
        message: 'OX answered getApplications in an unexpected shape',
      })
    const apps = parsed.data.applications ?? []
    for (const a of apps) {
      const app = OxApplication.safeParse(a)
      if (app.success) yield app.data
      else ctx.logger.warn({ app: a }, 'skipping an OX application without appId')
    }
    // OX answers offset = request offset + limit even past the end: page by what came back, stop on a short page
    offset += apps.length
    const total = typeof parsed.data.total === 'number' ? parsed.data.total : undefined
    if (apps.length === 0 || apps.length < APPS_PAGE_SIZE || (total !== undefined && offset >= total)) return
  }
}

const checkFailure = (ctx: Ctx, err: unknown): CheckResult => {
  const host = hostOf(ctx)
  const url = `${oxBaseUrl(ctx.config)}/api/apollo-gateway`
  if (err instanceof OxGraphQLError) {
    const denied = err.errors.filter(
      (e) =>
        String(e.extensions?.code ?? '') === 'FORBIDDEN' ||
        /forbidden|not authori[sz]ed|permission|access denied/i.test(e.message ?? ''),
    )
    if (denied.length) {
      const fields = new Set(denied.map((e) => String(e.path?.[0] ?? '')))
      const what =
        fields.has('getIssues') && fields.has('getApplications')
          ? 'issues and applications'
          : fields.has('getIssues')
            ? 'issues'
            : fields.has('getApplications')
              ? 'applications'
              : 'issues and applications'
      return {
        ok: false,
        code: 'permission',
        message: `the OX API token was accepted but has no read access to ${what} (OX said: "${denied[0]!.message ?? 'forbidden'}")`,
        hint: 'In OX Security give the key read access to issues and applications (Settings → API Key Settings), or create a new "API Integration" key that has it.',
      }
    }
    return {
      ok: false,
      code: 'vendor_error',
      message: `OX Security answered with a GraphQL error: "${err.errors[0]?.message ?? err.message}"${err.errors[0]?.extensions?.code ? ` (${err.errors[0].extensions.code})` : ''}`,
      hint: 'If the message names a field or an argument, this OX version differs from the API vulnsync knows: report it with the message.',
    }
  }
  if (err instanceof UpstreamError) {
    switch (err.kind) {
      case 'auth':
        return {
          ok: false,
          code: 'auth',
          message: `OX Security rejected the API token (HTTP ${err.status ?? 401}): verify the API token is correct and has not expired`,
          hint: 'Create a key in OX Security under Settings → API Key Settings → Create API Key (type "API Integration") and paste it without "Bearer".',
        }
      case 'permission':
        return {
          ok: false,
          code: 'permission',
          message: `the OX API token was accepted but has no read access to issues or applications (HTTP ${err.status ?? 403})`,
          hint: 'In OX Security give the key read access to issues and applications, or create a new "API Integration" key that has it.',
        }
      case 'unreachable':
      case 'timeout':
      case 'blocked':
        return {
          ok: false,
          code: 'unreachable',
          message: `could not reach OX Security at ${host} (${err.message}): check that your network allows connections to OX Security's API`,
          hint: `vulnsync calls POST ${url}. Allow outbound HTTPS to ${host}; on-premises installations set the API base URL to their own host.`,
        }
      case 'not_found':
        return {
          ok: false,
          code: 'not_found',
          message: `there is no OX GraphQL API at ${url} (HTTP 404): check the API base URL`,
          hint: 'Leave the API base URL empty for OX SaaS; on-premises use https://<your OX host>.',
        }
      case 'rate_limited':
        return {
          ok: false,
          code: 'rate_limited',
          message: `${err.message}: try the connection again after that time`,
          hint: 'Another integration may be using the same OX API key; give vulnsync its own key.',
        }
      case 'bad_response':
        return {
          ok: false,
          code: 'vendor_error',
          message: `${err.message}`,
          hint: `vulnsync expects OX's GraphQL API at ${url}.`,
        }
      default:
        return {
          ok: false,
          code: 'vendor_error',
          message: `OX Security answered with an error (${err.message}): try again later`,
          hint: err.status ? `HTTP ${err.status}` : undefined,
        } as CheckResult
    }
  }
  return {
    ok: false,
    code: 'vendor_error',
    message: `checking OX Security failed: ${(err as Error)?.message ?? String(err)}`,
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

export const oxConnector: ScannerConnector<'ox', OxConfig, OxSecrets, OxRaw, OxCursor> = {
  kind: 'ox',
  role: 'scanner',
  title: 'OX Security',
  logoLetters: 'OX',
  description:
    'Imports the CVE-bearing Open Source Security (SCA) and Container Security issues of OX Security, with OX’s detection time and severity factors.',
  help: 'Create a read-only key in OX Security: Settings → API Key Settings → Create API Key, type "API Integration", with read access to issues and applications. OX allows 1,000 API requests an hour and 15,000 a day per key; vulnsync pauses a sync when the budget is spent and continues when the window resets.',
  configSchema: OxConfig,
  secretsSchema: OxSecrets,
  baseUrl: (config) => oxBaseUrl(config),

  async check(ctx) {
    const client = new OxClient(ctx, { ...oxTuning.client, pauseWhenExhausted: false, timeoutMs: 30_000 })
    try {
      const data = await client.graphql<{
        getApplications?: { total?: number } | null
        getIssues?: { totalIssues?: number } | null
      }>('CheckAccess', CHECK_QUERY, {
        appsInput: { offset: 0, limit: 1 },
        issuesInput: { offset: 0, limit: 1 },
      })
      const apps = data.getApplications?.total
      const issues = data.getIssues?.totalIssues
      return {
        ok: true,
        message: `connected to OX Security${typeof apps === 'number' ? `: ${apps} applications` : ''}${typeof issues === 'number' ? `, ${issues} issues visible` : ''}`,
        details: {
          applications: apps,
          issues,
          rateLimit: { limit: client.budget.limit, remaining: client.budget.remaining },
        },
      }
    } catch (err) {
      return checkFailure(ctx, err)
    }
  },

  async *discover(ctx): AsyncGenerator<Location> {
    const client = new OxClient(ctx, oxTuning.client)
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
  },

  async *read(ctx, input): AsyncGenerator<ReadEvent<OxRaw, OxCursor>> {
    const client = new OxClient(ctx, oxTuning.client)
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
      if (ctx.signal.aborted)
        throw new UpstreamError({ kind: 'aborted', host: hostOf(ctx), message: 'the sync was cancelled' })
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
          message: `OX answered an empty page at offset ${cursor.offset} although it counts ${total} issues; the sync stops here and resolves nothing`,
        })
      }
      emptyRetries = 0
      pages++
      let outOfScope = 0
      let notSelected = 0
      for (const item of issues) {
        const parsed = OxIssue.safeParse(item)
        if (!parsed.success) {
          yield { type: 'skip', reason: 'invalid_record', detail: parsed.error.issues[0]?.message }
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
  },

  map: (raw) => mapOxIssue(raw),
}
