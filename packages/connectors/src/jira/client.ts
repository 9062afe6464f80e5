import { type ConnectorContext, type HttpResponse, type TicketState, UpstreamError } from '@vulnsync/core'
import { parseRetryAfter } from '../kit/http.ts'
import { waitOut } from '../kit/rate-limit.ts'
import { type JiraConfig, type JiraSecrets, jiraBaseUrl } from './config.ts'
import {
  JiraCreated,
  JiraCreateMetaTypes,
  JiraErrorBody,
  JiraIssue,
  JiraMyself,
  JiraPermissions,
  JiraProject,
  JiraSearchPage,
  JiraTransitions,
} from './raw.ts'
import { words } from './words.ts'

type Ctx = ConnectorContext<JiraConfig, JiraSecrets>

/** How often a write waits out a 429 before it gives up (Jira's per-issue write limit answers with Retry-After). */
const MAX_WRITE_WAITS = 4
/** The longest single Retry-After a write waits for. */
const MAX_WRITE_WAIT_MS = 5 * 60_000
/** The fields vulnsync reads of an issue. */
export const STATE_FIELDS = 'status,resolution,updated'

/** Jira's `updated` ("2026-12-02T10:00:00.000+0000") as a Date (JavaScript wants the offset with a colon). */
export const jiraTime = (s: string): Date => new Date(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))

/** An issue as vulnsync tracks it. */
export const ticketStateOf = (base: string, raw: JiraIssue, byAccount: string | null = null): TicketState => {
  const key = raw.fields.status.statusCategory.key
  return {
    id: raw.id,
    key: raw.key,
    url: `${base}/browse/${raw.key}`,
    category: key === 'done' ? 'done' : key === 'indeterminate' ? 'indeterminate' : 'new',
    status: raw.fields.status.name,
    resolution: raw.fields.resolution?.name ?? null,
    updatedAt: jiraTime(raw.fields.updated),
    byAccount,
  }
}

const said = (res: HttpResponse): string => {
  try {
    const b = JiraErrorBody.safeParse(JSON.parse(res.text()))
    if (b.success) {
      const parts = [
        ...(b.data.errorMessages ?? []),
        ...Object.entries(b.data.errors ?? {}).map(([k, v]) => `${k}: ${v}`),
      ]
      if (parts.length > 0) return parts.join('; ')
    }
  } catch {}
  return res.text().slice(0, 200) || `HTTP ${res.status}`
}

/**
 * Jira Cloud REST v3 on the guarded client: basic auth with the account email and API token, the vendor's error
 * words, and writes that wait out 429s as Jira asks (Retry-After) without ever repeating a write Jira may have done:
 * a write is retried only after a 429, never after a timeout or a 5xx (the outbox tries it again later, after
 * looking for what the first attempt made).
 */
export const createJiraClient = (ctx: Ctx) => {
  const base = jiraBaseUrl(ctx.config)
  const host = new URL(base).host
  const authorization = `Basic ${Buffer.from(`${ctx.secrets.email}:${ctx.secrets.apiToken}`).toString('base64')}`

  const fail = (res: HttpResponse, what: string): UpstreamError => {
    const body = res.text().slice(0, 500)
    if (res.status === 401)
      return new UpstreamError({ kind: 'auth', status: 401, host, body, message: words.tokenRejected(401) })
    if (res.status === 403)
      return new UpstreamError({ kind: 'permission', status: 403, host, body, message: words.forbidden(what) })
    if (res.status === 404)
      return new UpstreamError({ kind: 'not_found', status: 404, host, body, message: `Jira: ${what} not found` })
    if (res.status === 410) return new UpstreamError({ kind: 'client', status: 410, host, body, message: words.gone })
    if (res.status === 429)
      return new UpstreamError({
        kind: 'rate_limited',
        status: 429,
        host,
        body,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
        message: words.rateLimited,
      })
    if (res.status >= 500)
      return new UpstreamError({
        kind: 'server',
        status: res.status,
        host,
        body,
        message: `Jira: ${what} answered HTTP ${res.status}`,
      })
    return new UpstreamError({
      kind: 'client',
      status: res.status,
      host,
      body,
      message: words.refused(what, said(res)),
    })
  }

  /** A read: the HTTP client retries 429 (Retry-After), 5xx and network errors. */
  const get = async (
    path: string,
    what: string,
    query?: Record<string, string | number | undefined>,
    accept: number[] = [],
  ) => {
    const res = await ctx.http.request({
      url: `${base}${path}`,
      query,
      headers: { authorization },
      acceptStatus: [400, 401, 403, 404, 410, ...accept],
    })
    if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return res
    throw fail(res, what)
  }

  /** A write: sent once; a 429 is waited out (Retry-After, else a growing pause) and sent again; the rest is thrown. */
  const write = async (method: 'POST' | 'PUT', path: string, what: string, body: unknown, accept: number[] = []) => {
    for (let waits = 0; ; waits++) {
      const res = await ctx.http.request({
        method,
        url: `${base}${path}`,
        body,
        headers: { authorization },
        retry: false,
        acceptStatus: [400, 401, 403, 404, 409, 410, 429, 500, 502, 503, 504, ...accept],
      })
      if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return res
      if (res.status === 429 && waits < MAX_WRITE_WAITS) {
        const ms = parseRetryAfter(res.headers.get('retry-after')) ?? 2_000 * 2 ** waits
        if (ms <= MAX_WRITE_WAIT_MS) {
          await waitOut(ctx, ms, {
            message: (until) =>
              `Jira rate limit (${res.headers.get('ratelimit-reason') ?? 'burst'}): waiting until ${until.toISOString()}`,
            log: { msg: 'jira: rate limited, waiting as asked', fields: { what, ms } },
          })
          continue
        }
      }
      throw fail(res, what)
    }
  }

  const parse = <T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    res: HttpResponse,
    what: string,
  ): T => {
    const r = schema.safeParse(res.json())
    if (!r.success)
      throw new UpstreamError({ kind: 'bad_response', host, status: res.status, message: words.unexpected(what) })
    return r.data
  }

  const myself = async () => parse(JiraMyself, await get('/rest/api/3/myself', 'the account (GET /myself)'), '/myself')
  const project = async (key: string) =>
    parse(JiraProject, await get(`/rest/api/3/project/${encodeURIComponent(key)}`, `project ${key}`), 'the project')
  const creatableTypes = async (key: string): Promise<{ id: string; name: string }[]> => {
    const m = parse(
      JiraCreateMetaTypes,
      await get(`/rest/api/3/issue/createmeta/${encodeURIComponent(key)}/issuetypes`, `the issue types of ${key}`),
      'createmeta',
    )
    return m.issueTypes ?? m.values ?? []
  }
  const permissions = async (key: string, names: string[]) =>
    parse(
      JiraPermissions,
      await get('/rest/api/3/mypermissions', 'the permissions', { projectKey: key, permissions: names.join(',') }),
      'mypermissions',
    ).permissions

  const issue = async (key: string): Promise<TicketState | null> => {
    const res = await get(
      `/rest/api/3/issue/${encodeURIComponent(key)}`,
      `issue ${key}`,
      { fields: STATE_FIELDS },
      [404],
    )
    if (res.status === 404) return null
    return ticketStateOf(base, parse(JiraIssue, res, `issue ${key}`))
  }

  const create = async (fields: Record<string, unknown>) =>
    parse(JiraCreated, await write('POST', '/rest/api/3/issue', 'creating the ticket', { fields }), 'the created issue')

  const edit = async (key: string, fields: Record<string, unknown>) =>
    write('PUT', `/rest/api/3/issue/${encodeURIComponent(key)}`, `editing ${key}`, { fields })

  const transitions = async (key: string) =>
    parse(
      JiraTransitions,
      await get(`/rest/api/3/issue/${encodeURIComponent(key)}/transitions`, `the transitions of ${key}`),
      'transitions',
    ).transitions

  const transition = async (key: string, id: string, comment: unknown) =>
    write('POST', `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`, `moving ${key}`, {
      transition: { id },
      update: { comment: [{ add: { body: comment } }] },
    })

  const comment = async (key: string, body: unknown) =>
    write('POST', `/rest/api/3/issue/${encodeURIComponent(key)}/comment`, `commenting on ${key}`, { body })

  /** One page of /rest/api/3/search/jql (the legacy /search is gone: 410). */
  const search = async (jql: string, nextPageToken: string | undefined, maxResults = 100) => {
    const res = await write('POST', '/rest/api/3/search/jql', 'the ticket search', {
      jql,
      fields: STATE_FIELDS.split(','),
      maxResults,
      ...(nextPageToken ? { nextPageToken } : {}),
    })
    const page = parse(JiraSearchPage, res, 'the search')
    const issues = page.issues.map((i) => {
      const r = JiraIssue.safeParse(i)
      if (!r.success) throw new UpstreamError({ kind: 'bad_response', host, message: words.unexpected('the search') })
      return ticketStateOf(base, r.data)
    })
    // the last page has no nextPageToken (absent, not null); isLast says so too
    const next = page.isLast === true ? undefined : (page.nextPageToken ?? undefined)
    return { issues, next }
  }

  return {
    base,
    host,
    myself,
    project,
    creatableTypes,
    permissions,
    issue,
    create,
    edit,
    transitions,
    transition,
    comment,
    search,
  }
}

export type JiraClient = ReturnType<typeof createJiraClient>
