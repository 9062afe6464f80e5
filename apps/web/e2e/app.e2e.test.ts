// The web app in real Chromium against a real vulnsync server and the vendor simulators (issue 7 part 8):
// sign-in, connect (a failing check, then a working one), a sync with progress, filtering by source tool and severity,
// the detail page, mapping an unmatched target, keyboard navigation and labels, changing your own password, sign-out.
// Screenshots go to .test-artifacts/web/.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import { type EndorSimulator, startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const USER = { username: 'e2e-admin', password: 'e2e-password-1234' }
/** an Endor project whose repository GitHub does not know: it waits in Unmatched */
const UNMATCHED_URL = 'https://bitbucket.example.com/scm/pay/legacy-billing.git'

let app: TestApp
let base: string
let endor: EndorSimulator
let github: GithubSimulator
let context: BrowserContext
let closeBrowser: () => Promise<void>
let page: Page
const pageErrors: string[] = []
/** what Chromium reports of the server's Content-Security-Policy: the app must run without a single violation */
const cspViolations: string[] = []

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npx vite build` in apps/web first')
  github = await startGithubSimulator({ seed: 7, repos: 12 })
  // Endor projects line up with GitHub repositories (clone URLs in the forms scanners give), plus one unknown target
  const ids = github.visibleIds('ghp_admin').slice(0, 5)
  const projectUrls = [
    ...ids.map((id, i) => String(github.repo(id)?.[i % 2 ? 'html_url' : 'clone_url'])),
    UNMATCHED_URL,
  ]
  endor = await startEndorSimulator({ seed: 7, projectUrls, findings: 1500 })
  // the server serves apps/web/dist itself (SPA fallback); rate-limit pauses are real so the UI can show them
  app = await startTestApp({ serveWeb: true, realSleep: true })
  base = app.url.replace(/\/+$/, '')
  expect(base, 'startTestApp must expose the server URL').toMatch(/^http/)
  const created = await app.api('POST', '/api/v1/users', { ...USER, role: 'admin' })
  expect([200, 201]).toContain(created.status)
  // source control first: the inventory the Endor findings are matched against
  const gh = await app.api('POST', '/api/v1/connections', {
    kind: 'github',
    name: 'GitHub',
    config: { baseUrl: github.apiUrl, org: github.org },
    secrets: { token: 'ghp_admin' },
  })
  expect(gh.status, JSON.stringify(gh.body)).toBe(201)
  await app.waitForRun(gh.body.run.id)
  const browser = await launch()
  context = browser.context
  closeBrowser = browser.close
  page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
  })
})

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
  await endor?.close()
  await github?.close()
})

/** every visible form control has an accessible name */
async function unlabelledControls(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const bad: string[] = []
    for (const el of Array.from(document.querySelectorAll('input, select, textarea, button'))) {
      const h = el as HTMLElement
      if (h.offsetParent === null || (el as HTMLInputElement).type === 'hidden') continue
      const labelled =
        h.getAttribute('aria-label') ||
        h.getAttribute('aria-labelledby') ||
        ((el as HTMLInputElement).labels && (el as HTMLInputElement).labels!.length > 0) ||
        (el.tagName === 'BUTTON' && h.textContent?.trim())
      if (!labelled) bad.push(h.outerHTML.slice(0, 120))
    }
    return bad
  })
}

/** tabs from the top of the page and returns what received focus */
async function tabStops(p: Page, n: number): Promise<string[]> {
  await p.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await p.locator('body').focus()
  const stops: string[] = []
  for (let i = 0; i < n; i++) {
    await p.keyboard.press('Tab')
    stops.push(
      await p.evaluate(() => {
        const a = document.activeElement as HTMLElement | null
        if (!a) return ''
        return `${a.tagName.toLowerCase()}:${(a.getAttribute('aria-label') ?? a.textContent ?? '').trim().slice(0, 40)}`
      }),
    )
  }
  return stops
}

describe('vulnsync web app in Chromium', () => {
  it('shows the sign-in page for a deep link and signs in with user name and password', async () => {
    await page.goto(`${base}/vulnerabilities?source=endor`)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    await page.getByLabel('User name', { exact: true }).fill(USER.username)
    await page.getByLabel('Password', { exact: true }).fill('wrong-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').count()).toBe(1)
    await page.screenshot({ path: shot('01-sign-in-error') })
    await page.getByLabel('Password', { exact: true }).fill(USER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor()
    // the deep link survives the sign-in
    expect(new URL(page.url()).searchParams.get('source')).toBe('endor')
    await page.screenshot({ path: shot('02-queue-empty') })
  })

  it("shows every connector with the title, letters and description of the server's catalogue", async () => {
    const catalogue = (await app.api('GET', '/api/v1/connectors')).body.items as {
      kind: string
      title: string
      logoLetters: string
      description: string
    }[]
    expect(catalogue.map((c) => c.kind)).toEqual(['ox', 'endor', 'jfrog', 'github', 'gitlab', 'jira'])
    await page.goto(`${base}/integrations`)
    for (const c of catalogue) {
      const card = page.locator(`article[data-kind="${c.kind}"]`)
      await card.waitFor()
      expect(await card.getByRole('heading', { level: 3 }).textContent()).toBe(c.title)
      expect(await card.locator('.kind-icon').textContent()).toBe(c.logoLetters)
      expect(await card.locator('.connector-desc').textContent()).toBe(c.description)
    }
    // the cards keep the catalogue's order: scanners first, then source control, then ticket trackers
    expect(
      await page.locator('article[data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
    ).toEqual(['ox', 'endor', 'jfrog', 'github', 'gitlab', 'jira'])
  })

  it('connects Endor Labs: a failing check shows its message in place, then a working one starts a sync', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click()
    const card = page.locator('article[data-kind="endor"]')
    await card.getByRole('button', { name: 'Connect' }).click()
    const dialog = page.getByRole('dialog', { name: 'Connect Endor Labs' })
    await dialog.waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    await dialog.getByLabel('Namespace', { exact: true }).fill('acme')
    await dialog.getByLabel('API base URL', { exact: true }).fill(endor.url)
    await dialog.getByLabel('API key', { exact: true }).fill('endr+wrong-key')
    await dialog.getByLabel('API secret', { exact: true }).fill('endr+wrong-secret')
    // secrets are masked
    expect(await dialog.getByLabel('API key', { exact: true }).getAttribute('type')).toBe('password')
    await dialog.getByRole('button', { name: 'Connect' }).click()
    const alert = dialog.getByRole('alert')
    await alert.waitFor()
    const message = await alert.innerText()
    expect(message).toMatch(/check failed/i)
    expect(message.length).toBeGreaterThan(30)
    await page.screenshot({ path: shot('03-connect-check-failed') })

    await dialog.getByLabel('API key', { exact: true }).fill('endr+sim-key')
    await dialog.getByLabel('API secret', { exact: true }).fill('endr+sim-secret')
    await dialog.getByRole('button', { name: 'Connect' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 30_000 })
    await card.locator('li.connection').first().waitFor()
    await page.screenshot({ path: shot('04-hub-connected') })
  })

  it('shows a sync with live progress, then its counts in the history', async () => {
    const card = page.locator('article[data-kind="endor"]')
    await card.getByRole('link', { name: /Sync history of/ }).click()
    await page.getByRole('heading', { name: /Sync history/ }).waitFor()
    // wait for the initial run to finish
    await page
      .locator('li.run[data-status="succeeded"], li.run[data-status="partial"]')
      .first()
      .waitFor({ timeout: 90_000 })
    // a slow, rate-limited upstream: the next run stays visibly in progress
    endor.setFaults({ latencyMs: 1500, rateLimitNext: 1, retryAfterSeconds: 3 })
    await page.getByRole('button', { name: 'Sync now' }).click()
    // the run shows live progress, including the pause the scanner's 429 + Retry-After imposes
    const paused = page.locator('li.run[data-status="running"] .paused')
    await paused.waitFor({ timeout: 30_000 })
    expect(await paused.innerText()).toMatch(/Paused for the scanner's rate limit, resuming in \d+ s/)
    await page.screenshot({ path: shot('05-sync-paused-for-rate-limit') })
    await page
      .locator('li.run[data-status="running"] .progress-text', { hasText: /Page [1-9]/ })
      .waitFor({ timeout: 30_000 })
    await page.screenshot({ path: shot('05-sync-in-progress') })
    await expect
      .poll(() => page.locator('li.run').first().getAttribute('data-status'), { timeout: 90_000, interval: 500 })
      .toMatch(/succeeded|partial/)
    endor.setFaults({ latencyMs: 0 })
    const first = page.locator('li.run').first()
    const fetched = await first.locator('.counts div', { hasText: 'Fetched' }).locator('dd').innerText()
    expect(Number(fetched.replace(/\D/g, ''))).toBeGreaterThan(0)
    expect(await first.innerText()).toMatch(/Manual/)
    await page.screenshot({ path: shot('06-sync-history') })
  })

  it('filters the queue by source tool and severity, kept in the URL', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vulnerabilities' }).click()
    await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor()
    await page.getByLabel('Source tool').selectOption('endor')
    await expect.poll(() => new URL(page.url()).searchParams.get('source')).toBe('endor')
    await page.locator('tbody tr').first().waitFor()
    const summary = (await app.api('GET', '/api/v1/vulnerabilities/summary?source=endor&status=open')).body
    const sev =
      (['critical', 'high', 'medium', 'low', 'info'] as const).find((s) => (summary.bySeverity?.[s] ?? 0) > 0) ?? 'high'
    await page.getByLabel('Severity', { exact: true }).selectOption(sev)
    await expect.poll(() => new URL(page.url()).searchParams.get('severity')).toBe(sev)
    await expect.poll(() => page.locator('.table-wrap').getAttribute('aria-busy')).toBe('false')
    const rows = page.locator('tbody tr')
    const n = await rows.count()
    expect(n).toBeGreaterThan(0)
    for (let i = 0; i < Math.min(n, 10); i++) {
      const row = rows.nth(i)
      expect(await row.locator('.source-badge').allInnerTexts()).toContain('Endor Labs')
      expect(await row.locator('.cell-sev .sev').first().getAttribute('data-level')).toBe(sev)
    }
    // the total shown matches the API
    const api = (await app.api('GET', `/api/v1/vulnerabilities/summary?source=endor&severity=${sev}&status=open`)).body
    await expect
      .poll(() => page.locator('.sev-count-total .sev-count-n').innerText())
      .toBe(new Intl.NumberFormat('en-US').format(api.total))
    // the CSV link exports the current view
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')
    expect(href).toContain('source=endor')
    expect(href).toContain(`severity=${sev}`)
    // a shared link opens the same view
    const shared = page.url()
    await page.goto(shared)
    expect(await page.getByLabel('Source tool').inputValue()).toBe('endor')
    expect(await page.getByLabel('Severity', { exact: true }).inputValue()).toBe(sev)
    await page.screenshot({ path: shot('07-queue-filtered') })
    // the count chips are facets: they keep showing every level, and combine (critical + high)
    const other = (['critical', 'high', 'medium', 'low', 'info'] as const).find(
      (s) => s !== sev && (summary.bySeverity?.[s] ?? 0) > 0,
    )
    expect(other, 'the dataset has more than one severity').toBeTruthy()
    if (other) {
      const chip = page.getByRole('button', { name: new RegExp(`^${other} severity: `, 'i') })
      expect(await chip.getAttribute('aria-pressed')).toBe('false')
      await chip.click()
      await expect
        .poll(() => new URL(page.url()).searchParams.get('severity')?.split(',').sort())
        .toEqual([sev, other].sort())
      expect(await chip.getAttribute('aria-pressed')).toBe('true')
      const both = (
        await app.api('GET', `/api/v1/vulnerabilities/summary?source=endor&severity=${sev},${other}&status=open`)
      ).body
      await expect
        .poll(() => page.locator('.sev-count-total .sev-count-n').innerText())
        .toBe(new Intl.NumberFormat('en-US').format(both.total))
      await chip.click()
      await expect.poll(() => new URL(page.url()).searchParams.get('severity')).toBe(sev)
    }
  })

  it('opens the detail page with sources, severity factors and the timeline', async () => {
    const link = page.locator('tbody tr .cell-cve a').first()
    const cve = await link.innerText()
    await link.click()
    await page.getByRole('heading', { level: 1, name: new RegExp(cve) }).waitFor()
    await page.getByRole('heading', { name: 'Severity and priority' }).waitFor()
    await page.getByRole('heading', { name: 'Timeline' }).waitFor()
    await page.getByRole('heading', { name: /^Sources/ }).waitFor()
    expect(await page.locator('.source-card').count()).toBeGreaterThan(0)
    expect(await page.locator('.source-card').first().innerText()).toMatch(/Endor Labs/)
    await page.screenshot({ path: shot('08-detail'), fullPage: true })
    // back returns to the filtered queue
    await page.getByRole('link', { name: '← Vulnerabilities' }).click()
    await expect.poll(() => new URL(page.url()).searchParams.get('source')).toBe('endor')
  })

  it('says in the queue and on the Hub what waits for a repository match, with a link to map it', async () => {
    const waiting = (await app.api('GET', '/api/v1/unmatched/summary')).body as { findings: number; targets: number }
    expect(waiting.findings).toBeGreaterThan(0)
    expect(waiting.targets).toBe(1)
    const nav = page.getByRole('navigation', { name: 'Main' })
    await nav.getByRole('link', { name: 'Integrations' }).click()
    const endorRow = page.locator('li.connection', { hasText: 'Endor' })
    await expect
      .poll(() => endorRow.locator('.connection-unmatched').innerText())
      .toContain(`${waiting.findings.toLocaleString('en')} finding${waiting.findings === 1 ? '' : 's'} from 1 target`)
    await nav.getByRole('link', { name: 'Vulnerabilities' }).click()
    const banner = page.locator('.waiting-banner')
    await expect
      .poll(() => banner.innerText())
      .toContain(`${waiting.findings.toLocaleString('en')} finding${waiting.findings === 1 ? '' : 's'} from 1 target`)
    expect(await banner.innerText()).toContain('for a repository match')
    await page.screenshot({ path: shot('08b-queue-waiting-banner') })
    await banner.getByRole('link', { name: 'Map them under Unmatched' }).click()
    await page.waitForURL(/\/repositories\/unmatched$/)
  })

  it('maps an unmatched target to a repository with the searchable picker', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Repositories' }).click()
    await page.getByRole('link', { name: 'Unmatched' }).click()
    await page.getByRole('heading', { name: 'Repositories' }).waitFor()
    const unmatched = (await app.api('GET', '/api/v1/unmatched')).body.items as { key: string; display: string }[]
    const target = unmatched.find((u) => u.display.includes('bitbucket.example.com'))
    expect(target, JSON.stringify(unmatched)).toBeTruthy()
    if (!target) return
    const row = page.locator(`tr[data-unmatched-key="${target.key.replace(/"/g, '\\"')}"]`)
    await row.waitFor()
    expect(await row.innerText()).toContain(target.display)
    await row.getByRole('button', { name: /Map .* to a repository/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Map to a repository' })
    const combo = dialog.getByRole('combobox')
    await combo.focus()
    // search the inventory, then pick with the keyboard
    const repoName = String(github.repo(github.visibleIds('ghp_admin')[6]!)?.name)
    await combo.fill(repoName)
    // the list narrows to the one match (server-side search, debounced)
    await expect
      .poll(() => dialog.getByRole('option').allInnerTexts(), { timeout: 10_000 })
      .toEqual([expect.stringContaining(repoName)])
    await combo.press('ArrowDown')
    await combo.press('Enter')
    await page.screenshot({ path: shot('09-map-unmatched') })
    expect(await dialog.getByRole('button', { name: /^Map to / }).innerText()).toContain(repoName)
    await dialog.getByRole('button', { name: /^Map to / }).click()
    await dialog.waitFor({ state: 'detached' })
    // its findings joined the queue under that repository
    await expect
      .poll(
        async () =>
          (
            await app.api(
              'GET',
              `/api/v1/vulnerabilities/summary?repository=${encodeURIComponent(`${github.org}/${repoName}`)}`,
            )
          ).body.total,
      )
      .toBeGreaterThan(0)
    await expect
      .poll(async () =>
        ((await app.api('GET', '/api/v1/unmatched')).body.items as { key: string }[]).some((u) => u.key === target.key),
      )
      .toBe(false)
    await row.waitFor({ state: 'detached' })
    await page.screenshot({ path: shot('10-unmatched-after') })
    // nothing waits any more: the queue has no banner
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vulnerabilities' }).click()
    await page.locator('table').first().waitFor()
    expect(await page.locator('.waiting-banner').count()).toBe(0)
  })

  it('labels every control and reaches the main content by keyboard on the main pages', async () => {
    for (const path of ['/vulnerabilities', '/integrations', '/repositories', '/repositories/unmatched', '/users']) {
      await page.goto(`${base}${path}`)
      await page.locator('#page-title').waitFor()
      await page.waitForLoadState('networkidle').catch(() => {})
      expect(await unlabelledControls(page), path).toEqual([])
      const stops = await tabStops(page, 3)
      expect(stops[0], path).toMatch(/Skip to content/)
      expect(stops[1], path).toMatch(/^a:Dashboard/) // the first entry of the sidebar
    }
    // skip link moves focus into main
    await page.goto(`${base}/vulnerabilities`)
    await page.locator('#page-title').waitFor()
    await page.locator('body').focus()
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    const inMain = await page.evaluate(() => !!document.activeElement?.closest('main'))
    expect(inMain).toBe(true)
    // a row's CVE link opens the detail page from the keyboard
    const firstCve = page.locator('tbody tr .cell-cve a').first()
    await firstCve.focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Timeline' }).waitFor()
    // dialogs close with Escape and return focus
    await page.goto(`${base}/integrations`)
    const connect = page.locator('article[data-kind="ox"]').getByRole('button', { name: /Connect|Add another/ })
    await connect.focus()
    await page.keyboard.press('Enter')
    await page.getByRole('dialog').waitFor()
    await page.keyboard.press('Escape')
    await page.getByRole('dialog').waitFor({ state: 'detached' })
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/Connect|Add another/)
  })

  it('chooses what a connection syncs with search and select-all', async () => {
    await page.goto(`${base}/integrations`)
    const card = page.locator('article[data-kind="endor"]')
    await card.getByRole('button', { name: 'Choose what Endor Labs syncs' }).click()
    const dialog = page.getByRole('dialog', { name: 'What Endor Labs syncs' })
    await dialog
      .getByRole('list', { name: /projects/ })
      .getByRole('listitem')
      .first()
      .waitFor()
    const all = await dialog.getByRole('listitem').count()
    expect(all).toBeGreaterThan(2)
    await dialog.getByLabel(/Only the .* I choose/).check()
    // everything synced so far starts checked; select-all clears it
    const selectAll = dialog.getByLabel(/^Select all/)
    expect(await selectAll.isChecked()).toBe(true)
    await selectAll.uncheck()
    expect(await dialog.locator('.location-list input:checked').count()).toBe(0)
    // select-all then applies to what the search shows
    const first = (await dialog.locator('.loc-name').first().innerText()).trim()
    await dialog.getByLabel(/Search/).fill(first)
    await dialog.getByLabel(/Select all matching/).check()
    const chosen = await dialog.locator('.location-list input:checked').count()
    expect(chosen).toBeGreaterThan(0)
    expect(chosen).toBeLessThan(all)
    await page.screenshot({ path: shot('12-locations') })
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached' })
    const conns = (await app.api('GET', '/api/v1/connections')).body.items as {
      kind: string
      locations: string[] | null
    }[]
    const locations = conns.find((c) => c.kind === 'endor')?.locations
    expect(locations?.length).toBeGreaterThan(0)
    expect(locations!.length).toBe(chosen)
    await card.getByText(`${locations!.length} location`).waitFor()
  })

  it('creates an API token on the Users page, then signs in with it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click()
    await page.getByRole('heading', { name: 'Users' }).waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    await page.getByRole('button', { name: 'Create token' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create API token' })
    await dialog.getByLabel('Name').fill('e2e sign-in')
    await dialog.getByLabel('Role').selectOption('admin')
    await dialog.getByRole('button', { name: 'Create token' }).click()
    const token = await page.getByRole('dialog', { name: 'Token created' }).getByLabel('Token').inputValue()
    expect(token).toMatch(/^vs_/)
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click()
    await page.getByRole('cell', { name: 'e2e sign-in', exact: true }).waitFor()
    await page.screenshot({ path: shot('14-users-and-tokens') })
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page.getByRole('tab', { name: 'API token' }).click()
    await page.getByRole('tabpanel').getByLabel('API token', { exact: true }).fill(token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
    expect(await page.locator('.whoami-name').innerText()).toBe(USER.username)
  })

  it('reconnect refuses wrong credentials in place; configure renames', async () => {
    await page.goto(`${base}/integrations`)
    const card = page.locator('article[data-kind="endor"]')
    await card.getByRole('button', { name: 'Reconnect Endor Labs with new credentials' }).click()
    const dialog = page.getByRole('dialog', { name: 'Reconnect Endor Labs' })
    await dialog.getByLabel('API key', { exact: true }).fill('endr+revoked')
    await dialog.getByLabel('API secret', { exact: true }).fill('endr+revoked')
    await dialog.getByRole('button', { name: 'Reconnect' }).click()
    await dialog.getByRole('alert').waitFor()
    expect(await dialog.getByRole('alert').innerText()).toMatch(/check failed/i)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    // the stored credentials still work
    const id = ((await app.api('GET', '/api/v1/connections')).body.items as { id: string; kind: string }[]).find(
      (c) => c.kind === 'endor',
    )!.id
    expect((await app.api('POST', `/api/v1/connections/${id}/check`)).body.ok).toBe(true)

    await card.getByRole('button', { name: 'Configure Endor Labs' }).click()
    const configure = page.getByRole('dialog', { name: 'Configure Endor Labs' })
    expect(await configure.getByLabel('Namespace', { exact: true }).inputValue()).toBe('acme')
    await configure.getByLabel('Connection name').fill('Endor Labs prod')
    await configure.getByRole('button', { name: 'Save' }).click()
    await configure.waitFor({ state: 'detached' })
    await card.getByText('Endor Labs prod', { exact: true }).waitFor()
  })

  it('disconnects with a confirmation that says the findings stay', async () => {
    await page.goto(`${base}/integrations`)
    const card = page.locator('article[data-kind="endor"]')
    await card.getByRole('button', { name: 'Disconnect Endor Labs prod' }).click()
    const dialog = page.getByRole('dialog', { name: 'Disconnect Endor Labs prod?' })
    expect(await dialog.innerText()).toMatch(/findings it imported stay in the queue/)
    expect(await dialog.innerText()).toMatch(/stop updating/)
    await page.screenshot({ path: shot('13-disconnect-confirm') })
    await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click()
    await dialog.waitFor({ state: 'detached' })
    await card.getByText('Not connected').waitFor()
    // the findings are still in the queue
    expect((await app.api('GET', '/api/v1/vulnerabilities/summary?source=endor')).body.total).toBeGreaterThan(0)
  })

  it('changes your own password: a wrong current one is refused in place, then only the new one signs in', async () => {
    const member = { username: 'e2e-member', password: 'member-password-1', next: 'member-password-2' }
    const created = await app.api('POST', '/api/v1/users', {
      username: member.username,
      password: member.password,
      role: 'member',
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const signIn = async (password: string) => {
      await page.getByLabel('User name', { exact: true }).fill(member.username)
      await page.getByLabel('Password', { exact: true }).fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
    }
    await page.goto(`${base}/vulnerabilities`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(member.password)
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
    expect(await page.locator('.whoami-name').textContent()).toBe(member.username)
    // the same user signed in elsewhere: that session ends when the password changes, this one stays
    const elsewhere = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: member.username, password: member.password }),
    })
    expect(elsewhere.status).toBe(200)
    const elsewhereCookie = (elsewhere.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const meElsewhere = async () =>
      (await fetch(`${base}/api/v1/auth/me`, { headers: { cookie: elsewhereCookie } })).status
    expect(await meElsewhere()).toBe(200)

    await page.getByRole('button', { name: 'Change password' }).click()
    const dialog = page.getByRole('dialog', { name: 'Change password' })
    await dialog.waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    await dialog.getByLabel('Current password', { exact: true }).fill('not-my-password')
    await dialog.getByLabel('New password', { exact: true }).fill(member.next)
    await dialog.getByLabel('Repeat the new password', { exact: true }).fill(member.next)
    await dialog.getByRole('button', { name: 'Change password' }).click()
    // the server's message, in place
    const alert = dialog.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/current password is wrong/i)
    await page.screenshot({ path: shot('15-change-password-wrong') })
    await dialog.getByLabel('Current password', { exact: true }).fill(member.password)
    await dialog.getByRole('button', { name: 'Change password' }).click()
    const done = dialog.getByRole('status')
    await done.waitFor()
    expect(await done.textContent()).toMatch(/password is changed.*1 other session was signed out/i)
    await page.screenshot({ path: shot('16-change-password-done') })
    await dialog.getByRole('button', { name: 'Done' }).click()
    await dialog.waitFor({ state: 'detached' })
    // this session stays, the other one ended
    expect(
      await page.evaluate(async () => (await fetch('/api/v1/auth/me', { credentials: 'same-origin' })).status),
    ).toBe(200)
    expect(await meElsewhere()).toBe(401)

    // signed out, the old password is refused and the new one signs in
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(member.password)
    await expect.poll(() => page.getByRole('alert').count()).toBe(1)
    expect(await page.getByRole('alert').textContent()).toMatch(/user name or password is wrong/i)
    await signIn(member.next)
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
    expect(await page.locator('.whoami-name').textContent()).toBe(member.username)
  })

  it('signs out', async () => {
    await page.goto(`${base}/vulnerabilities`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    const status = await page.evaluate(
      async () => (await fetch('/api/v1/auth/me', { credentials: 'same-origin' })).status,
    )
    expect(status).toBe(401)
    await page.screenshot({ path: shot('11-signed-out') })
    expect(pageErrors).toEqual([])
  })

  it('runs under a strict Content-Security-Policy without a violation, and cannot be framed', async () => {
    const res = await page.goto(`${base}/vulnerabilities`)
    const csp = res?.headers()['content-security-policy'] ?? ''
    expect(csp).toMatch(/script-src 'self'(;|$)/)
    expect(csp).toMatch(/frame-ancestors 'none'/)
    expect(res?.headers()['x-content-type-options']).toBe('nosniff')
    // an inline script is refused by the policy (the browser reports it), proving the policy is enforced
    await page.evaluate(() => {
      const s = document.createElement('script')
      s.textContent = 'window.__inlineRan = true'
      document.body.appendChild(s)
    })
    expect(await page.evaluate(() => (window as any).__inlineRan === true)).toBe(false)
    expect(cspViolations.length).toBeGreaterThan(0)
    expect(cspViolations.filter((v) => !/inline script/i.test(v))).toEqual([])
  })
})
