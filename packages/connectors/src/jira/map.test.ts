import { createHmac } from 'node:crypto'
import { type TicketState, ticketContent } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { ticketDescription } from './adf.ts'
import { jiraTime } from './client.ts'
import { JiraConfig, type JiraSecrets } from './config.ts'
import { jiraVerdict } from './map.ts'
import { parseJiraWebhook } from './webhook.ts'

const config = JiraConfig.parse({
  siteUrl: 'https://acme.atlassian.net/',
  projectKey: 'sec',
  acceptedResolutions: ["Won't Fix"],
  falsePositiveResolutions: ['Not a bug'],
  notAffectedResolutions: ['Not affected'],
  acceptanceDays: 45,
})
const SECRET = 'jira-webhook-secret-0123456789'
const secrets: JiraSecrets = { email: 'bot@acme.example', apiToken: 't', webhookSecret: SECRET }

const state = (over: Partial<TicketState> = {}): TicketState => ({
  id: '10001',
  key: 'SEC-1',
  url: 'https://acme.atlassian.net/browse/SEC-1',
  category: 'done',
  status: 'Done',
  resolution: null,
  updatedAt: new Date('2026-12-02T10:00:00Z'),
  byAccount: null,
  ...over,
})

describe('what a Jira state means for vulnsync', () => {
  it('judges closure by the status category, never by the resolution field', () => {
    // a custom workflow leaves a resolution on a ticket that is back in progress
    expect(jiraVerdict(config, state({ category: 'indeterminate', resolution: "Won't Fix" }))).toEqual({
      category: 'indeterminate',
      decision: null,
    })
    // closed with no resolution at all is still closed
    expect(jiraVerdict(config, state({ resolution: null }))).toEqual({ category: 'done', decision: null })
  })
  it('maps a resolution to a decision only through the configured lists, an acceptance with its expiry', () => {
    expect(jiraVerdict(config, state({ resolution: "won't fix " })).decision).toEqual({
      kind: 'accepted',
      reason: `Jira SEC-1 was closed as "won't fix "`,
      expiresInDays: 45,
    })
    expect(jiraVerdict(config, state({ resolution: 'Not a bug' })).decision).toMatchObject({
      kind: 'false_positive',
      expiresInDays: null,
    })
    expect(jiraVerdict(config, state({ resolution: 'Not affected' })).decision?.kind).toBe('not_affected')
    expect(jiraVerdict(config, state({ resolution: 'Duplicate' }))).toEqual({ category: 'done', decision: null })
  })
})

describe('Jira webhooks', () => {
  const body = JSON.stringify({
    timestamp: 1764669600000,
    webhookEvent: 'jira:issue_updated',
    user: { accountId: 'acc-human' },
    issue: {
      id: '10001',
      key: 'SEC-1',
      fields: {
        status: { name: 'Won’t Do', statusCategory: { key: 'done' } },
        resolution: { name: "Won't Fix" },
        updated: '2026-12-02T11:30:00.123+0100',
      },
    },
  })
  const sign = (b: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(b, 'utf8').digest('hex')}`
  const deliver = (headers: Record<string, string>, rawBody = body, pathToken: string | null = null) =>
    parseJiraWebhook(config, secrets, { headers, rawBody, pathToken })

  it('takes a delivery signed with the secret, as the ticket it is about, with who changed it and when', () => {
    const r = deliver({ 'x-hub-signature': sign(body) })
    expect(r).toEqual({
      ok: true,
      event: 'jira:issue_updated',
      ticket: {
        id: '10001',
        key: 'SEC-1',
        url: 'https://acme.atlassian.net/browse/SEC-1',
        category: 'done',
        status: 'Won’t Do',
        resolution: "Won't Fix",
        updatedAt: new Date('2026-12-02T10:30:00.123Z'),
        byAccount: 'acc-human',
      },
    })
  })
  it('takes an unsigned delivery only with the secret in its URL', () => {
    expect(deliver({}, body, SECRET)).toMatchObject({ ok: true })
    expect(deliver({}, body, 'another-secret-0123456789')).toMatchObject({ ok: false, status: 401 })
    expect(deliver({})).toMatchObject({ ok: false, status: 401 })
  })
  it('refuses a signature over other bytes or with another secret', () => {
    expect(deliver({ 'x-hub-signature': sign(body, 'another-secret-0123456789') })).toMatchObject({
      ok: false,
      status: 401,
    })
    const tampered = body.replace('"key":"done"', '"key":"new"')
    expect(tampered).not.toBe(body)
    expect(deliver({ 'x-hub-signature': sign(body) }, tampered)).toMatchObject({ ok: false, status: 401 })
    expect(deliver({ 'x-hub-signature': 'sha256=00' })).toMatchObject({ ok: false, status: 401 })
  })
  it('answers 400 for a verified body that is not a Jira webhook, and ignores events without an issue', () => {
    const notJson = 'not json'
    expect(deliver({ 'x-hub-signature': sign(notJson) }, notJson)).toMatchObject({ ok: false, status: 400 })
    const other = JSON.stringify({ hello: 'world' })
    expect(deliver({ 'x-hub-signature': sign(other) }, other)).toMatchObject({ ok: false, status: 400 })
    const project = JSON.stringify({ webhookEvent: 'project_updated' })
    expect(deliver({ 'x-hub-signature': sign(project) }, project)).toEqual({
      ok: true,
      event: 'project_updated',
      ticket: null,
    })
  })
  it('refuses every delivery while the connection has no webhook secret', () => {
    const r = parseJiraWebhook(
      config,
      { ...secrets, webhookSecret: undefined },
      { headers: {}, rawBody: body, pathToken: null },
    )
    expect(r).toMatchObject({ ok: false, status: 401, message: expect.stringContaining('no webhook secret') })
  })
})

describe('the ticket description (Atlassian Document Format)', () => {
  it('carries the CVEs with links, priority and why, owner, SLA due date, evidence and a link back', () => {
    const content = ticketContent(
      [
        {
          id: '7',
          cve: 'CVE-2026-0001',
          aliases: ['GHSA-aaaa-bbbb-cccc'],
          packageName: 'lodash',
          packageKey: 'pkg:npm/lodash',
          versions: ['4.17.20'],
          fixedVersions: ['4.17.21'],
          targetName: 'acme/web',
          targetUrl: 'https://github.com/acme/web',
          severity: 'high',
          priority: 'critical',
          explanation: 'High → Critical because it is in CISA KEV (endor)',
          status: 'open',
          stage: 'triaged',
          owner: 'dana',
          slaDueAt: new Date('2027-01-10T00:00:00Z'),
          sources: ['endor', 'ox'],
          evidence: ['endor: Prototype pollution (https://endor.example/f/1)'],
          url: 'https://vulnsync.example/vulnerabilities/7',
        },
      ],
      'https://vulnsync.example/vulnerabilities?repository=acme%2Fweb',
    )
    const doc = ticketDescription(content)
    expect(doc).toMatchObject({ type: 'doc', version: 1 })
    const flat = JSON.stringify(doc)
    for (const s of [
      'CVE-2026-0001',
      'GHSA-aaaa-bbbb-cccc',
      'High → Critical because it is in CISA KEV (endor)',
      'dana',
      '2027-01-10',
      'endor, ox',
      'Prototype pollution',
      'Upgrading to 4.17.21',
    ])
      expect(flat).toContain(s)
    const links = [...flat.matchAll(/"href":"([^"]+)"/g)].map((m) => m[1])
    expect(links).toContain('https://vulnsync.example/vulnerabilities/7')
    expect(links).toContain('https://vulnsync.example/vulnerabilities?repository=acme%2Fweb')
    // ADF refuses empty text nodes
    expect(flat).not.toContain('"text":""')
  })
  it('reads Jira times with their offset', () => {
    expect(jiraTime('2026-12-02T10:00:00.000+0000').toISOString()).toBe('2026-12-02T10:00:00.000Z')
    expect(jiraTime('2026-12-02T10:00:00.000-0530').toISOString()).toBe('2026-12-02T15:30:00.000Z')
  })
})
