// Remediation in real Chromium against a real vulnsync server (issue 12): a member triages on the detail page
// (assign, stage, a risk acceptance with expiry and reason, a comment, the timeline, revoke), works the queue in bulk
// (select all N matching, a refused action shown in place, assign), opens "Assigned to me" and the Decisions page
// (expiring soon, extend, needs review); a viewer sees everything without a triage control; an admin changes the SLA
// policy after a dry run. Screenshots go to .test-artifacts/web/.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { arrayDataset, createTestConnector, type TestRaw } from '@vulnsync/server/sync/test-connector.ts'
import { seedRepositories } from '@vulnsync/server/sync/test-support.ts'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()
const PASSWORD = 'triage-password-1'
const ADMIN = 'lead'

const row = (id: string, cve: string, over: Partial<TestRaw> = {}): TestRaw => ({
  id,
  ids: [cve],
  purl: 'pkg:npm/lodash@4.17.20',
  repo: 'https://github.com/acme/web',
  severity: 'critical',
  detectedAt: daysAgo(20),
  ...over,
})
// acme/web: a few issues of every SLA state; acme/api: 30 issues, more than a page of 25
const rowsA: TestRaw[] = [
  row('w1', 'CVE-2024-1001'),
  row('w2', 'CVE-2024-1002', { severity: 'high', detectedAt: daysAgo(25) }),
  row('w3', 'CVE-2024-1003', { severity: 'medium', detectedAt: daysAgo(5) }),
  row('w4', 'CVE-2024-1004', { severity: 'low', purl: 'pkg:npm/minimist@1.2.0' }),
  ...Array.from({ length: 30 }, (_, i) =>
    row(`a${i}`, `CVE-2024-${2000 + i}`, {
      repo: 'https://github.com/acme/api',
      severity: 'high',
      purl: `pkg:npm/api-dep-${i}@1.0.${i}`,
      detectedAt: daysAgo(10),
    }),
  ),
]
let rowsB: TestRaw[] = []
const scannerA = createTestConnector(() => arrayDataset(rowsA), { pageSize: 50 })
const scannerB = createTestConnector(() => arrayDataset(rowsB), { pageSize: 50 })

let app: TestApp
let base: string
let context: BrowserContext
let closeBrowser: () => Promise<void>
let page: Page
const pageErrors: string[] = []
const ids: Record<string, string> = {}
let connB = ''

/** the API as a user signed in with a session (the way the web app calls it) */
const asUser = async (username: string) => {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(200)
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const origin = `http://${new URL(base).host}`
  return (method: string, path: string, body?: unknown) =>
    app.api(method, path, body, { token: null, headers: { cookie, ...(method === 'GET' ? {} : { origin }) } })
}
const issueOf = async (cve: string) => (await app.api('GET', `/api/v1/vulnerabilities?cve=${cve}`)).body.items[0]
const sync = async (connectionId: string) => {
  const r = await app.api('POST', `/api/v1/connections/${connectionId}/syncs`)
  return app.waitForRun(r.body.run.id)
}
/** yyyy-mm-dd of a day from today, in this machine's time zone (the browser's too) */
const day = (n: number) => {
  const d = new Date()
  const x = new Date(d.getFullYear(), d.getMonth(), d.getDate() + n)
  return `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`
}

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npm run build:web` first')
  app = await startTestApp({
    serveWeb: true,
    connectors: { test: scannerA as any, other: { ...scannerB, kind: 'other', title: 'Other scanner' } as any },
  })
  base = app.url.replace(/\/+$/, '')
  await seedRepositories(app.db, app.rt.workspaceId, [
    { fullName: 'acme/web', externalId: 'w1' },
    { fullName: 'acme/api', externalId: 'a1' },
  ])
  for (const [username, role] of [
    [ADMIN, 'admin'],
    ['mia', 'member'],
    ['max', 'member'],
    ['vic', 'viewer'],
  ] as const) {
    const r = await app.api('POST', '/api/v1/users', { username, password: PASSWORD, role })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    ids[username] = r.body.user.id
  }
  const a = await app.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner A', secrets: { token: 'x' } })
  await app.waitForRun(a.body.run.id)
  const b = await app.api('POST', '/api/v1/connections', { kind: 'other', name: 'Scanner B', secrets: { token: 'x' } })
  connB = b.body.connection.id
  await app.waitForRun(b.body.run.id)
  expect((await app.api('GET', '/api/v1/vulnerabilities?status=open')).body.total).toBe(34)
  const browser = await launch()
  context = browser.context
  closeBrowser = browser.close
  page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
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

async function signInAs(username: string) {
  await page.goto(`${base}/vulnerabilities`)
  const signOut = page.getByRole('button', { name: 'Sign out' })
  const heading = page.getByRole('heading', { name: 'Sign in' })
  await Promise.race([signOut.waitFor(), heading.waitFor()])
  if (await signOut.isVisible()) {
    await signOut.click()
    await heading.waitFor()
  }
  await page.getByLabel('User name', { exact: true }).fill(username)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('.whoami-name', { hasText: username }).waitFor()
}

const timelineLabels = () => page.locator('.activity .tl-label').allInnerTexts()

describe('remediation in the web app', () => {
  it('a member triages on the detail page: assign, stage, accept with expiry and reason, comment, timeline, revoke', async () => {
    await signInAs('mia')
    await page.goto(`${base}/vulnerabilities?cve=CVE-2024-1001`)
    await page.getByRole('link', { name: 'CVE-2024-1001' }).click()
    await page.getByRole('heading', { level: 1, name: /CVE-2024-1001/ }).waitFor()
    const triage = page.getByRole('region', { name: 'Triage' })
    // critical, detected 20 days ago, 7 days to fix: breached for 13 days, counted from the scanner's detection
    await triage.locator('[data-sla="breached"]').waitFor()
    expect(await triage.innerText()).toMatch(/13 days overdue/)
    expect(await unlabelledControls(page)).toEqual([])

    // assign to another member (members list the assignable users) and move the stage, saved together
    await triage.getByLabel('Assignee', { exact: true }).selectOption({ label: 'max' })
    await triage.getByLabel('Stage', { exact: true }).selectOption('in_progress')
    await triage.getByRole('button', { name: 'Save' }).click()
    await expect.poll(timelineLabels).toEqual(expect.arrayContaining(['Assigned to max', 'Stage New → In progress']))
    expect(await issueOf('CVE-2024-1001')).toMatchObject({ stage: 'in_progress', assignee: { username: 'max' } })
    // then take it
    await triage.getByRole('button', { name: 'Assign to me' }).click()
    await expect.poll(timelineLabels).toContain('Assigned to mia')
    expect(await triage.getByLabel('Assignee', { exact: true }).inputValue()).toBe(ids.mia)

    // a risk acceptance: the expiry picker stops at the policy's maximum (90 days)
    await triage.getByRole('button', { name: 'Record a decision…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Decide on CVE-2024-1001' })
    await dialog.waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    expect(await dialog.getByLabel('Risk accepted').isChecked()).toBe(true)
    const expiry = dialog.getByLabel('Expires on')
    expect(await expiry.getAttribute('max')).toBe(day(90))
    expect(await expiry.getAttribute('min')).toBe(day(1))
    await expiry.fill(day(45))
    await dialog.getByLabel('Reason').fill('WAF rule 942100 blocks the payload until the upgrade ships')
    await page.screenshot({ path: shot('20-decision-dialog') })
    await dialog.getByRole('button', { name: 'Record decision' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.locator('.detail-title', { hasText: 'Risk accepted' }).waitFor()
    const accepted = await issueOf('CVE-2024-1001')
    expect(accepted).toMatchObject({ status: 'accepted', decision: { kind: 'accepted', scope: 'issue' } })
    const [y, m, d] = day(45).split('-').map(Number)
    expect(new Date(accepted.decision.expiresAt).getTime()).toBe(new Date(y!, m! - 1, d!).getTime())
    expect(await triage.locator('.decision-box').innerText()).toMatch(/WAF rule 942100/)

    // the server refuses a stage on an issue that is not open: its message, in place
    await triage.getByLabel('Stage', { exact: true }).selectOption('fix_proposed')
    await triage.getByRole('button', { name: 'Save' }).click()
    const refusal = triage.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.innerText()).toMatch(/stages apply to open issues only/)
    expect((await issueOf('CVE-2024-1001')).stage).toBe('in_progress')

    // a comment in markdown: formatting rendered, HTML kept as text
    await page.getByLabel('Add a comment').fill('Upgrade **lodash** to 4.17.21 <img src=x onerror="window.__xss=1">')
    await page.getByRole('button', { name: 'Comment', exact: true }).click()
    const comment = page.locator('.activity .comment').last()
    await comment.waitFor()
    expect(await comment.locator('strong').innerText()).toBe('lodash')
    expect(await comment.innerText()).toContain('<img src=x onerror="window.__xss=1">')
    expect(await page.locator('.activity img').count()).toBe(0)
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined()
    expect(await timelineLabels()).toEqual(
      expect.arrayContaining([
        'Detected by Scanner A',
        'Risk accepted recorded',
        'Status Open → Risk accepted',
        'Comment',
      ]),
    )
    await page.screenshot({ path: shot('21-detail-triage'), fullPage: true })

    // revoke: the issue reopens at stage triaged, and the timeline says so
    await triage.getByRole('button', { name: 'Revoke the decision on CVE-2024-1001 in acme/web' }).click()
    const confirm = page.getByRole('dialog', { name: /Revoke this risk accepted decision/ })
    expect(await confirm.innerText()).toMatch(/reopen at stage Triaged/)
    await confirm.getByRole('button', { name: 'Revoke decision' }).click()
    await confirm.waitFor({ state: 'detached' })
    await page.locator('.detail-title', { hasText: 'Open' }).waitFor()
    await expect
      .poll(timelineLabels)
      .toEqual(
        expect.arrayContaining([
          'Risk accepted revoked',
          'Reopened: the decision ended',
          'Stage In progress → Triaged',
        ]),
      )
    expect(await triage.getByLabel('Stage', { exact: true }).inputValue()).toBe('triaged')
    expect(await issueOf('CVE-2024-1001')).toMatchObject({ status: 'open', stage: 'triaged', decision: null })
  })

  it('a bulk action from the queue: select all N matching; a refused move changes nothing; assign them all', async () => {
    // one issue of acme/api is decided: a stage move over all of acme/api is refused as a whole
    const mia = await asUser('mia')
    const decided = await issueOf('CVE-2024-2029')
    expect(
      (await mia('POST', '/api/v1/decisions', { issueId: decided.id, kind: 'false_positive', reason: 'test fixture' }))
        .status,
    ).toBe(201)

    await page.goto(`${base}/vulnerabilities?repository=acme/api&status=any&limit=25`)
    await page.locator('tbody tr').nth(24).waitFor()
    expect(await page.locator('tbody tr').count()).toBe(25)
    await page.getByLabel('Select every row on this page').check()
    const bar = page.getByRole('region', { name: 'Bulk actions' })
    expect(await bar.innerText()).toMatch(/25 issues selected/)
    await bar.getByRole('button', { name: 'Select all 30 matching' }).click()
    expect(await bar.innerText()).toMatch(/All 30 issues matching this view/)
    expect(await unlabelledControls(page)).toEqual([])

    await bar.getByRole('button', { name: 'Move stage…' }).click()
    const move = page.getByRole('dialog', { name: 'Move 30 issues to a stage' })
    await move.getByLabel('Stage', { exact: true }).selectOption('in_progress')
    await move.getByRole('button', { name: 'Move' }).click()
    const refused = move.getByRole('alert')
    await refused.waitFor()
    expect(await refused.innerText()).toMatch(/1 of 30 issue\(s\) refuse the move.*nothing was changed/)
    await page.screenshot({ path: shot('22-bulk-refused') })
    await move.getByRole('button', { name: 'Cancel' }).click()
    expect((await app.api('GET', '/api/v1/vulnerabilities?repository=acme/api&stage=in_progress')).body.total).toBe(0)

    await bar.getByRole('button', { name: 'Assign…' }).click()
    const assign = page.getByRole('dialog', { name: 'Assign 30 issues' })
    await assign.getByLabel('Assign to').selectOption({ label: 'max' })
    await assign.getByRole('button', { name: 'Assign' }).click()
    await assign.waitFor({ state: 'detached' })
    const result = page.locator('.bulk-result')
    await result.waitFor()
    expect(await result.innerText()).toMatch(/Assigned to max: 30 matched, 30 changed/)
    // the selection is cleared and the rows show the new assignee
    expect(await bar.count()).toBe(0)
    await expect.poll(() => page.locator('tbody .cell-assignee').allInnerTexts()).toEqual(Array(25).fill('max'))
    await page.screenshot({ path: shot('23-bulk-assigned') })
    expect((await app.api('GET', `/api/v1/vulnerabilities?repository=acme/api&assignee=${ids.max}`)).body.total).toBe(
      30,
    )
    // one timeline entry per issue, sharing the bulk id
    const tl = (await app.api('GET', `/api/v1/vulnerabilities/${decided.id}/timeline`)).body.items
    expect(tl.filter((e: any) => e.type === 'assigned' && e.bulkId)).toHaveLength(1)
  })

  it('"Assigned to me" opens the queue with assignee=me', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Assigned to me' }).click()
    await page.getByRole('heading', { level: 1, name: 'Assigned to me' }).waitFor()
    expect(new URL(page.url()).searchParams.get('assignee')).toBe('me')
    await page.locator('tbody tr').first().waitFor()
    const mine = (await app.api('GET', `/api/v1/vulnerabilities?assignee=${ids.mia}`)).body
    expect(mine.total).toBe(1)
    expect(await page.locator('tbody .cell-cve').allInnerTexts()).toEqual(['CVE-2024-1001'])
    expect(await page.locator('tbody .cell-assignee').allInnerTexts()).toEqual(['mia'])
    const nav = page.getByRole('navigation', { name: 'Main' })
    expect(await nav.getByRole('link', { name: 'Assigned to me' }).getAttribute('aria-current')).toBe('page')
    expect(await nav.getByRole('link', { name: 'Vulnerabilities' }).getAttribute('aria-current')).toBeNull()
  })

  it('the Decisions page: expiring soon, extend your own, needs review marked by an admin', async () => {
    const mia = await asUser('mia')
    const lead = await asUser(ADMIN)
    const soon = await issueOf('CVE-2024-1002')
    const mine = await mia('POST', '/api/v1/decisions', {
      issueId: soon.id,
      kind: 'accepted',
      reason: 'vendor patch due next week',
      expiresAt: new Date(Date.now() + 5 * DAY).toISOString(),
    })
    expect(mine.status).toBe(201)
    const other = await issueOf('CVE-2024-1003')
    const theirs = await lead('POST', '/api/v1/decisions', {
      issueId: other.id,
      kind: 'not_affected',
      reason: 'the vulnerable function is never called',
      justification: 'vulnerable_code_not_in_execute_path',
      scope: 'cve_everywhere',
    })
    expect(theirs.status).toBe(201)
    // a second scanner reports the decided issue: its decision needs review
    rowsB = [row('b3', 'CVE-2024-1003', { severity: 'medium', detectedAt: daysAgo(5) })]
    await sync(connB)
    await expect.poll(async () => (await issueOf('CVE-2024-1003')).decision?.needsReview).toBe(true)

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Decisions' }).click()
    await page.getByRole('heading', { level: 1, name: 'Decisions' }).waitFor()
    const mineRow = page.locator(`tr[data-decision="${mine.body.decision.id}"]`)
    const theirRow = page.locator(`tr[data-decision="${theirs.body.decision.id}"]`)
    await mineRow.waitFor()
    await theirRow.waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    // the author may extend and revoke; someone else's decision offers nothing to a member
    expect(await mineRow.getByRole('button', { name: /Revoke/ }).count()).toBe(1)
    expect(await theirRow.getByRole('button').count()).toBe(0)
    expect(await theirRow.innerText()).toMatch(/Not affected[\s\S]*Vulnerable code not in execute path/)
    expect(await theirRow.innerText()).toMatch(/This CVE everywhere/)
    // its issues: the queue filtered to its CVE
    expect(await theirRow.getByRole('link', { name: /issues? of the decision/ }).getAttribute('href')).toBe(
      '/vulnerabilities?cve=CVE-2024-1003&status=any',
    )

    await page.getByRole('link', { name: 'Expiring soon' }).click()
    await expect.poll(() => page.locator('tbody tr[data-decision]').count()).toBe(1)
    await mineRow.waitFor()
    await page.screenshot({ path: shot('24-decisions-expiring') })
    await mineRow.getByRole('button', { name: 'Extend the decision on CVE-2024-1002' }).click()
    const extend = page.getByRole('dialog', { name: 'Extend the decision' })
    await extend.getByLabel('New expiry').fill(day(60))
    await extend.getByRole('button', { name: 'Extend' }).click()
    await extend.waitFor({ state: 'detached' })
    // extended past the window: it leaves the expiring view
    await expect.poll(() => page.locator('tbody tr[data-decision]').count()).toBe(0)
    const [y, m, d] = day(60).split('-').map(Number)
    expect(
      new Date((await app.api('GET', `/api/v1/decisions/${mine.body.decision.id}`)).body.decision.expiresAt).getTime(),
    ).toBe(new Date(y!, m! - 1, d!).getTime())

    await page.getByRole('link', { name: 'Needs review' }).click()
    await theirRow.waitFor()
    expect(await theirRow.getByRole('button').count()).toBe(0)
    expect(await theirRow.innerText()).toMatch(/Needs review/)

    // the admin marks it reviewed (and may revoke the member's)
    await signInAs(ADMIN)
    await page.goto(`${base}/decisions?view=review`)
    await theirRow.getByRole('button', { name: 'Mark the decision on CVE-2024-1003 everywhere reviewed' }).click()
    await expect.poll(() => page.locator('tbody tr[data-decision]').count()).toBe(0)
    expect((await issueOf('CVE-2024-1003')).decision.needsReview).toBe(false)
    await page.goto(`${base}/decisions`)
    await mineRow.getByRole('button', { name: 'Revoke the decision on CVE-2024-1002' }).waitFor()
    await page.screenshot({ path: shot('25-decisions-admin') })
  })

  it('an admin changes the SLA policy after a dry run shows the moves', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
    const form = page.getByRole('form', { name: 'SLA policy' })
    expect(await form.getByLabel('Medium', { exact: true }).inputValue()).toBe('90')
    expect(await form.getByLabel('Info', { exact: true }).inputValue()).toBe('')
    expect(await form.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true)
    expect(await unlabelledControls(page)).toEqual([])
    const before = (await app.api('GET', '/api/v1/policies/sla')).body
    // high: 30 → 5 days; the 29 open issues of acme/api, detected 10 days ago, breach
    const next = { ...before, days: { ...before.days, high: 5 } }
    const expected = (await app.api('PUT', '/api/v1/policies/sla?dryRun=true', next)).body
    expect(expected.moves).toEqual([{ from: 'ok', to: 'breached', count: 29 }])

    await form.getByLabel('High', { exact: true }).fill('5')
    await form.getByRole('button', { name: 'Preview changes' }).click()
    const preview = form.getByRole('region', { name: 'What saving changes' })
    await preview.waitFor()
    const rows = await preview
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())),
      )
    expect(rows).toEqual([['On track', 'Breached', '29']])
    // the preview saved nothing
    expect((await app.api('GET', '/api/v1/policies/sla')).body).toEqual(before)
    await page.screenshot({ path: shot('26-sla-policy-preview'), fullPage: true })
    // an edit makes the preview stale: saving needs a new one
    await form.getByLabel('High', { exact: true }).fill('6')
    expect(await form.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true)
    await form.getByLabel('High', { exact: true }).fill('5')
    await form.getByRole('button', { name: 'Preview changes' }).click()
    await preview.waitFor()
    await form.getByRole('button', { name: 'Save policy' }).click()
    await expect.poll(async () => (await app.api('GET', '/api/v1/policies/sla')).body).toEqual(next)
    const high = (await app.api('GET', '/api/v1/vulnerabilities?severity=high&status=open&limit=100')).body
    expect(high.total).toBe(29)
    expect(high.items.every((x: any) => x.sla.state === 'breached')).toBe(true)
  })

  it('a viewer reads the queue, the issue, the decisions and the policy without a single triage control', async () => {
    await signInAs('vic')
    await page.goto(`${base}/vulnerabilities?status=any`)
    await page.locator('tbody tr').first().waitFor()
    expect(await page.locator('tbody input[type="checkbox"], thead input[type="checkbox"]').count()).toBe(0)
    expect(await page.locator('tbody .cell-sla .sla').count()).toBeGreaterThan(0)
    expect(await unlabelledControls(page)).toEqual([])

    const issue = await issueOf('CVE-2024-1001')
    await page.goto(`${base}/vulnerabilities/${issue.id}`)
    const triage = page.getByRole('region', { name: 'Triage' })
    await triage.waitFor()
    expect(await triage.innerText()).toMatch(/Assignee\s+mia/)
    expect(await triage.locator('select, textarea, button').count()).toBe(0)
    expect(await page.locator('textarea').count()).toBe(0)
    await page.getByRole('heading', { name: 'Timeline' }).waitFor()
    await expect.poll(timelineLabels).toContain('Comment')
    await page.screenshot({ path: shot('27-detail-viewer'), fullPage: true })

    await page.goto(`${base}/decisions`)
    await page.locator('tbody tr[data-decision]').first().waitFor()
    expect(await page.locator('tbody button').count()).toBe(0)

    await page.goto(`${base}/settings`)
    const form = page.getByRole('form', { name: 'SLA policy' })
    await form.waitFor()
    expect(await form.getByLabel('Medium', { exact: true }).isDisabled()).toBe(true)
    expect(await form.getByRole('button').count()).toBe(0)
    expect(await page.locator('main').innerText()).toMatch(/Only an admin changes the policy/)
    expect(pageErrors).toEqual([])
  })

  it('labels every control and starts the tab order with the skip link on the new pages', async () => {
    await signInAs('mia')
    const issue = await issueOf('CVE-2024-1001')
    for (const path of ['/decisions', '/settings', `/vulnerabilities/${issue.id}`, '/vulnerabilities?assignee=me']) {
      await page.goto(`${base}${path}`)
      await page.locator('#page-title').waitFor()
      await page.waitForLoadState('networkidle').catch(() => {})
      expect(await unlabelledControls(page), path).toEqual([])
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
      await page.locator('body').focus()
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim()), path).toBe('Skip to content')
    }
    // the row checkboxes are reached by keyboard and toggle with Space
    await page.goto(`${base}/vulnerabilities?repository=acme/web`)
    const box = page.getByLabel('Select CVE-2024-1001 in acme/web')
    await box.focus()
    await page.keyboard.press('Space')
    expect(await box.isChecked()).toBe(true)
    await page.getByRole('region', { name: 'Bulk actions' }).waitFor()
    expect(pageErrors).toEqual([])
  })
})
