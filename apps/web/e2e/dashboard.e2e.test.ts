// The dashboard in real Chromium against a real vulnsync server (issue 17): it is where sign-in lands; the window
// switch and a team filter change the URL and the numbers; a chart shows its table; a bar leads into the queue with
// the matching filters.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { keepDailyHistory } from '@vulnsync/server/insights/history.ts'
import { arrayDataset, createTestConnector, type TestRaw } from '@vulnsync/server/sync/test-connector.ts'
import { seedRepositories } from '@vulnsync/server/sync/test-support.ts'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const USER = { username: 'lead', password: 'dashboard-password-1' }
const DAY = 86_400_000
const ago = (n: number) => new Date(Date.now() - n * DAY).toISOString()
const row = (id: string, cve: string, severity: string, repo: string, days: number): TestRaw => ({
  id,
  ids: [cve],
  purl: 'pkg:npm/lodash@4.17.20',
  repo: `https://github.com/acme/${repo}`,
  severity,
  detectedAt: ago(days),
})
let rowsA = [
  row('a1', 'CVE-2026-17001', 'critical', 'web', 50),
  row('a2', 'CVE-2026-17002', 'high', 'web', 20),
  row('a3', 'CVE-2026-17003', 'medium', 'api', 10),
  row('a4', 'CVE-2026-17004', 'critical', 'api', 5),
]
const rowsB = [row('b1', 'CVE-2026-17001', 'critical', 'web', 48), row('b2', 'CVE-2026-17005', 'low', 'web', 30)]
const scannerA = createTestConnector(() => arrayDataset(rowsA), { pageSize: 50 })
const scannerB = createTestConnector(() => arrayDataset(rowsB), { pageSize: 50 })

let app: TestApp
let base: string
let page: Page
let closeBrowser: () => Promise<void>
let teamId = ''
const pageErrors: string[] = []

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npx vite build` in apps/web first')
  app = await startTestApp({
    serveWeb: true,
    connectors: { test: scannerA as any, other: { ...scannerB, kind: 'other', title: 'Other scanner' } as any },
  })
  base = app.url.replace(/\/+$/, '')
  await seedRepositories(app.db, app.rt.workspaceId, [
    { fullName: 'acme/web', externalId: 'w1' },
    { fullName: 'acme/api', externalId: 'a1' },
  ])
  expect((await app.api('POST', '/api/v1/users', { ...USER, role: 'viewer' })).status).toBe(201)
  const team = await app.api('POST', '/api/v1/teams', { name: 'Payments' })
  expect(team.status, team.text).toBe(201)
  teamId = team.body.id ?? team.body.team?.id
  const rule = await app.api('POST', '/api/v1/ownership-rules', { match: { repository: 'acme/web' }, teamId })
  expect(rule.status, rule.text).toBe(201)
  const a = await app.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner A', secrets: { token: 'x' } })
  await app.waitForRun(a.body.run.id)
  const b = await app.api('POST', '/api/v1/connections', { kind: 'other', name: 'Scanner B', secrets: { token: 'x' } })
  await app.waitForRun(b.body.run.id)
  // a2 is fixed: the next sync of A no longer reports it
  rowsA = rowsA.filter((r) => r.id !== 'a2')
  await app.waitForRun((await app.api('POST', `/api/v1/connections/${a.body.connection.id}/syncs`)).body.run.id)
  // the history before today, rebuilt from the issues' dates as on the first day after an upgrade
  await app.db.query('DELETE FROM insight_snapshot_days')
  await app.db.query('DELETE FROM insight_snapshots')
  await keepDailyHistory(app.rt)

  const browser = await launch()
  closeBrowser = browser.close
  page = await browser.context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`${base}/signin`)
  await page.getByLabel('User name', { exact: true }).fill(USER.username)
  await page.getByLabel('Password', { exact: true }).fill(USER.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}, 180_000)

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
})

const headline = (label: string) =>
  page.getByRole('region', { name: 'Headline numbers' }).getByRole('link', { name: new RegExp(`^${label}`) })

describe('the dashboard', () => {
  it('is the landing page after sign-in, with the headline numbers and a chart of every measure', async () => {
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/dashboard')
    // open critical: a1 (web, both scanners) and a4 (api)
    await expect.poll(() => headline('Open critical').innerText()).toMatch(/Open critical\s+2/)
    await expect.poll(() => headline('Fixed this week').innerText()).toMatch(/Fixed this week\s+1/)
    for (const title of [
      'Open issues by priority',
      'New versus fixed',
      'Time to fix',
      'SLA compliance',
      'Decisions',
      'Scanner overlap',
    ])
      await page.getByRole('heading', { name: title, level: 2 }).waitFor()
    // the charts are SVG
    await page.locator('[data-testid="chart-open"] svg.recharts-surface').first().waitFor()
    await page.screenshot({ path: shot('dashboard-01-landing'), fullPage: true })
  })

  it('switches the window and filters by team, both kept in the URL', async () => {
    await page.getByRole('button', { name: '30 days' }).click()
    await page.waitForURL(/window=30d/)
    expect(await page.getByRole('button', { name: '30 days' }).getAttribute('aria-pressed')).toBe('true')
    await page.getByLabel('Team').selectOption({ label: 'Payments' })
    await page.waitForURL(new RegExp(`team=${teamId}`))
    expect(new URL(page.url()).searchParams.get('window')).toBe('30d')
    // Payments owns acme/web: a1 is its one open critical issue
    await expect.poll(() => headline('Open critical').innerText()).toMatch(/Open critical\s+1/)
    // the table view of the open issues: 30 daily rows, today with a1 (critical) and b2 (low)
    const card = page.getByTestId('chart-open')
    await card.getByRole('button', { name: 'Table' }).click()
    const rows = card.locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(30)
    const today = await rows.last().locator('td').allInnerTexts()
    // as of, critical, high, medium, low, info, total
    expect(today.slice(1)).toEqual(['1', '0', '0', '1', '0', '2'])
    await card.getByRole('button', { name: 'Chart' }).click()
    await page.screenshot({ path: shot('dashboard-02-filtered'), fullPage: true })
  })

  it('follows a bar of the chart into the queue with the matching filters', async () => {
    const bar = page.locator('[data-testid="chart-open"] path.recharts-rectangle[fill="#8e1b1b"]').last()
    await bar.waitFor()
    await bar.click()
    await page.waitForURL(/\/vulnerabilities\?/)
    const q = new URL(page.url()).searchParams
    expect(q.get('priority')).toBe('critical')
    expect(q.get('team')).toBe(teamId)
    await page.getByRole('heading', { name: 'Vulnerabilities', level: 1 }).waitFor()
    await page
      .getByRole('cell', { name: /CVE-2026-17001/ })
      .first()
      .waitFor()
    expect(await page.getByRole('cell', { name: /CVE-2026-17004/ }).count()).toBe(0)
    expect(pageErrors).toEqual([])
  })
})
