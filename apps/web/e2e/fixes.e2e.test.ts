// Fix plans and fix pull requests in Chromium, against a real server and the simulators (issue 13): a repository's
// fix plans, the diff preview and the patch download, opening the pull request, the Fix panel of a vulnerability, the
// list of fix pull requests and its state after a merge. Screenshots go to .test-artifacts/web/.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { connectAndSync, oxConnection } from '@vulnsync/server/fixes/e2e-steps.ts'
import { startTestApp, type TestApp } from '@vulnsync/server/testing.ts'
import { scannedGithubRepos, scannedOxDataset } from '@vulnsync/simulators/fixable/ox.ts'
import { npmServiceFiles } from '@vulnsync/simulators/fixable/repos.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { type NpmRegistrySimulator, startNpmRegistrySimulator } from '@vulnsync/simulators/npm-registry/index.ts'
import { type OxSimulator, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, shot } from './browser.ts'

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const USER = { username: 'fix-admin', password: 'fix-password-1234' }

type GhRepo = { id: number; full_name: string; html_url: string; default_branch: string }

let app: TestApp
let base: string
let gh: GithubSimulator
let npm: NpmRegistrySimulator
let ox: OxSimulator
let repo: GhRepo
let repoId = ''
let context: BrowserContext
let closeBrowser: () => Promise<void>
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run `npm run build:web` first')
  npm = await startNpmRegistrySimulator()
  gh = await startGithubSimulator({ repos: 6 })
  repo = gh.repo(gh.visibleIds('ghp_admin')[2]!) as unknown as GhRepo
  gh.setFiles(repo.full_name, npmServiceFiles(npm.dataset, npm.url))
  ox = await startOxSimulator({
    dataset: scannedOxDataset(scannedGithubRepos(gh, [repo])),
  })
  app = await startTestApp({ serveWeb: true, env: { VULNSYNC_NPM_REGISTRY: npm.url } })
  base = app.url.replace(/\/+$/, '')
  expect((await app.api('POST', '/api/v1/users', { ...USER, role: 'admin' })).status).toBe(201)
  await connectAndSync(app, {
    kind: 'github',
    name: 'GitHub',
    config: { baseUrl: gh.url, org: gh.org, fixPullRequests: true },
    secrets: { token: 'ghp_admin' },
  })
  await connectAndSync(app, oxConnection(ox))
  const inventory = (await app.api('GET', '/api/v1/repositories?limit=100')).body.items as any[]
  repoId = inventory.find((r) => r.fullName === repo.full_name).id
  const browser = await launch()
  context = browser.context
  closeBrowser = browser.close
  page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`${base}/repositories`)
  await page.getByLabel('User name', { exact: true }).fill(USER.username)
  await page.getByLabel('Password', { exact: true }).fill(USER.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Repositories' }).waitFor()
}, 180_000)

afterAll(async () => {
  await closeBrowser?.()
  await app?.close()
  await Promise.all([gh, npm, ox].map((s) => s?.close()))
})

describe('fix plans and fix pull requests in the web app', () => {
  it('shows the fix plans of a repository, previews the diff and downloads the patch without writing', async () => {
    await page.getByRole('link', { name: `Fix plans of ${repo.full_name}` }).click()
    await page.getByRole('heading', { name: `Fix plans: ${repo.full_name}` }).waitFor()
    const lodash = page.locator('.fix-plan[data-package="lodash"]')
    await expect.poll(() => lodash.textContent()).toMatch(/4\.17\.15\s*→\s*to\s*4\.17\.21/)
    expect(await page.locator('.fix-plan[data-package="minimist"]').textContent()).toMatch(
      /Only a new major version fixes it/,
    )
    await page.getByRole('button', { name: 'Preview changes' }).click()
    const diff = page.locator('pre.diff[data-path="package.json"]')
    await diff.waitFor()
    expect(await diff.textContent()).toContain('+    "lodash": "^4.17.21"')
    expect(await page.locator('pre.diff[data-path="package-lock.json"]').count()).toBe(1)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download patch' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('vulnsync-fix-root.patch')
    const patch = readFileSync((await download.path())!, 'utf8')
    expect(patch).toMatch(/^--- a\/package\.json\n\+\+\+ b\/package\.json\n/)
    expect(patch).toContain('+++ b/package-lock.json')
    expect(gh.git(repo.full_name)!.pulls).toHaveLength(0)
    await page.screenshot({ path: shot('fix-01-repository-plans'), fullPage: true })
  })

  it('opens the pull request and shows it in the list of fix pull requests', async () => {
    await page.getByRole('button', { name: 'Open pull request' }).click()
    await page.getByRole('link', { name: '#1' }).waitFor()
    expect(gh.git(repo.full_name)!.pulls).toHaveLength(1)
    await page.getByRole('link', { name: 'Fix pull requests', exact: true }).click()
    await page.getByRole('heading', { name: 'Fix pull requests', level: 1 }).waitFor()
    const row = page.locator('tr[data-fix-pr]')
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.textContent()).toContain(`${repo.full_name} #1`)
    expect(await row.textContent()).toContain('Open')
    await page.screenshot({ path: shot('fix-02-pull-requests') })
  })

  it('shows the Fix panel of a vulnerability with its plan and pull request; a merge shows after a refresh', async () => {
    const issues = (await app.api('GET', `/api/v1/vulnerabilities?repository=${repoId}&limit=50`)).body.items as any[]
    const lodash = issues.find((i) => i.cve === 'CVE-2021-23337')
    await page.goto(`${base}/vulnerabilities/${lodash.id}`)
    const panel = page.locator('section.fix-panel')
    await panel.waitFor()
    await expect.poll(() => panel.textContent()).toMatch(/lodash\s*4\.17\.15\s*→\s*to\s*4\.17\.21/)
    expect(await panel.textContent()).toContain(`${repo.full_name} #1`)
    // a pull request is open: opening again updates it
    expect(await panel.getByRole('button', { name: 'Update pull request' }).count()).toBe(1)
    await page.screenshot({ path: shot('fix-03-fix-panel'), fullPage: true })

    gh.mergePullRequest(repo.full_name, 1)
    await page.goto(`${base}/fix-prs`)
    await page.getByRole('button', { name: 'Refresh states' }).click()
    await expect.poll(() => page.locator('tr[data-fix-pr]').textContent()).toContain('Merged')
    await page.getByRole('button', { name: 'Merged' }).click()
    await expect.poll(() => new URL(page.url()).searchParams.get('state')).toBe('merged')
    await expect.poll(() => page.locator('tr[data-fix-pr]').count()).toBe(1)
    expect(pageErrors).toEqual([])
  })
})
