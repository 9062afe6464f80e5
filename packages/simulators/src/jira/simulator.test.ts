import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JiraSimulator, startJiraSimulator } from './index.ts'

/** The Jira Cloud simulator against the behaviour vulnsync depends on (remediation-and-outbound.md §3). */
let sim: JiraSimulator
let receiver: Server
let receiverUrl = ''
/** the receiver answers 503 to the first `failFirst` deliveries */
let failFirst = 0
const got: { headers: Record<string, string | string[] | undefined>; body: string; json: any }[] = []

const auth = (email = 'bot@acme.example', token = 'jira-token') =>
  `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`
const call = async (method: string, path: string, body?: unknown, authorization = auth()) => {
  const res = await fetch(`${sim.url}/rest/api/3${path}`, {
    method,
    headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined }
}
const adf = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x' }] }] }
const create = async (project = 'SEC', labels = ['vulnsync']) => {
  const r = await call('POST', '/issue', {
    fields: {
      project: { key: project },
      issuetype: { name: 'Bug' },
      summary: 'CVE-2026-0001',
      description: adf,
      labels,
    },
  })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  return r.json as { id: string; key: string }
}
const transition = async (key: string, name: string) => {
  const t = (await call('GET', `/issue/${key}/transitions`)).json.transitions.find((x: any) => x.name === name)
  return call('POST', `/issue/${key}/transitions`, { transition: { id: t.id } })
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (failFirst > 0) {
        failFirst--
        res.writeHead(503).end()
        return
      }
      const body = Buffer.concat(chunks).toString('utf8')
      got.push({ headers: req.headers, body, json: JSON.parse(body) })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  sim = await startJiraSimulator()
})
afterAll(async () => {
  await sim?.close()
  await new Promise<void>((r) => receiver.close(() => r()))
})

describe('jira simulator: the REST API', () => {
  it('authenticates with Basic email:token and answers in Jira’s error shape', async () => {
    expect((await call('GET', '/myself')).json).toMatchObject({ accountId: 'acc-vulnsync' })
    expect(await call('GET', '/myself', undefined, auth('bot@acme.example', 'wrong'))).toMatchObject({
      status: 401,
      json: { errorMessages: ['Client must be authenticated to access this resource.'] },
    })
  })

  it('creates tickets with an ADF description only, and refuses what a project’s screen refuses', async () => {
    const plain = await call('POST', '/issue', {
      fields: { project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: 's', description: 'plain text' },
    })
    expect(plain.status).toBe(400)
    expect(plain.json.errors.description).toMatch(/Atlassian Document/)
    const strict = await call('POST', '/issue', {
      fields: { project: { key: 'STRICT' }, issuetype: { name: 'Bug' }, summary: 's', priority: { name: 'High' } },
    })
    expect(Object.keys(strict.json.errors).sort()).toEqual(['customfield_10010', 'priority'])
    const { key } = await create()
    expect(key).toMatch(/^SEC-\d+$/)
    expect(sim.issue(key)).toMatchObject({ status: 'To Do', resolution: null, labels: ['vulnsync'] })
  })

  it('moves tickets only through the workflow’s transitions; Done sets a resolution', async () => {
    const { key } = await create('FLOW')
    const names = (await call('GET', `/issue/${key}/transitions`)).json.transitions.map((t: any) => t.name)
    expect(names).toEqual(['Start Progress']) // no direct Done in this workflow
    expect((await transition(key, 'Start Progress')).status).toBe(204)
    expect((await transition(key, 'Done')).status).toBe(204)
    expect(sim.issue(key)).toMatchObject({ status: 'Done', resolution: 'Done' })
    // this project keeps the resolution on reopen: a ticket in To Do with a resolution (the trap)
    expect((await transition(key, 'Reopen')).status).toBe(204)
    const back = (await call('GET', `/issue/${key}`)).json.fields
    expect(back.status.statusCategory.key).toBe('new')
    expect(back.resolution).toEqual({ name: 'Done' })
  })

  it('pages /search/jql with nextPageToken (no total, no startAt, no token on the last page); /search is gone', async () => {
    for (let k = 0; k < 4; k++) await create('SEC', ['vulnsync', 'paging'])
    const keys: string[] = []
    let token: string | undefined
    let pages = 0
    do {
      const r = await call('POST', '/search/jql', {
        jql: 'project = SEC AND labels = paging ORDER BY created ASC',
        maxResults: 3,
        fields: ['status', 'updated'],
        ...(token ? { nextPageToken: token } : {}),
      })
      expect(r.status).toBe(200)
      expect(r.json).not.toHaveProperty('total')
      expect(r.json).not.toHaveProperty('startAt')
      keys.push(...r.json.issues.map((i: any) => i.key))
      token = r.json.nextPageToken
      expect(r.json.isLast).toBe(token === undefined)
      pages++
    } while (token)
    expect(pages).toBe(2)
    expect(keys).toHaveLength(4)
    expect(new Set(keys).size).toBe(4)
    expect((await call('GET', '/search?jql=project%3DSEC')).status).toBe(410)
    expect((await call('POST', '/search/jql', { jql: 'labels = vulnsync' })).status).toBe(400) // unbounded
  })

  it('answers 429 with Retry-After while rate limited', async () => {
    sim.setFaults({ jiraRateLimitNext: 2, jiraRetryAfter: 7 })
    const a = await call('GET', '/myself')
    expect(a.status).toBe(429)
    expect(a.headers.get('retry-after')).toBe('7')
    expect((await call('GET', '/myself')).status).toBe(429)
    expect((await call('GET', '/myself')).status).toBe(200)
    sim.setFaults({})
  })
})

describe('jira simulator: webhooks', () => {
  const SECRET = 'simulator-webhook-secret'
  beforeAll(() => sim.addWebhook({ url: receiverUrl, secret: SECRET, label: 'hooked' }))

  it('sends every change of a labelled ticket, signed, with the acting user; retries a failing receiver', async () => {
    got.length = 0
    await create('SEC', ['other']) // not matched by the webhook's filter
    failFirst = 2
    const { key } = await create('SEC', ['vulnsync', 'hooked'])
    await sim.settled()
    expect(got.map((g) => g.json.webhookEvent)).toEqual(['jira:issue_created'])
    const g = got[0]!
    expect(g.headers['x-hub-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(g.body).digest('hex')}`)
    expect(g.headers['x-atlassian-webhook-retry']).toBe('2')
    expect(g.json).toMatchObject({ user: { accountId: 'acc-vulnsync' }, issue: { key } })
    sim.humanChange(key, { status: 'Done', resolution: "Won't Fix" })
    await sim.settled()
    expect(got[1]!.json).toMatchObject({
      webhookEvent: 'jira:issue_updated',
      user: { accountId: 'acc-human' },
      issue: { fields: { status: { name: 'Done' }, resolution: { name: "Won't Fix" } } },
      changelog: {
        items: [
          { field: 'status', toString: 'Done' },
          { field: 'resolution', toString: "Won't Fix" },
        ],
      },
    })
  })

  it('delivers duplicates and out of order when told to, each carrying its own update time', async () => {
    const { key } = await create('SEC', ['vulnsync', 'hooked'])
    await sim.settled()
    got.length = 0
    sim.webhookFaults.duplicate = true
    sim.hold()
    sim.humanChange(key, { status: 'In Progress' })
    sim.humanChange(key, { status: 'Done' })
    expect(got).toHaveLength(0) // held
    await sim.release({ order: 'reverse' })
    sim.webhookFaults.duplicate = false
    const seen = got.map((g) => g.json.issue.fields.status.name)
    expect(seen).toEqual(['Done', 'Done', 'In Progress', 'In Progress'])
    const updated = got.map((g) => Date.parse(g.json.issue.fields.updated.replace(/(\d\d)(\d\d)$/, '$1:$2')))
    expect(updated[0]).toBeGreaterThan(updated[2]!) // the late one is older
  })
})
