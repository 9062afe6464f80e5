// Time to first render of the queue at 500,000 issues, in Chromium against a real server (PGlite).
// Opt-in (it seeds half a million rows): VULNSYNC_E2E_500K=1 npx vitest run --config apps/web/vitest.e2e.config.ts queue-500k
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const N = Number(process.env.VULNSYNC_E2E_ISSUES ?? 500_000)
const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const USER = { username: 'e2e-perf', password: 'e2e-password-1234' }

describe.skipIf(process.env.VULNSYNC_E2E_500K !== '1')(`the queue at ${N.toLocaleString('en-US')} issues`, () => {
  let app: TestApp
  let page: Page
  let closeBrowser: () => Promise<void>
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npx vite build` in apps/web first')
    app = await startTestApp({ serveWeb: true })
    expect((await app.api('POST', '/api/v1/users', { ...USER, role: 'admin' })).status).toBe(201)
    // one connection to be the source of every issue (no sync: rows are seeded directly)
    const { rows: conn } = await app.db.query<{ id: string }>(
      `INSERT INTO connections (workspace_id, kind, name, config, secrets_enc, schedule_cron, next_sync_at)
       VALUES ($1, 'endor', 'Endor Labs (seeded)', '{}'::jsonb, '', '0 */6 * * *', now() + interval '6 hours') RETURNING id`,
      [app.rt.workspaceId],
    )
    const connectionId = conn[0]!.id
    const t0 = performance.now()
    await app.db.query(
      `INSERT INTO issues (workspace_id, target_key, package_key, cve, target_kind, target_name, target_url, package_name, ecosystem,
                           versions, severity, severity_rank, priority, priority_rank, status, detected_at, first_seen_at, last_seen_at)
       SELECT $1, 'github.com/acme/service-' || (g % 2000), 'pkg:npm/package-' || (g % 5000), 'CVE-' || (2015 + g % 10) || '-' || (100000 + g),
              'repository', 'acme/service-' || (g % 2000), 'https://github.com/acme/service-' || (g % 2000), 'package-' || (g % 5000), 'npm',
              jsonb_build_array('1.' || (g % 20) || '.0'),
              (ARRAY['critical','high','medium','low','info'])[1 + g % 5], 4 - g % 5,
              (ARRAY['critical','high','medium','low','info'])[1 + (g * 7 / 3) % 5], 4 - (g * 7 / 3) % 5,
              CASE WHEN g % 10 = 0 THEN 'fixed' ELSE 'open' END,
              now() - (g % 900) * interval '1 day', now() - (g % 300) * interval '1 day', now()
         FROM generate_series(1, $2::int) g`,
      [app.rt.workspaceId, N],
    )
    await app.db.query(
      `INSERT INTO issue_sources (issue_id, connection_id, kind, present) SELECT id, $1, 'endor', true FROM issues WHERE workspace_id = $2`,
      [connectionId, app.rt.workspaceId],
    )
    await app.db.query('ANALYZE')
    timings.seedMs = performance.now() - t0
    const browser = await launch()
    closeBrowser = browser.close
    page = await browser.context.newPage()
    await page.goto(`${app.url}/signin`)
    await page.getByLabel('User name', { exact: true }).fill(USER.username)
    await page.getByLabel('Password', { exact: true }).fill(USER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
  }, 900_000)

  afterAll(async () => {
    console.log(
      `queue at ${N} issues (ms):`,
      JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))),
    )
    await closeBrowser?.()
    await app?.close()
  })

  /** navigation start → the first row of the table is painted */
  const firstRows = async (path: string, name: string): Promise<void> => {
    const t = performance.now()
    await page.goto(`${app.url}${path}`)
    await page.locator('tbody tr').first().waitFor({ timeout: 120_000 })
    timings[name] = performance.now() - t
    // then the counts per severity (asked for after the rows); the next measurement starts on an idle server
    await page.locator('.sev-counts[aria-busy="false"]').waitFor({ timeout: 120_000 })
    timings[`${name}Counts`] = performance.now() - t
  }

  it('answers the API calls the queue makes (server time, for comparison)', async () => {
    const time = async (path: string) => {
      const t = performance.now()
      const r = await app.api('GET', path)
      expect(r.status).toBe(200)
      return performance.now() - t
    }
    timings.apiList = await time('/api/v1/vulnerabilities?status=open&limit=50')
    timings.apiSummary = await time('/api/v1/vulnerabilities/summary?status=open')
    timings.apiListFiltered = await time('/api/v1/vulnerabilities?status=open&source=endor&severity=critical&limit=50')
    timings.apiSummaryFiltered = await time('/api/v1/vulnerabilities/summary?status=open&source=endor')
    timings.apiListText = await time('/api/v1/vulnerabilities?status=open&q=package-42&limit=50')
  })

  it('renders the first page of the queue', async () => {
    // the default view: open issues by priority
    await firstRows('/vulnerabilities', 'firstRenderCold')
    await firstRows('/vulnerabilities', 'firstRenderWarm')
    // every issue, open and fixed
    await firstRows('/vulnerabilities?status=any', 'firstRenderAll')
    await page
      .locator('.sev-count-total .sev-count-n', { hasText: N.toLocaleString('en-US') })
      .waitFor({ timeout: 120_000 })
    await page.screenshot({ path: shot('perf-queue-500k') })
    expect(await page.locator('tbody tr').count()).toBe(50)
  })

  it('filters by source tool and severity and pages on', async () => {
    await firstRows('/vulnerabilities?source=endor&severity=critical', 'filtered')
    const t = performance.now()
    const firstBefore = await page.locator('tbody tr .cell-cve a').first().innerText()
    await page.getByRole('button', { name: 'Next' }).click()
    await expect
      .poll(() => page.locator('tbody tr .cell-cve a').first().innerText(), { timeout: 120_000 })
      .not.toBe(firstBefore)
    timings.nextPage = performance.now() - t
    const t2 = performance.now()
    await page.getByLabel('Search').fill('package-42')
    await page.locator('.active-filters', { hasText: 'package-42' }).waitFor({ timeout: 120_000 })
    await expect.poll(() => page.locator('.table-wrap').getAttribute('aria-busy'), { timeout: 120_000 }).toBe('false')
    timings.freeTextAfterTyping = performance.now() - t2
  })
})
