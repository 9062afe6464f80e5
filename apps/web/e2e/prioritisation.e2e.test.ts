// Prioritisation in real Chromium against a real vulnsync server and the feeds simulator (issue 15): KEV and EPSS
// chips and filters in the queue, the feeds' status on the Prioritisation page, the priority policy changed after a
// dry run whose table of moves is what the save then does, and the change with its cause on the issue's timeline.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { arrayDataset, createTestConnector, type TestRaw } from '@vulnsync/server/sync/test-connector.ts'
import { seedRepositories } from '@vulnsync/server/sync/test-support.ts'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import { type FeedsSimulator, startFeedsSimulator } from '@vulnsync/simulators/feeds/index.ts'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const PASSWORD = 'prioritise-password-1'
const KEV_ONLY = 'CVE-2026-91001' // in KEV; its scanner sends no exploit signal at all
const HOT = 'CVE-2026-91002' // EPSS 0.43
const COLD = 'CVE-2026-91003' // EPSS 0.004

const row = (id: string, cve: string, over: Partial<TestRaw> = {}): TestRaw => ({
  id,
  ids: [cve],
  purl: 'pkg:npm/lodash@4.17.20',
  repo: 'https://github.com/acme/web',
  severity: 'low',
  detectedAt: '2026-10-01T00:00:00Z',
  ...over,
})
const rows: TestRaw[] = [
  row('k', KEV_ONLY),
  row('h', HOT, { severity: 'medium' }),
  row('c', COLD, { severity: 'high', reachable: 'unreachable' }),
]
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })

let app: TestApp
let sim: FeedsSimulator
let base: string
let page: Page
let closeBrowser: () => Promise<void>
const pageErrors: string[] = []

const issueOf = async (cve: string) => (await app.api('GET', `/api/v1/vulnerabilities?cve=${cve}`)).body.items[0]
/** asks for a refresh (202) and waits until its job has recorded a successful load */
const refresh = async (name: 'kev' | 'epss') => {
  expect((await app.api('POST', `/api/v1/feeds/${name}/refresh`)).status).toBe(202)
  for (const deadline = Date.now() + 60_000; ; ) {
    const f = (await app.api('GET', '/api/v1/feeds')).body.items.find((x: any) => x.name === name)
    if (!f.refreshing && f.lastRefreshAt) {
      expect(f.lastError).toBeNull()
      return
    }
    if (Date.now() > deadline) throw new Error(`the ${name} refresh did not finish`)
    await new Promise((res) => setTimeout(res, 200))
  }
}

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npm run build:web` first')
  sim = await startFeedsSimulator({
    kev: { add: [{ cveID: KEV_ONLY, dateAdded: '2024-05-02', dueDate: '2024-05-23', knownRansomware: true }] },
    epss: {
      rows: 2000,
      scores: { [HOT]: { score: 0.43, percentile: 0.97 }, [COLD]: { score: 0.004, percentile: 0.3 } },
    },
  })
  app = await startTestApp({
    serveWeb: true,
    connectors: { test: scanner as any },
    env: { VULNSYNC_KEV_URL: sim.kevUrl, VULNSYNC_EPSS_URL: sim.epssUrl },
  })
  base = app.url.replace(/\/+$/, '')
  await seedRepositories(app.db, app.rt.workspaceId, [{ fullName: 'acme/web', externalId: 'w1' }])
  expect((await app.api('POST', '/api/v1/users', { username: 'lead', password: PASSWORD, role: 'admin' })).status).toBe(
    201,
  )
  const c = await app.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 'x' } })
  await app.waitForRun(c.body.run.id)
  await refresh('kev')
  await refresh('epss')
  const browser = await launch()
  closeBrowser = browser.close
  page = await browser.context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`${base}/vulnerabilities`)
  await page.getByLabel('User name', { exact: true }).fill('lead')
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('.whoami-name', { hasText: 'lead' }).waitFor()
}, 120_000)

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
  await sim?.close()
})

const chipsOf = (cve: string) =>
  page
    .locator('tr', { has: page.getByRole('link', { name: cve }) })
    .locator('.feed-chips .chip')
    .allInnerTexts()

describe('prioritisation in the web app', () => {
  it('the queue shows KEV and EPSS chips and filters by them', async () => {
    await page.getByRole('link', { name: KEV_ONLY }).waitFor()
    expect(await chipsOf(KEV_ONLY)).toEqual(['KEV · ransomware'])
    expect(await chipsOf(HOT)).toEqual(['EPSS 0.43'])
    expect(await chipsOf(COLD)).toEqual(['EPSS 0.004'])
    await page.getByLabel('CISA KEV', { exact: true }).selectOption('true')
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1)
    expect(await page.locator('tbody tr').innerText()).toContain(KEV_ONLY)
    await page.getByLabel('CISA KEV', { exact: true }).selectOption('')
    await page.getByLabel('EPSS', { exact: true }).selectOption('0.1')
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1)
    expect(await page.locator('tbody tr').innerText()).toContain(HOT)
    expect(page.url()).toContain('epssMin=0.1')
  })

  it('shows the feeds, and changes the policy after a dry run whose moves the save then makes', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Prioritisation' }).click()
    await page.getByRole('heading', { level: 1, name: 'Prioritisation' }).waitFor()
    const feeds = page.locator('.feeds-table tbody tr')
    await expect.poll(() => feeds.count()).toBe(2)
    expect(await page.locator('tr[data-feed="kev"]').innerText()).toMatch(
      /CISA Known Exploited Vulnerabilities[\s\S]*1,4\d\d[\s\S]*Loaded/,
    )
    expect(await page.locator('tr[data-feed="epss"]').innerText()).toMatch(/FIRST EPSS[\s\S]*2,00\d[\s\S]*Loaded/)

    expect((await issueOf(KEV_ONLY)).priority).toBe('critical')
    const form = page.getByRole('form', { name: 'Priority policy' })
    expect(await form.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true)
    const before = (await app.api('GET', '/api/v1/policies/priority')).body
    const next = { ...before, kev: 'none' }
    const expected = (await app.api('PUT', '/api/v1/policies/priority?dryRun=true', next)).body
    expect(expected.moves).toEqual([{ from: 'critical', to: 'low', count: 1, open: 1 }])

    await form.getByLabel(/Is only marked/).check()
    await form.getByRole('button', { name: 'Preview changes' }).click()
    const preview = form.getByRole('region', { name: 'What saving changes' })
    await preview.waitFor()
    const table = await preview
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())),
      )
    expect(table).toEqual([['Critical', 'Low', '1', '1']])
    expect((await app.api('GET', '/api/v1/policies/priority')).body).toEqual(before)
    await page.screenshot({ path: shot('40-prioritisation-preview'), fullPage: true })
    await form.getByRole('button', { name: 'Save policy' }).click()
    await expect.poll(async () => (await issueOf(KEV_ONLY)).priority).toBe('low')
    expect((await app.api('GET', '/api/v1/policies/priority')).body).toEqual(next)
  })

  it("the issue's timeline shows the priority change with its cause", async () => {
    const id = (await issueOf(KEV_ONLY)).id
    await page.goto(`${base}/vulnerabilities/${id}`)
    await page.getByRole('heading', { level: 1, name: new RegExp(KEV_ONLY) }).waitFor()
    await expect
      .poll(() => page.locator('.tl-label').allInnerTexts())
      .toEqual(
        expect.arrayContaining([
          'Priority Low → Critical: feed refresh',
          'Priority Critical → Low: priority policy changed',
        ]),
      )
    expect(pageErrors).toEqual([])
  })
})
