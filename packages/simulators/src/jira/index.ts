/**
 * Jira Cloud REST v3 simulator (ticket tracker), faithful to shared/upstream/remediation-and-outbound.md §3 and §9.
 *
 * ```ts
 * const sim = await startJiraSimulator({
 *   users: { 'bot@acme.example': { token: 'jira-token', accountId: 'acc-bot' } },   // default: jiraSimUsers()
 *   projects: [{ key: 'SEC', issueTypes: ['Bug', 'Task'] }],                        // default: SEC (+ STRICT, FLOW)
 *   faults: { jiraRateLimitNext: 2, jiraRetryAfter: 1 },
 * })
 * sim.addWebhook({ url: 'http://127.0.0.1:8080/api/v1/hooks/<id>', secret: '…' })
 * sim.humanChange('SEC-1', { status: 'Done', resolution: "Won't Fix" })            // a person closes it in Jira
 * ```
 *
 * Endpoints (under /rest/api/3, Basic email:token): GET /myself, /project/:key, /issue/createmeta/:key/issuetypes,
 * /mypermissions; POST /issue (ADF description required; a project may require a custom field or refuse priority);
 * GET/PUT /issue/:key; GET/POST /issue/:key/transitions (204); POST /issue/:key/comment; GET/POST /search/jql
 * (`nextPageToken` paging: no total, no startAt, no token on the last page, `isLast`); the legacy /search answers
 * 410. Errors are `{"errorMessages":[…],"errors":{…}}`.
 *
 * Workflows: `simple` (To Do ⇄ In Progress → Done, Reopen from Done) and `no_direct_done` (Done only from In
 * Progress). Reaching Done sets the resolution "Done" unless one is given; leaving it clears it unless the project
 * has `keepResolutionOnReopen` (the "resolution set but category new" trap).
 *
 * Webhooks: every change (by the API or by `humanChange`) is delivered to each registered webhook as
 * `jira:issue_updated` / `jira:issue_created` with the issue after the change, the acting `user`, a `changelog`, and
 * `X-Hub-Signature: sha256=<HMAC>` when the webhook has a secret. Failed deliveries (5xx, 429, refused) are retried
 * with `X-Atlassian-Webhook-Retry: n`. `webhookFaults`: `duplicate` sends each delivery twice; `hold()` queues them
 * until `release({ order: 'reverse' })` sends them out of order.
 *
 * Fault switches: `jiraRateLimitNext: n` the next n API requests answer 429 with `Retry-After: jiraRetryAfter`
 * (default 1) and `RateLimit-Reason`; plus the kit's.
 */
import { createHmac } from 'node:crypto'
import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'

export interface JiraSimUser {
  token: string
  accountId: string
  displayName?: string
  /** projects the user can browse (default every project) */
  projects?: string[]
  /** permissions the user has (default all) */
  permissions?: string[]
}

export interface JiraSimProject {
  key: string
  name?: string
  issueTypes?: string[]
  workflow?: 'simple' | 'no_direct_done'
  /** creation needs this custom field (a 400 otherwise) */
  requiredField?: string
  /** the create screen has no priority field: setting one is refused */
  noPriorityField?: boolean
  keepResolutionOnReopen?: boolean
}

export interface JiraSimulatorOptions {
  users?: Record<string, JiraSimUser>
  projects?: JiraSimProject[]
  faults?: Faults
  port?: number
  /** the site's own URL in `self` links (default the simulator's) */
  siteUrl?: string
}

export interface SimIssue {
  id: string
  key: string
  project: string
  issueType: string
  summary: string
  description: unknown
  labels: string[]
  priority: string | null
  duedate: string | null
  status: string
  resolution: string | null
  created: number
  updated: number
  comments: { author: string; body: unknown; created: number }[]
  history: { at: number; by: string; field: string; from: string | null; to: string | null }[]
}

export interface SimWebhook {
  url: string
  secret?: string
  /** only issues with this label (the JQL filter Jira admins set: labels = vulnsync) */
  label?: string
}

export interface SimDelivery {
  url: string
  body: string
  event: string
  key: string
  updated: number
  status: number | 'error' | 'held'
  retry: number
}

export interface JiraSimulator extends Simulator {
  issues: Map<string, SimIssue>
  issue(key: string): SimIssue
  /** a person changes a ticket in Jira (status by name, resolution); webhooks follow */
  humanChange(key: string, c: { status: string; resolution?: string | null; by?: string }): SimIssue
  addWebhook(w: SimWebhook): void
  webhookFaults: { duplicate: boolean; retryDelayMs: number; maxRetries: number }
  /** webhooks sent so far (each attempt) */
  deliveries: SimDelivery[]
  /** queue deliveries instead of sending them */
  hold(): void
  /** send the queued deliveries: in order, or newest first */
  release(o?: { order?: 'fifo' | 'reverse' }): Promise<void>
  /** resolves when no delivery is in flight */
  settled(): Promise<void>
}

export const jiraSimUsers = (): Record<string, JiraSimUser> => ({
  'bot@acme.example': { token: 'jira-token', accountId: 'acc-vulnsync', displayName: 'vulnsync bot' },
  'reader@acme.example': {
    token: 'jira-reader',
    accountId: 'acc-reader',
    displayName: 'Read Only',
    permissions: ['BROWSE_PROJECTS'],
  },
  'outsider@acme.example': { token: 'jira-outsider', accountId: 'acc-outsider', projects: [] },
})

const DEFAULT_PROJECTS: JiraSimProject[] = [
  { key: 'SEC', name: 'Security', issueTypes: ['Bug', 'Task', 'Security'] },
  { key: 'STRICT', name: 'Strict', issueTypes: ['Bug'], requiredField: 'customfield_10010', noPriorityField: true },
  { key: 'FLOW', name: 'Custom flow', issueTypes: ['Bug'], workflow: 'no_direct_done', keepResolutionOnReopen: true },
]

const ALL_PERMISSIONS = ['BROWSE_PROJECTS', 'CREATE_ISSUES', 'EDIT_ISSUES', 'TRANSITION_ISSUES', 'ADD_COMMENTS']

const STATUSES: Record<string, { id: string; category: 'new' | 'indeterminate' | 'done'; categoryName: string }> = {
  'To Do': { id: '10000', category: 'new', categoryName: 'To Do' },
  'In Progress': { id: '3', category: 'indeterminate', categoryName: 'In Progress' },
  Done: { id: '10001', category: 'done', categoryName: 'Done' },
}

interface Transition {
  id: string
  name: string
  to: string
}

const transitionsFrom = (status: string, workflow: JiraSimProject['workflow']): Transition[] => {
  const done = { id: '31', name: 'Done', to: 'Done' }
  if (status === 'To Do')
    return [{ id: '21', name: 'Start Progress', to: 'In Progress' }, ...(workflow === 'no_direct_done' ? [] : [done])]
  if (status === 'In Progress') return [{ id: '11', name: 'Stop Progress', to: 'To Do' }, done]
  return [{ id: '41', name: 'Reopen', to: 'To Do' }]
}

const errors = (status: number, messages: string[], fields: Record<string, string> = {}): SimResponse => ({
  status,
  body: { errorMessages: messages, errors: fields },
})

/** Jira's timestamp format: 2026-12-02T10:00:00.000+0000 */
export const jiraTimestamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000')

const isAdf = (d: unknown) =>
  !!d &&
  typeof d === 'object' &&
  (d as any).type === 'doc' &&
  (d as any).version === 1 &&
  Array.isArray((d as any).content)

export const startJiraSimulator = async (opts: JiraSimulatorOptions = {}): Promise<JiraSimulator> => {
  const users = opts.users ?? jiraSimUsers()
  const projects = new Map((opts.projects ?? DEFAULT_PROJECTS).map((p) => [p.key, p]))
  const issues = new Map<string, SimIssue>()
  const counters = new Map<string, number>()
  let nextId = 10_000
  let lastUpdated = 0
  const tick = () => {
    lastUpdated = Math.max(Date.now(), lastUpdated + 1)
    return lastUpdated
  }
  const webhooks: SimWebhook[] = []
  const deliveries: SimDelivery[] = []
  const held: { w: SimWebhook; body: string; d: Omit<SimDelivery, 'status' | 'retry' | 'url'> }[] = []
  const webhookFaults = { duplicate: false, retryDelayMs: 20, maxRetries: 3 }
  let holding = false
  const inFlight = new Set<Promise<void>>()
  let site = opts.siteUrl ?? ''

  const userOf = (req: SimRequest): (JiraSimUser & { email: string }) | null => {
    const m = /^basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))
    if (!m) return null
    const [email, ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':')
    const u = users[email ?? '']
    return u && u.token === rest.join(':') ? { ...u, email: email! } : null
  }
  const can = (u: JiraSimUser, perm: string) => (u.permissions ?? ALL_PERMISSIONS).includes(perm)
  const sees = (u: JiraSimUser, project: string) => (u.projects ?? [...projects.keys()]).includes(project)
  const me = (req: SimRequest) => userOf(req)!

  const view = (i: SimIssue) => {
    const s = STATUSES[i.status]!
    return {
      id: i.id,
      key: i.key,
      self: `${site}/rest/api/3/issue/${i.id}`,
      fields: {
        summary: i.summary,
        description: i.description,
        labels: i.labels,
        priority: i.priority ? { name: i.priority } : null,
        duedate: i.duedate,
        issuetype: { name: i.issueType },
        project: { key: i.project },
        status: {
          id: s.id,
          name: i.status,
          statusCategory: { key: s.category, name: s.categoryName },
        },
        resolution: i.resolution ? { name: i.resolution } : null,
        created: jiraTimestamp(i.created),
        updated: jiraTimestamp(i.updated),
      },
    }
  }

  const send = async (w: SimWebhook, body: string, d: Omit<SimDelivery, 'status' | 'retry' | 'url'>) => {
    for (let retry = 0; ; retry++) {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (w.secret) headers['x-hub-signature'] = `sha256=${createHmac('sha256', w.secret).update(body).digest('hex')}`
      if (retry > 0) headers['x-atlassian-webhook-retry'] = String(retry)
      let status: number | 'error'
      try {
        const res = await fetch(w.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
        status = res.status
        await res.text()
      } catch {
        status = 'error'
      }
      deliveries.push({ ...d, url: w.url, status, retry })
      // Jira retries on 408, 409, 425, 429, 5xx and timeouts
      const again = status === 'error' || [408, 409, 425, 429].includes(status) || status >= 500
      if (!again || retry >= webhookFaults.maxRetries) return
      await new Promise((r) => setTimeout(r, webhookFaults.retryDelayMs))
    }
  }
  const track = (p: Promise<void>) => {
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  }

  const notify = (i: SimIssue, event: 'jira:issue_created' | 'jira:issue_updated', by: string, items: unknown[]) => {
    const payload = {
      timestamp: Date.now(),
      webhookEvent: event,
      issue_event_type_name: event === 'jira:issue_created' ? 'issue_created' : 'issue_generic',
      user: { accountId: by },
      issue: view(i),
      changelog: { id: String(i.updated), items },
    }
    const body = JSON.stringify(payload)
    for (const w of webhooks) {
      if (w.label && !i.labels.includes(w.label)) continue
      const d = { body, event, key: i.key, updated: i.updated }
      const copies = webhookFaults.duplicate ? 2 : 1
      for (let c = 0; c < copies; c++) {
        if (holding) held.push({ w, body, d })
        else track(send(w, body, d))
      }
    }
  }

  const setStatus = (i: SimIssue, to: string, by: string, resolution?: string | null) => {
    const p = projects.get(i.project)!
    const from = i.status
    const fromRes = i.resolution
    i.status = to
    if (to === 'Done') i.resolution = resolution ?? (resolution === null ? null : 'Done')
    else if (from === 'Done' && !p.keepResolutionOnReopen) i.resolution = null
    else if (resolution !== undefined) i.resolution = resolution
    i.updated = tick()
    const items: unknown[] = [{ field: 'status', fromString: from, toString: to }]
    if (fromRes !== i.resolution) items.push({ field: 'resolution', fromString: fromRes, toString: i.resolution })
    i.history.push({ at: i.updated, by, field: 'status', from, to })
    notify(i, 'jira:issue_updated', by, items)
  }

  const find = (key: string) => {
    const byKey = issues.get(key.toUpperCase())
    if (byKey) return byKey
    for (const i of issues.values()) if (i.id === key) return i
    return undefined
  }

  /** The JQL vulnsync writes, and only that: project, labels, statusCategory, updated, key; ORDER BY updated|created. */
  const runJql = (jql: string, u: JiraSimUser): SimIssue[] | string => {
    const [where, order] = jql.split(/\s+ORDER\s+BY\s+/i)
    const clauses = (where ?? '').split(/\s+AND\s+/i).filter((c) => c.trim())
    const tests: ((i: SimIssue) => boolean)[] = []
    const parsers: [RegExp, (m: RegExpExecArray) => ((i: SimIssue) => boolean) | string][] = [
      [
        /^project\s*=\s*"?([A-Za-z0-9_]+)"?$/i,
        (m) => {
          const k = m[1]!.toUpperCase()
          if (!projects.has(k) || !sees(u, k)) return `The value '${m[1]}' does not exist for the field 'project'.`
          return (i) => i.project === k
        },
      ],
      [/^labels\s*=\s*"?([^"]+)"?$/i, (m) => (i) => i.labels.includes(m[1]!)],
      [
        /^statusCategory\s*(!=|=)\s*"?([A-Za-z ]+)"?$/i,
        (m) => {
          const w = m[2]!.toLowerCase()
          const want = w === 'done' ? 'done' : w === 'to do' ? 'new' : 'indeterminate'
          return (i) => (STATUSES[i.status]!.category === want) !== (m[1] === '!=')
        },
      ],
      [
        /^updated\s*>=\s*"-(\d+)m"$/i,
        (m) => {
          const since = Date.now() - Number(m[1]) * 60_000
          return (i) => i.updated >= since
        },
      ],
      [
        /^key\s+in\s*\(([^)]*)\)$/i,
        (m) => {
          const keys = new Set(m[1]!.split(',').map((k) => k.trim().replace(/"/g, '').toUpperCase()))
          return (i) => keys.has(i.key)
        },
      ],
    ]
    for (const c of clauses) {
      const hit = parsers.map(([re, f]) => [re.exec(c.trim()), f] as const).find(([m]) => m !== null)
      if (!hit) return `Error in the JQL Query: unsupported clause '${c.trim()}'.`
      const t = hit[1](hit[0]!)
      if (typeof t === 'string') return t
      tests.push(t)
    }
    const out = [...issues.values()].filter((i) => sees(u, i.project) && tests.every((t) => t(i)))
    const by = /created/i.test(order ?? '') ? 'created' : 'updated'
    const desc = /desc/i.test(order ?? '')
    out.sort((a, b) => (desc ? b[by] - a[by] : a[by] - b[by]) || Number(a.id) - Number(b.id))
    return out
  }

  const pageTokens = new Map<string, { jql: string; offset: number }>()
  const search = (req: SimRequest, params: Record<string, any>): SimResponse => {
    const u = me(req)
    let jql = String(params.jql ?? '')
    let offset = 0
    if (params.nextPageToken) {
      const t = pageTokens.get(String(params.nextPageToken))
      if (!t) return errors(400, ['The provided next page token is invalid or expired.'])
      jql = t.jql
      offset = t.offset
    }
    if (!jql.trim() || !/project\s*=|key\s+in/i.test(jql))
      return errors(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'])
    const found = runJql(jql, u)
    if (typeof found === 'string') return errors(400, [found])
    const max = Math.min(Number(params.maxResults ?? 50) || 50, 5000)
    const slice = found.slice(offset, offset + max)
    const last = offset + max >= found.length
    const body: Record<string, unknown> = { issues: slice.map(view), isLast: last }
    if (!last) {
      const token = `tok-${Math.random().toString(36).slice(2)}`
      pageTokens.set(token, { jql, offset: offset + max })
      body.nextPageToken = token
    }
    return { body }
  }

  const routes = [
    {
      method: 'GET',
      path: '/rest/api/3/myself',
      handler: (req: SimRequest) => {
        const u = me(req)
        return {
          body: { accountId: u.accountId, displayName: u.displayName ?? u.email, emailAddress: u.email, active: true },
        }
      },
    },
    {
      method: 'GET',
      path: '/rest/api/3/project/:key',
      handler: (req: SimRequest) => {
        const p = projects.get(req.params.key!.toUpperCase())
        if (!p || !sees(me(req), p.key)) return errors(404, [`No project could be found with key '${req.params.key}'.`])
        return { body: { id: String(10_000 + [...projects.keys()].indexOf(p.key)), key: p.key, name: p.name ?? p.key } }
      },
    },
    {
      method: 'GET',
      path: '/rest/api/3/issue/createmeta/:key/issuetypes',
      handler: (req: SimRequest) => {
        const u = me(req)
        const p = projects.get(req.params.key!.toUpperCase())
        if (!p || !sees(u, p.key)) return errors(404, [`No project could be found with key '${req.params.key}'.`])
        const types = can(u, 'CREATE_ISSUES') ? (p.issueTypes ?? ['Bug']) : []
        return {
          body: {
            startAt: 0,
            maxResults: 50,
            total: types.length,
            issueTypes: types.map((name, k) => ({ id: String(10_001 + k), name })),
          },
        }
      },
    },
    {
      method: 'GET',
      path: '/rest/api/3/mypermissions',
      handler: (req: SimRequest) => {
        const u = me(req)
        const key = req.query.get('projectKey')?.toUpperCase()
        if (key && (!projects.has(key) || !sees(u, key)))
          return errors(404, [`No project could be found with key '${key}'.`])
        const asked = (req.query.get('permissions') ?? '').split(',').filter(Boolean)
        return {
          body: {
            permissions: Object.fromEntries(
              asked.map((p) => [p, { key: p, havePermission: can(u, p) && (!key || sees(u, key)) }]),
            ),
          },
        }
      },
    },
    {
      method: 'POST',
      path: '/rest/api/3/issue',
      handler: (req: SimRequest) => {
        const u = me(req)
        const f = req.body?.fields ?? {}
        const p = projects.get(String(f.project?.key ?? '').toUpperCase())
        if (!p || !sees(u, p.key)) return errors(400, [], { project: 'project is required' })
        if (!can(u, 'CREATE_ISSUES'))
          return errors(403, ['You do not have permission to create issues in this project.'])
        const fieldErrors: Record<string, string> = {}
        if (!(p.issueTypes ?? ['Bug']).includes(f.issuetype?.name)) fieldErrors.issuetype = 'Specify a valid issue type'
        if (!f.summary || typeof f.summary !== 'string')
          fieldErrors.summary = 'You must specify a summary of the issue.'
        if (f.description !== undefined && !isAdf(f.description))
          fieldErrors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)'
        if (p.requiredField && f[p.requiredField] === undefined) fieldErrors[p.requiredField] = 'Team is required.'
        if (p.noPriorityField && f.priority !== undefined)
          fieldErrors.priority = "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."
        if (Object.keys(fieldErrors).length > 0) return errors(400, [], fieldErrors)
        const n = (counters.get(p.key) ?? 0) + 1
        counters.set(p.key, n)
        const now = tick()
        const i: SimIssue = {
          id: String(nextId++),
          key: `${p.key}-${n}`,
          project: p.key,
          issueType: f.issuetype.name,
          summary: f.summary,
          description: f.description ?? null,
          labels: Array.isArray(f.labels) ? f.labels.map(String) : [],
          priority: f.priority?.name ?? null,
          duedate: f.duedate ?? null,
          status: 'To Do',
          resolution: null,
          created: now,
          updated: now,
          comments: [],
          history: [],
        }
        issues.set(i.key, i)
        notify(i, 'jira:issue_created', u.accountId, [])
        return { status: 201, body: { id: i.id, key: i.key, self: `${site}/rest/api/3/issue/${i.id}` } }
      },
    },
    {
      method: 'GET',
      path: '/rest/api/3/issue/:key',
      handler: (req: SimRequest) => {
        const i = find(req.params.key!)
        if (!i || !sees(me(req), i.project))
          return errors(404, ['Issue does not exist or you do not have permission to see it.'])
        return { body: view(i) }
      },
    },
    {
      method: 'PUT',
      path: '/rest/api/3/issue/:key',
      handler: (req: SimRequest) => {
        const u = me(req)
        const i = find(req.params.key!)
        if (!i || !sees(u, i.project))
          return errors(404, ['Issue does not exist or you do not have permission to see it.'])
        if (!can(u, 'EDIT_ISSUES')) return errors(403, ['You do not have permission to edit issues in this project.'])
        const f = req.body?.fields ?? {}
        if (f.description !== undefined && !isAdf(f.description))
          return errors(400, [], { description: 'Operation value must be an Atlassian Document' })
        if (projects.get(i.project)!.noPriorityField && f.priority !== undefined)
          return errors(400, [], {
            priority: "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown.",
          })
        if (typeof f.summary === 'string') i.summary = f.summary
        if (f.description !== undefined) i.description = f.description
        if (Array.isArray(f.labels)) i.labels = f.labels.map(String)
        if (f.duedate !== undefined) i.duedate = f.duedate
        if (f.priority?.name) i.priority = f.priority.name
        i.updated = tick()
        notify(i, 'jira:issue_updated', u.accountId, [{ field: 'description' }])
        return { status: 204 }
      },
    },
    {
      method: 'GET',
      path: '/rest/api/3/issue/:key/transitions',
      handler: (req: SimRequest) => {
        const i = find(req.params.key!)
        if (!i || !sees(me(req), i.project))
          return errors(404, ['Issue does not exist or you do not have permission to see it.'])
        const ts = transitionsFrom(i.status, projects.get(i.project)!.workflow)
        return {
          body: {
            transitions: ts.map((t) => ({
              id: t.id,
              name: t.name,
              hasScreen: false,
              to: { id: STATUSES[t.to]!.id, name: t.to, statusCategory: { key: STATUSES[t.to]!.category } },
            })),
          },
        }
      },
    },
    {
      method: 'POST',
      path: '/rest/api/3/issue/:key/transitions',
      handler: (req: SimRequest) => {
        const u = me(req)
        const i = find(req.params.key!)
        if (!i || !sees(u, i.project))
          return errors(404, ['Issue does not exist or you do not have permission to see it.'])
        if (!can(u, 'TRANSITION_ISSUES')) return errors(403, ['You do not have permission to transition this issue.'])
        const t = transitionsFrom(i.status, projects.get(i.project)!.workflow).find(
          (x) => x.id === String(req.body?.transition?.id),
        )
        if (!t) return errors(400, [`Transition id '${req.body?.transition?.id}' is not valid for this issue.`])
        for (const c of req.body?.update?.comment ?? [])
          if (c?.add?.body) i.comments.push({ author: u.accountId, body: c.add.body, created: Date.now() })
        setStatus(i, t.to, u.accountId, req.body?.fields?.resolution?.name)
        return { status: 204 }
      },
    },
    {
      method: 'POST',
      path: '/rest/api/3/issue/:key/comment',
      handler: (req: SimRequest) => {
        const u = me(req)
        const i = find(req.params.key!)
        if (!i || !sees(u, i.project))
          return errors(404, ['Issue does not exist or you do not have permission to see it.'])
        if (!isAdf(req.body?.body)) return errors(400, [], { comment: 'Comment body must be an Atlassian Document' })
        i.comments.push({ author: u.accountId, body: req.body.body, created: Date.now() })
        return { status: 201, body: { id: String(i.comments.length) } }
      },
    },
    { method: 'POST', path: '/rest/api/3/search/jql', handler: (req: SimRequest) => search(req, req.body ?? {}) },
    {
      method: 'GET',
      path: '/rest/api/3/search/jql',
      handler: (req: SimRequest) => search(req, Object.fromEntries(req.query)),
    },
    {
      method: 'GET',
      path: '/rest/api/3/search',
      handler: () =>
        errors(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.']),
    },
    {
      method: 'POST',
      path: '/rest/api/3/search',
      handler: () =>
        errors(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.']),
    },
  ]

  const sim = await startSimulator({
    name: 'jira',
    faults: opts.faults,
    port: opts.port,
    routes: routes.map((r) => ({
      ...r,
      handler: (req: SimRequest) => {
        const f = sim.faults
        if (Number(f.jiraRateLimitNext ?? 0) > 0) {
          f.jiraRateLimitNext = Number(f.jiraRateLimitNext) - 1
          return {
            status: 429,
            headers: {
              'retry-after': String(f.jiraRetryAfter ?? 1),
              'ratelimit-reason': req.method === 'GET' ? 'jira-burst-based' : 'jira-per-issue-on-write',
              'x-ratelimit-reset': new Date(Date.now() + 60_000).toISOString().slice(0, 16) + 'Z',
            },
            body: { errorMessages: ['Rate limit exceeded.'], errors: {} },
          }
        }
        return r.handler(req)
      },
    })),
    errorBody: (_status, message) => ({ errorMessages: [message], errors: {} }),
    authenticate: (req) =>
      userOf(req)
        ? undefined
        : {
            status: 401,
            body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} },
          },
  })
  site ||= sim.url

  return Object.assign(sim, {
    issues,
    issue: (key: string) => {
      const i = find(key)
      if (!i) throw new Error(`no issue ${key}`)
      return i
    },
    humanChange: (key: string, c: { status: string; resolution?: string | null; by?: string }) => {
      const i = find(key)
      if (!i) throw new Error(`no issue ${key}`)
      if (!STATUSES[c.status]) throw new Error(`no status ${c.status}`)
      setStatus(i, c.status, c.by ?? 'acc-human', c.resolution)
      return i
    },
    addWebhook: (w: SimWebhook) => {
      webhooks.push(w)
    },
    webhookFaults,
    deliveries,
    hold: () => {
      holding = true
    },
    release: async (o: { order?: 'fifo' | 'reverse' } = {}) => {
      holding = false
      const queue = held.splice(0)
      if (o.order === 'reverse') queue.reverse()
      for (const h of queue) await send(h.w, h.body, h.d)
    },
    settled: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight])
    },
  })
}
