// Outbound in the web app, in real Chromium against a real server, the Jira Cloud simulator and a webhook receiver:
// Jira among the ticket trackers with its webhook URL, a ticket made by hand from the detail page, tickets for what a
// queue filter matches, the VEX downloads, the Notifications page (a signed webhook whose secret shows once, its
// delivery log filled by the outbound job, a redelivery), and the team picker of Jira's ticket rule.
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { runOutbound } from '@vulnsync/server/outbound/job.ts'
import { verifySignature } from '@vulnsync/server/outbound/signature.ts'
import { arrayDataset, createTestConnector, type TestRaw } from '@vulnsync/server/sync/test-connector.ts'
import { seedRepositories } from '@vulnsync/server/sync/test-support.ts'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import { type JiraSimulator, startJiraSimulator } from '@vulnsync/simulators/jira/index.ts'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const USER = { username: 'e2e-outbound', password: 'e2e-password-1234' }

let rows: TestRaw[] = []
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
const row = (id: string, cve: string, severity: string, pkg: string): TestRaw => ({
  id,
  ids: [cve],
  purl: `pkg:npm/${pkg}@1.0.0`,
  repo: 'https://github.com/acme/web',
  severity,
  detectedAt: new Date(Date.now() - 86_400_000).toISOString(),
})

let app: TestApp
let base: string
let sim: JiraSimulator
let receiver: Server
let receiverUrl = ''
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = []
let scannerId = ''
let context: BrowserContext
let closeBrowser: () => Promise<void>
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npm run build:web` first')
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  sim = await startJiraSimulator()
  rows = [row('a', 'CVE-2026-1101', 'medium', 'left-pad'), row('b', 'CVE-2026-1102', 'low', 'right-pad')]
  app = await startTestApp({ serveWeb: true, connectors: { test: scanner as any } })
  base = app.url.replace(/\/+$/, '')
  await seedRepositories(app.db, app.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'w1' }])
  expect((await app.api('POST', '/api/v1/users', { ...USER, role: 'admin' })).status).toBe(201)
  const s = await app.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
  scannerId = s.body.connection.id
  await app.waitForRun(s.body.run.id)
  const j = await app.api('POST', '/api/v1/connections', {
    kind: 'jira',
    name: 'Jira',
    config: { siteUrl: sim.url, projectKey: 'SEC', minPriority: 'none' },
    secrets: { email: 'bot@acme.example', apiToken: 'jira-token', webhookSecret: 'jira-webhook-secret-0123456789' },
  })
  expect(j.status, JSON.stringify(j.body)).toBe(201)
  await app.waitForRun(j.body.run.id)
  await runOutbound(app.rt) // the outbox starts here: what happened before is not news
  const browser = await launch()
  context = browser.context
  closeBrowser = browser.close
  page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
  await sim?.close()
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()))
})

const issueId = async (cve: string) =>
  String((await app.api('GET', `/api/v1/vulnerabilities?cve=${cve}`)).body.items[0].id)

describe('outbound in the web app', () => {
  it('signs in and shows Jira among the ticket trackers, with its webhook URL and no location picker', async () => {
    await page.goto(`${base}/integrations`)
    await page.getByLabel('User name', { exact: true }).fill(USER.username)
    await page.getByLabel('Password', { exact: true }).fill(USER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Integrations' }).waitFor()
    const trackers = page.getByRole('region', { name: 'Ticket trackers' })
    await trackers.getByRole('heading', { name: 'Jira Cloud' }).waitFor()
    expect(await page.getByRole('region', { name: 'Scanners' }).getByText('Jira Cloud').count()).toBe(0)
    const jiraId = (await app.api('GET', '/api/v1/connections')).body.items.find((c: any) => c.kind === 'jira').id
    expect(await trackers.getByTestId('tracker-webhook-url').textContent()).toBe(`${base}/api/v1/hooks/${jiraId}`)
    expect(await trackers.getByRole('button', { name: 'Choose what Jira syncs' }).count()).toBe(0)
    await trackers.scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('outbound-01-trackers') })
  })

  it('makes a ticket by hand from the detail page and shows it with a link to Jira', async () => {
    const id = await issueId('CVE-2026-1101')
    await page.goto(`${base}/vulnerabilities/${id}`)
    const card = page.getByRole('region', { name: 'Tickets' })
    await card.getByText('No ticket yet.').waitFor()
    await card.getByRole('button', { name: 'Create ticket' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create a ticket' })
    expect(await dialog.getByLabel('Tracker').inputValue()).toBeTruthy()
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.waitFor({ state: 'detached' })
    const link = card.getByRole('link', { name: /^SEC-\d+$/ })
    await link.waitFor()
    const key = (await link.textContent())!.trim()
    expect(await link.getAttribute('href')).toBe(`${sim.url}/browse/${key}`)
    expect(sim.issue(key).summary).toBe('CVE-2026-1101 in left-pad 1.0.0 (acme/web)')
    await page.screenshot({ path: shot('outbound-02-detail-ticket') })
  })

  it('offers tickets for every issue a queue filter matches, and VEX downloads of the same filter', async () => {
    await page.goto(`${base}/vulnerabilities?severity=low`)
    await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor()
    const cdx = page.getByRole('link', { name: 'CycloneDX VEX' })
    expect(await cdx.getAttribute('href')).toBe('/api/v1/exports/cyclonedx-vex?severity=low&status=open')
    expect(await page.getByRole('link', { name: 'OpenVEX' }).getAttribute('href')).toBe(
      '/api/v1/exports/openvex?severity=low&status=open',
    )
    const download = page.waitForEvent('download')
    await cdx.click()
    const file = await (await download).path()
    const doc = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8')))
    expect(doc.bomFormat).toBe('CycloneDX')
    expect(doc.vulnerabilities.map((v: any) => v.id)).toEqual(['CVE-2026-1102'])
    await expect.poll(() => page.getByRole('button', { name: 'Create tickets' }).isEnabled()).toBe(true)
    await page.getByRole('button', { name: 'Create tickets' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create tickets for 1 issue' })
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.getByText(/SEC-\d+ ready/).waitFor()
    const tickets = (await app.api('GET', `/api/v1/vulnerabilities/${await issueId('CVE-2026-1102')}/tickets`)).body
    expect(tickets.items.map((t: any) => t.key)).toEqual([expect.stringMatching(/^SEC-\d+$/)])
  })

  it('subscribes a signed webhook on the Notifications page, shows its deliveries and redelivers one', async () => {
    await page.getByRole('link', { name: 'Notifications' }).click()
    await page.getByRole('heading', { name: 'Notifications' }).waitFor()
    await page.getByText('No subscriptions yet').waitFor()
    await page.getByRole('button', { name: 'Add subscription' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add subscription' })
    await dialog.getByLabel('Name').fill('SIEM')
    await dialog.getByLabel('URL').fill(receiverUrl)
    await dialog.getByLabel('Issues and SLAs at or above').selectOption('')
    await dialog.getByRole('button', { name: 'Subscribe' }).click()
    const shown = page.getByRole('dialog', { name: 'Signing secret' })
    const secret = (await shown.getByTestId('subscription-secret').textContent())!.trim()
    expect(secret).toMatch(/^whsec_/)
    await shown.getByRole('button', { name: 'Done' }).click()
    await page.getByRole('cell', { name: 'SIEM', exact: true }).waitFor()
    expect(await page.content()).not.toContain(secret)

    // a new issue arrives with a sync; the outbound job tells the receiver, signed
    rows = [...rows, row('c', 'CVE-2026-1103', 'critical', 'up-pad')]
    await app.waitForRun((await app.api('POST', `/api/v1/connections/${scannerId}/syncs`)).body.run.id)
    await runOutbound(app.rt)
    await expect.poll(() => received.length).toBe(1)
    const got = received[0]!
    expect(JSON.parse(got.body).type).toBe('issue.new')
    expect(
      verifySignature(
        secret,
        {
          signature: got.headers['x-vulnsync-signature'] as string,
          timestamp: got.headers['x-vulnsync-timestamp'] as string,
        },
        got.body,
        new Date(),
      ),
    ).toMatchObject({ ok: true })

    await page.reload()
    await page.getByRole('button', { name: 'Delivery log of SIEM' }).click()
    const log = page.getByRole('dialog', { name: 'Delivery log: SIEM' })
    await log.getByRole('cell', { name: /New issue/ }).waitFor()
    await log.getByText('Delivered').waitFor()
    await log.getByText('HTTP 204').waitFor()
    await page.screenshot({ path: shot('outbound-03-delivery-log') })
    await log.getByRole('button', { name: 'Redeliver' }).click()
    await page.getByText('New issue queued again').waitFor()
    await log.getByText(/again \(of #\d+\)/).waitFor()
    await runOutbound(app.rt)
    await expect.poll(() => received.length).toBe(2)
    expect(JSON.parse(received[1]!.body).id).toBe(JSON.parse(got.body).id) // the same event, again
    expect(pageErrors).toEqual([])
  })

  it("edits the Jira rule's teams with a team picker: picked teams are saved as ids and shown picked again", async () => {
    const payments = (await app.api('POST', '/api/v1/teams', { name: 'Payments' })).body.id
    await app.api('POST', '/api/v1/teams', { name: 'Platform' })
    const jira = (await app.api('GET', '/api/v1/connections')).body.items.find((c: any) => c.kind === 'jira')
    await page.goto(`${base}/integrations`)
    const trackers = page.getByRole('region', { name: 'Ticket trackers' })
    await trackers.getByRole('button', { name: 'Configure Jira' }).click()
    const dialog = page.getByRole('dialog', { name: 'Configure Jira' })
    const picker = dialog.getByRole('group', { name: /Only these teams/ })
    await picker.getByRole('checkbox', { name: 'Payments' }).check()
    expect(await picker.getByRole('checkbox', { name: 'Platform' }).isChecked()).toBe(false)
    await page.screenshot({ path: shot('outbound-04-rule-teams') })
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached' })
    expect((await app.api('GET', `/api/v1/connections/${jira.id}`)).body.connection.config.teams).toEqual([payments])

    // open again: Payments is picked; taking it out saves an empty list (every team)
    await trackers.getByRole('button', { name: 'Configure Jira' }).click()
    const again = page.getByRole('dialog', { name: 'Configure Jira' }).getByRole('group', { name: /Only these teams/ })
    expect(await again.getByRole('checkbox', { name: 'Payments' }).isChecked()).toBe(true)
    await again.getByRole('checkbox', { name: 'Payments' }).uncheck()
    await page.getByRole('dialog', { name: 'Configure Jira' }).getByRole('button', { name: 'Save' }).click()
    await page.getByRole('dialog', { name: 'Configure Jira' }).waitFor({ state: 'detached' })
    expect((await app.api('GET', `/api/v1/connections/${jira.id}`)).body.connection.config.teams).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('puts the rows chosen in the queue into a ticket from the bulk bar', async () => {
    rows = [...rows, row('d', 'CVE-2026-1104', 'high', 'mid-pad')]
    await app.waitForRun((await app.api('POST', `/api/v1/connections/${scannerId}/syncs`)).body.run.id)
    const id = await issueId('CVE-2026-1104')
    expect((await app.api('GET', `/api/v1/vulnerabilities/${id}/tickets`)).body.items).toEqual([])
    await page.goto(`${base}/vulnerabilities?cve=CVE-2026-1104`)
    await page.getByLabel('Select CVE-2026-1104 in acme/web').check()
    const bar = page.getByRole('region', { name: 'Bulk actions' })
    await bar.getByRole('button', { name: 'Create tickets…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create a ticket' })
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.getByText(/SEC-\d+ ready/).waitFor()
    const tickets = (await app.api('GET', `/api/v1/vulnerabilities/${id}/tickets`)).body.items
    expect(tickets.map((t: any) => t.key)).toEqual([expect.stringMatching(/^SEC-\d+$/)])
    expect(sim.issue(tickets[0].key).summary).toBe('CVE-2026-1104 in mid-pad 1.0.0 (acme/web)')
    // the selection is cleared once the tickets are asked for
    expect(await page.getByRole('region', { name: 'Bulk actions' }).count()).toBe(0)
    expect(pageErrors).toEqual([])
  })
})
