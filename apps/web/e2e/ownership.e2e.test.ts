// Ownership in the web app (issue 14), in real Chromium against a real server and the GitHub and Endor simulators:
// the owner and its reason in the queue and the detail, the Unowned view, the Teams and Applications pages, and an
// ownership rule written with its live preview, saved, and taking over at once; a saved rule edited (the preview of
// the edit, Save, Cancel) and moved up and down with the keyboard, the new order shown at once and a refusal in place.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import { type EndorSimulator, startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { SIM_TEAM_SLUGS } from '@vulnsync/simulators/kit/ownership.ts'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const USER = { username: 'owner-admin', password: 'owner-password-1234' }

let app: TestApp
let base: string
let endor: EndorSimulator
let github: GithubSimulator
let context: BrowserContext
let closeBrowser: () => Promise<void>
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npx vite build` in apps/web first')
  github = await startGithubSimulator({ seed: 7, repos: 24 })
  const ids = github.visibleIds('ghp_admin').slice(0, 12)
  endor = await startEndorSimulator({
    seed: 7,
    projectUrls: ids.map((id) => String(github.repo(id)?.clone_url)),
    findings: 1200,
  })
  app = await startTestApp({ serveWeb: true })
  base = app.url.replace(/\/+$/, '')
  expect((await app.api('POST', '/api/v1/users', { ...USER, role: 'admin' })).status).toBe(201)
  // the teams the simulator's CODEOWNERS files name, before the syncs
  for (const slug of SIM_TEAM_SLUGS)
    expect((await app.api('POST', '/api/v1/teams', { name: slug.replace(/^./, (c) => c.toUpperCase()) })).status).toBe(
      201,
    )
  const gh = await app.api('POST', '/api/v1/connections', {
    kind: 'github',
    name: 'GitHub',
    config: { baseUrl: github.apiUrl, org: github.org },
    secrets: { token: 'ghp_admin' },
  })
  expect(gh.status, JSON.stringify(gh.body)).toBe(201)
  await app.waitForRun(gh.body.run.id)
  const en = await app.api('POST', '/api/v1/connections', {
    kind: 'endor',
    name: 'Endor Labs',
    config: { namespace: endor.dataset.namespace, baseUrl: endor.url },
    secrets: { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
  })
  expect(en.status, JSON.stringify(en.body)).toBe(201)
  await app.waitForRun(en.body.run.id)
  const browser = await launch()
  context = browser.context
  closeBrowser = browser.close
  page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`${base}/signin`)
  await page.getByLabel('User name', { exact: true }).fill(USER.username)
  await page.getByLabel('Password', { exact: true }).fill(USER.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
})

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
  await endor?.close()
  await github?.close()
})

describe('ownership in the web app', () => {
  it('shows the owner in the queue, and its reason in the detail', async () => {
    await page.goto(`${base}/vulnerabilities`)
    const table = page.getByRole('table')
    await table.getByRole('columnheader', { name: 'Owner' }).waitFor()
    const owners = await page
      .locator('td.cell-owner .owner-cell')
      .evaluateAll((els) => els.map((e) => ({ text: e.textContent ?? '', reason: e.getAttribute('title') ?? '' })))
    expect(owners.length).toBeGreaterThan(0)
    const byCodeowners = owners.find((o) => o.text.includes('CODEOWNERS'))
    expect(byCodeowners?.reason).toMatch(/^team \w+, (\.github\/|docs\/)?CODEOWNERS line \d+ `/)

    // the detail of an issue CODEOWNERS owns says which line of which file
    const row = page.locator('tr', { has: page.locator('td.cell-owner', { hasText: 'CODEOWNERS' }) }).first()
    await row.locator('td.cell-cve a').click()
    const card = page.getByRole('region', { name: 'Owner' })
    await card.waitFor()
    expect(await card.locator('.owner-reason').textContent()).toMatch(/CODEOWNERS line \d+ `.+`, matched /)
    await page.screenshot({ path: shot('ownership-detail') })
  })

  it('filters by team, and shows the Unowned view', async () => {
    await page.goto(`${base}/vulnerabilities`)
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Payments' })
    await page.waitForURL(/team=/)
    await page.getByRole('button', { name: /Remove filter team: Payments/ }).waitFor()
    const teamsShown = await page.locator('td.cell-owner .owner-cell > span:first-child').allTextContents()
    expect(teamsShown.length).toBeGreaterThan(0)
    expect(new Set(teamsShown)).toEqual(new Set(['Payments']))

    await page.getByRole('link', { name: 'Unowned', exact: true }).click()
    await page.waitForURL(/team=none/)
    await page.getByRole('button', { name: /Remove filter team: Unowned/ }).waitFor()
    const unowned = await app.api('GET', '/api/v1/vulnerabilities?team=none&limit=1')
    if (unowned.body.total > 0) {
      const shown = await page.locator('td.cell-owner .owner-cell > span:first-child').allTextContents()
      expect(shown.every((s) => s === 'Unowned' || s === 'No team')).toBe(true)
    } else await page.getByText('No open vulnerabilities.').or(page.getByText('No vulnerabilities match')).waitFor()
  })

  it('lists teams with their open issues by priority, and applications', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click()
    await page.getByRole('heading', { name: 'Teams' }).waitFor()
    const table = page.getByRole('table', { name: 'Teams' })
    for (const name of ['Payments', 'Platform', 'Identity', 'Commerce', 'Data'])
      await table
        .getByRole('cell', { name: new RegExp(`^${name}`) })
        .first()
        .waitFor()
    const api = (await app.api('GET', '/api/v1/teams')).body.items as any[]
    const platform = api.find((t) => t.slug === 'platform')
    expect(platform.issues.open).toBeGreaterThan(0)
    await table
      .getByRole('link', { name: `${platform.issues.open.toLocaleString('en')} open` })
      .first()
      .waitFor()
    await page.screenshot({ path: shot('ownership-teams') })

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click()
    await page.getByRole('heading', { name: 'Applications' }).waitFor()
    await page.getByRole('button', { name: 'Add application' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Name', { exact: true }).fill('Checkout')
    await dialog.getByLabel('Business priority (0–100)').fill('95')
    await dialog.getByRole('button', { name: 'Add application' }).click()
    await page
      .getByRole('table', { name: 'Applications' })
      .getByRole('cell', { name: /^Checkout/ })
      .waitFor()
  })

  it("shows a repository's CODEOWNERS with its bad lines, and sets its default team", async () => {
    const repos = (await app.api('GET', '/api/v1/repositories?limit=100')).body.items as any[]
    let bad: { repo: any; own: any } | undefined
    for (const r of repos) {
      const own = (await app.api('GET', `/api/v1/repositories/${r.id}/ownership`)).body
      if (own.codeowners?.errors.length) {
        bad = { repo: r, own }
        break
      }
    }
    expect(bad).toBeDefined()
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Repositories' }).click()
    await page.getByRole('heading', { name: 'Repositories' }).waitFor()
    await page.getByRole('button', { name: `Ownership of ${bad!.repo.fullName}`, exact: true }).click()
    const dialog = page.getByRole('dialog')
    const e = bad!.own.codeowners.errors[0]
    await dialog.getByText(`${bad!.own.codeowners.path} line ${e.line}:`).waitFor()
    expect(await dialog.textContent()).toContain(e.message)
    await dialog.getByLabel('Default team').selectOption({ label: 'Data' })
    await expect
      .poll(async () => (await app.api('GET', `/api/v1/repositories/${bad!.repo.id}/ownership`)).body.defaultTeam?.name)
      .toBe('Data')
    await page.screenshot({ path: shot('ownership-repository') })
    await page.keyboard.press('Escape')
  })

  it('writes a rule with a live preview of what it moves, saves it, and the queue follows at once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Ownership rules' }).click()
    await page.getByRole('heading', { name: 'Ownership rules' }).waitFor()
    await page.getByLabel('Manifest path (glob)').fill('services/worker/**')
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Identity' })
    const preview = page.locator('.rule-preview')
    await preview.getByText(/issues \(\d+ open\) would change owner/).waitFor()
    expect(await preview.textContent()).toMatch(/to team Identity/)
    await page.screenshot({ path: shot('ownership-rule-preview') })
    // an invalid glob is refused with the field named, in the preview
    await page.getByLabel('Manifest path (glob)').fill('services/{worker')
    await preview.getByText(/match\.path/).waitFor()
    await page.getByLabel('Manifest path (glob)').fill('services/worker/**')
    await preview.getByText(/would change owner/).waitFor()
    await page.getByRole('button', { name: 'Save rule' }).click()
    await page
      .getByRole('table', { name: /Ownership rules/ })
      .getByRole('cell', { name: 'path services/worker/**' })
      .waitFor()

    const identity = ((await app.api('GET', '/api/v1/teams')).body.items as any[]).find((t) => t.slug === 'identity')
    const moved = await app.api('GET', `/api/v1/vulnerabilities?limit=100&team=${identity.id}`)
    expect(moved.status, JSON.stringify(moved.body)).toBe(200)
    const ruled = (moved.body.items as any[]).filter((i) => i.owner.source === 'rule')
    expect(ruled.length).toBeGreaterThan(0)
    for (const i of ruled) {
      expect(i.owner.team.name).toBe('Identity')
      expect(i.owner.reason).toMatch(
        /^team Identity, ownership rule 1 \(path services\/worker\/\*\*\), matched `services\/worker\//,
      )
    }

    // a second rule put first takes over from the first one
    await page.getByLabel('Manifest path (glob)').fill('services/worker/*')
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Commerce' })
    await page.getByLabel('Position').fill('1')
    await preview.getByText(/from team Identity to team Commerce/).waitFor()
    await page.getByRole('button', { name: 'Save rule' }).click()
    const firstRow = page
      .getByRole('table', { name: /Ownership rules/ })
      .locator('tbody tr')
      .first()
    await firstRow.getByRole('cell', { name: 'Commerce' }).waitFor()
    expect(await firstRow.locator('td').first().textContent()).toBe('1')
    expect(pageErrors).toEqual([])
  })

  it('edits a saved rule with the preview of the edit, and cancels an edit', async () => {
    const table = page.getByRole('table', { name: /Ownership rules/ })
    const form = page.getByRole('form', { name: 'Edit ownership rule 1' })
    await page.getByRole('button', { name: 'Edit rule 1', exact: true }).click()
    await form.waitFor()
    await page.getByRole('heading', { name: 'Edit rule 1' }).waitFor()
    expect(await page.getByLabel('Manifest path (glob)').inputValue()).toBe('services/worker/*')
    expect(await page.getByLabel('Position').inputValue()).toBe('1')
    // the cursor is in the form
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('rule-repository')
    const preview = page.locator('.rule-preview')
    await preview.getByText('No issue would change owner: the rule as saved.').waitFor()
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Data' })
    await preview.getByText(/from team Commerce to team Data/).waitFor()
    await page.screenshot({ path: shot('ownership-rule-edit') })
    await form.getByRole('button', { name: 'Save changes' }).click()
    const first = table.locator('tbody tr').first()
    await first.getByRole('cell', { name: 'Data', exact: true }).waitFor()
    await page.getByRole('heading', { name: 'New rule' }).waitFor()
    expect(await page.getByLabel('Manifest path (glob)').inputValue()).toBe('')
    const rules = (await app.api('GET', '/api/v1/ownership-rules')).body.items as any[]
    expect(rules.map((r) => [r.position, r.match.path, r.team?.name])).toEqual([
      [1, 'services/worker/*', 'Data'],
      [2, 'services/worker/**', 'Identity'],
    ])
    const data = ((await app.api('GET', '/api/v1/teams')).body.items as any[]).find((t) => t.slug === 'data')
    const owned = (await app.api('GET', `/api/v1/vulnerabilities?limit=100&team=${data.id}`)).body.items as any[]
    const ruled = owned.filter((i) => i.owner.source === 'rule')
    expect(ruled.length).toBeGreaterThan(0)
    for (const i of ruled) expect(i.owner.reason).toMatch(/^team Data, ownership rule 1 \(path services\/worker\/\*\)/)

    // Cancel (or Escape) leaves the rule as it was and gives the focus back to its Edit button
    await page.getByRole('button', { name: 'Edit rule 2', exact: true }).click()
    await page.getByRole('heading', { name: 'Edit rule 2' }).waitFor()
    await page.getByLabel('Manifest path (glob)').fill('services/other/**')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.getByRole('heading', { name: 'New rule' }).waitFor()
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Edit rule 2')
    expect(((await app.api('GET', '/api/v1/ownership-rules')).body.items as any[])[1].match.path).toBe(
      'services/worker/**',
    )
    expect(pageErrors).toEqual([])
  })

  it('moves a rule up with the keyboard, showing the new order at once, and shows a refusal in place', async () => {
    const rows = page.getByRole('table', { name: /Ownership rules/ }).locator('tbody tr')
    const paths = () => rows.locator('td:nth-child(2)').allTextContents()
    expect(await paths()).toEqual(['path services/worker/*', 'path services/worker/**'])
    // the server answers late: the page shows the new order before it does
    let release: () => void = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    await page.route('**/api/v1/ownership-rules/*', async (route) => {
      if (route.request().method() === 'PATCH') await held
      await route.continue()
    })
    await page.getByRole('button', { name: 'Move rule 2 up' }).focus()
    await page.keyboard.press('Enter')
    await expect.poll(paths).toEqual(['path services/worker/**', 'path services/worker/*'])
    expect(await rows.first().locator('td').first().textContent()).toBe('1')
    expect(((await app.api('GET', '/api/v1/ownership-rules')).body.items as any[])[0].match.path).toBe(
      'services/worker/*',
    )
    release()
    await page.getByText('Rule moved to position 1; ownership recomputed.').waitFor({ state: 'attached' })
    // the moved rule keeps the focus: on its Move down button, Move up being disabled at the top
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Move rule 1 down')
    expect(await page.getByRole('button', { name: 'Move rule 1 up' }).isDisabled()).toBe(true)
    const rules = (await app.api('GET', '/api/v1/ownership-rules')).body.items as any[]
    expect(rules.map((r) => [r.position, r.match.path])).toEqual([
      [1, 'services/worker/**'],
      [2, 'services/worker/*'],
    ])
    // the broader rule answers first now: the issues of the edited rule went to Identity
    const identity = ((await app.api('GET', '/api/v1/teams')).body.items as any[]).find((t) => t.slug === 'identity')
    const owned = (await app.api('GET', `/api/v1/vulnerabilities?limit=100&team=${identity.id}`)).body.items as any[]
    const ruled = owned.filter((i) => i.owner.source === 'rule')
    expect(ruled.length).toBeGreaterThan(0)
    for (const i of ruled)
      expect(i.owner.reason).toMatch(/^team Identity, ownership rule 1 \(path services\/worker\/\*\*\)/)
    await page.screenshot({ path: shot('ownership-rule-moved') })

    // someone else deletes the second rule: moving the first down is refused, the order goes back, the reason shows
    expect((await app.api('DELETE', `/api/v1/ownership-rules/${rules[1].id}`)).status).toBe(204)
    await page.getByRole('button', { name: 'Move rule 1 down' }).focus()
    await page.keyboard.press('Enter')
    const alert = page.getByRole('alert').filter({ hasText: 'Rule 1 not moved' })
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/position: 2 is past the last rule; there is 1 rule/i)
    expect(await alert.textContent()).toMatch(/give 1 to 1/)
    expect((await paths())[0]).toBe('path services/worker/**')
    await page.unroute('**/api/v1/ownership-rules/*')
    expect(pageErrors).toEqual([])
  })

  it('a viewer sees the rules without Edit or Move buttons, and no form', async () => {
    const viewer = { username: 'owner-viewer', password: 'viewer-password-1234' }
    expect((await app.api('POST', '/api/v1/users', { ...viewer, role: 'viewer' })).status).toBe(201)
    const b = await launch()
    try {
      const p = await b.context.newPage()
      await p.goto(`${base}/signin`)
      await p.getByLabel('User name', { exact: true }).fill(viewer.username)
      await p.getByLabel('Password', { exact: true }).fill(viewer.password)
      await p.getByRole('button', { name: 'Sign in' }).click()
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor()
      await p.goto(`${base}/ownership-rules`)
      await p
        .getByRole('table', { name: /Ownership rules/ })
        .getByRole('cell', { name: 'Identity' })
        .waitFor()
      expect(await p.getByRole('button', { name: /^(Move rule|Edit rule|Delete rule)/ }).count()).toBe(0)
      expect(await p.getByRole('heading', { name: /^(New rule|Edit rule)/ }).count()).toBe(0)
    } finally {
      await b.close()
    }
  })
})
