import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { scannedGithubRepos, scannedOxDataset } from '@vulnsync/simulators/fixable/ox.ts'
import { mavenServiceFiles, npmServiceFiles, pythonServiceFiles } from '@vulnsync/simulators/fixable/repos.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { type MavenSimulator, startMavenSimulator } from '@vulnsync/simulators/maven/index.ts'
import { type NpmRegistrySimulator, startNpmRegistrySimulator } from '@vulnsync/simulators/npm-registry/index.ts'
import { type OxSimulator, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import { type PypiSimulator, startPypiSimulator } from '@vulnsync/simulators/pypi/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../testing.ts'
import { connectAndSync, oxConnection, syncNow } from './e2e-steps.ts'
import { createNpmRunner } from './npm-cli.ts'

/**
 * Fix pull requests end to end against the simulators: a GitHub organisation whose repositories hold real files, OX
 * reporting what those files install, the npm, PyPI and Maven registries. Plan, dry run, pull request (with a lockfile
 * npm installs from), running it twice, merge in the simulator, the next scan, and the issues fixed by that pull
 * request; a closed one puts its issues back to triaged; a merge that did not fix is flagged.
 */
const run = promisify(execFile)
type GhRepo = { id: number; full_name: string; html_url: string; default_branch: string }

let app: TestApp
let gh: GithubSimulator
let ox: OxSimulator
let npm: NpmRegistrySimulator
let pypi: PypiSimulator
let maven: MavenSimulator
let node: GhRepo
let java: GhRepo
let python: GhRepo
const ids: Record<string, string> = {}
let githubId = ''
let oxId = ''

const sync = (connectionId: string) => syncNow(app, connectionId)
const issuesOf = async (repoId: string) =>
  (await app.api('GET', `/api/v1/vulnerabilities?repository=${repoId}&status=open,fixed&limit=500`)).body.items as any[]

beforeAll(async () => {
  ;[npm, pypi, maven] = await Promise.all([startNpmRegistrySimulator(), startPypiSimulator(), startMavenSimulator()])
  gh = await startGithubSimulator({ repos: 12 })
  const repos = gh.visibleIds('ghp_admin').map((id) => gh.repo(id) as unknown as GhRepo)
  ;[node, java, python] = [repos[2]!, repos[3]!, repos[4]!]
  gh.setFiles(node.full_name, npmServiceFiles(npm.dataset, npm.url))
  gh.setFiles(java.full_name, mavenServiceFiles())
  gh.setFiles(python.full_name, pythonServiceFiles())
  ox = await startOxSimulator({
    dataset: scannedOxDataset(scannedGithubRepos(gh, [node, java, python])),
  })
  app = await startTestApp({
    env: { VULNSYNC_NPM_REGISTRY: npm.url, VULNSYNC_PYPI_URL: pypi.url, VULNSYNC_MAVEN_URL: maven.url },
  })
  githubId = await connectAndSync(app, {
    kind: 'github',
    name: 'GitHub',
    config: { baseUrl: gh.url, org: gh.org, fixPullRequests: true },
    secrets: { token: 'ghp_admin' },
  })
  oxId = await connectAndSync(app, oxConnection(ox))
  const inventory = (await app.api('GET', '/api/v1/repositories?limit=500')).body.items as any[]
  for (const r of [node, java, python]) ids[r.full_name] = inventory.find((x) => x.fullName === r.full_name).id
}, 180_000)

afterAll(async () => {
  await app?.close()
  await Promise.all([gh, ox, npm, pypi, maven].map((s) => s?.close()))
})

describe('fix plans and fix pull requests, end to end', () => {
  it('plans each package of a repository: the lowest safe version, direct or through overrides, major jumps flagged', async () => {
    const r = await app.api('GET', `/api/v1/repositories/${ids[node.full_name]}/fix-plans`)
    expect(r.status).toBe(200)
    const by = Object.fromEntries(r.body.items.map((p: any) => [p.package.name, p]))
    expect(by.lodash).toMatchObject({
      installedVersion: '4.17.15',
      fixVersion: '4.17.21',
      fixes: ['CVE-2020-8203', 'CVE-2021-23337'],
      majorBump: false,
      strategy: 'direct',
      versionSource: 'registry',
      manifest: { path: 'package.json', editable: true },
    })
    expect(by.lodash.explanation).toMatch(/deprecated/) // 4.17.16 was never considered
    expect(by.minimist).toMatchObject({
      installedVersion: '0.0.8',
      fixVersion: '1.2.6',
      strategy: 'override',
      majorBump: true,
    })
    expect(by['follow-redirects']).toMatchObject({ fixVersion: '1.15.6', strategy: 'override', majorBump: false })
    expect(by.axios).toMatchObject({ fixVersion: '1.6.0', majorBump: true, fixes: ['CVE-2021-3749', 'CVE-2023-45857'] })
    // Maven: log4j through the lowest version free of all four CVEs, not the first fix of Log4Shell
    const m = await app.api('GET', `/api/v1/repositories/${ids[java.full_name]}/fix-plans`)
    const log4j = m.body.items.find((p: any) => p.package.name === 'org.apache.logging.log4j:log4j-core')
    expect(log4j).toMatchObject({
      installedVersion: '2.14.1',
      fixVersion: '2.17.1',
      strategy: 'direct',
      majorBump: false,
    })
    const yaml = m.body.items.find((p: any) => p.package.name === 'org.yaml:snakeyaml')
    expect(yaml).toMatchObject({ fixVersion: '2.0', strategy: 'override', majorBump: true })
    // PyPI: yanked 2.32.0 and 2.32.1 are never chosen
    const p = await app.api('GET', `/api/v1/repositories/${ids[python.full_name]}/fix-plans`)
    expect(p.body.items.find((x: any) => x.package.name === 'requests')).toMatchObject({ fixVersion: '2.32.2' })
  })

  it('the CLI prints the plans and a dry run with the diffs', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, [fileURLToPath(new URL('../../bin/vulnsync.mjs', import.meta.url)), ...args], {
        env: { PATH: process.env.PATH, VULNSYNC_URL: app.url, VULNSYNC_TOKEN: app.token },
      })
    const plan = await cli('fix', 'plan', java.full_name)
    expect(plan.stdout).toContain('org.apache.logging.log4j:log4j-core 2.14.1 -> 2.17.1  direct in pom.xml')
    expect(plan.stdout).toContain('org.yaml:snakeyaml 1.26 -> 2.0 (MAJOR)  override')
    const dry = await cli('fix', 'pr', java.full_name, '--dry-run')
    expect(dry.stdout).toContain('(dry run) vulnsync/fix/root  (root): ')
    expect(dry.stdout).toContain('+    <log4j.version>2.17.1</log4j.version>')
    expect(gh.git(java.full_name)!.pulls).toHaveLength(0)
  }, 60_000)

  it('answers the plan of one vulnerability', async () => {
    const lodash = (await issuesOf(ids[node.full_name]!)).find((i) => i.cve === 'CVE-2021-23337')
    const r = await app.api('GET', `/api/v1/vulnerabilities/${lodash.id}/fix`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      package: { name: 'lodash', ecosystem: 'npm' },
      fixVersion: '4.17.21',
      strategy: 'direct',
      pullRequests: [],
      fixedBy: null,
      pullRequestsEnabled: true,
    })
  })

  it('a dry run returns the exact changes as unified diffs and writes nothing', async () => {
    const r = await app.api('POST', `/api/v1/repositories/${ids[node.full_name]}/fix-prs`, { dryRun: true })
    expect(r.status).toBe(200)
    expect(r.body.dryRun).toBe(true)
    const [pr] = r.body.pullRequests
    expect(pr).not.toHaveProperty('url')
    expect(pr).toMatchObject({ branch: 'vulnsync/fix/root', state: 'planned', manifestDir: '' })
    expect(pr.changes.map((c: any) => c.path)).toEqual(['package.json', 'package-lock.json'])
    expect(pr.changes[0].diff).toContain('-    "lodash": "^4.17.15"')
    expect(pr.changes[0].diff).toContain('+    "lodash": "^4.17.21"')
    expect(pr.changes[0].diff).toContain('"overrides"')
    expect(gh.git(node.full_name)!.refs.has('vulnsync/fix/root')).toBe(false)
    expect(gh.git(node.full_name)!.pulls).toHaveLength(0)
  })

  it('opens one pull request for the manifest directory, with a lockfile npm installs from; twice leaves one', async () => {
    const r = await app.api('POST', `/api/v1/repositories/${ids[node.full_name]}/fix-prs`, {})
    expect(r.status).toBe(201)
    const [pr] = r.body.pullRequests
    expect(pr).toMatchObject({ number: 1, state: 'open', branch: 'vulnsync/fix/root' })
    expect(pr.url).toBe(`https://github.com/${node.full_name}/pull/1`)
    const git = gh.git(node.full_name)!
    expect(git.pulls).toHaveLength(1)
    const body = git.pulls[0]!.body
    expect(body).toContain('CVE-2021-23337')
    expect(body).toContain('Major upgrade')
    expect(body).toMatch(/verifies this fix on the next complete scan/)
    // npm ci on the pull request's files, against the registry
    const dir = mkdtempSync(join(tmpdir(), 'fix-pr-ci-'))
    try {
      writeFileSync(join(dir, 'package.json'), git.file('package.json', 'vulnsync/fix/root')!)
      writeFileSync(join(dir, 'package-lock.json'), git.file('package-lock.json', 'vulnsync/fix/root')!)
      await createNpmRunner(npm.url).run(dir, ['ci'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const issues = await issuesOf(ids[node.full_name]!)
    expect(issues.length).toBeGreaterThan(0)
    for (const i of issues) expect(i.stage).toBe('fix_proposed')

    const again = await app.api('POST', `/api/v1/repositories/${ids[node.full_name]}/fix-prs`, {})
    expect(again.status).toBe(201)
    expect(again.body.pullRequests[0].number).toBe(1)
    expect(git.pulls).toHaveLength(1)
    const list = await app.api('GET', '/api/v1/fix-prs')
    expect(list.body.items.filter((p: any) => p.repositoryId === ids[node.full_name])).toHaveLength(1)
  }, 120_000)

  it('asked for one package, the open pull request of its directory keeps what it bundles', async () => {
    const r = await app.api('POST', `/api/v1/repositories/${ids[node.full_name]}/fix-prs`, { packages: ['lodash'] })
    expect(r.status).toBe(201)
    const [pr] = r.body.pullRequests
    expect(pr.number).toBe(1)
    expect(pr.packages.map((p: any) => p.name).sort()).toEqual(['axios', 'follow-redirects', 'lodash', 'minimist'])
    const git = gh.git(node.full_name)!
    expect(git.pulls).toHaveLength(1)
    expect(git.file('package.json', 'vulnsync/fix/root')).toContain('"minimist": "1.2.6"')
    // a package no plan upgrades is refused, by name
    const none = await app.api('POST', `/api/v1/repositories/${ids[node.full_name]}/fix-prs`, {
      packages: ['left-pad'],
    })
    expect(none.status).toBe(422)
    expect(none.body.error.code).toBe('nothing_to_fix')
  }, 120_000)

  it('merge, the next SCM sync (fix_merged), the next scan: the issues are fixed by that pull request', async () => {
    gh.mergePullRequest(node.full_name, 1)
    await sync(githubId)
    const merged = (await app.api('GET', '/api/v1/fix-prs')).body.items.find(
      (p: any) => p.repositoryId === ids[node.full_name],
    )
    expect(merged.state).toBe('merged')
    for (const i of await issuesOf(ids[node.full_name]!)) expect(i.stage).toBe('fix_merged')
    await sync(oxId)
    const after = await issuesOf(ids[node.full_name]!)
    for (const i of after) expect(i.status).toBe('fixed')
    const fix = await app.api('GET', `/api/v1/vulnerabilities/${after[0].id}/fix`)
    expect(fix.body.fixedBy).toEqual({ pullRequest: { id: merged.id, number: 1, url: merged.url } })
    const timeline = await app.api('GET', `/api/v1/vulnerabilities/${after[0].id}/timeline`)
    expect(timeline.body.items.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(['fix_pull_request', 'fix_verified']),
    )
  }, 120_000)

  it('a pull request closed without merging puts its issues back to triaged, and says so', async () => {
    const r = await app.api('POST', `/api/v1/repositories/${ids[java.full_name]}/fix-prs`, {})
    expect(r.status).toBe(201)
    const diff = r.body.pullRequests[0].changes[0].diff
    expect(diff).toContain('+    <log4j.version>2.17.1</log4j.version>')
    expect(diff).toContain('<dependencyManagement>')
    gh.closePullRequest(java.full_name, r.body.pullRequests[0].number)
    const refreshed = await app.api('POST', '/api/v1/fix-prs/refresh')
    expect(refreshed.body.changed).toBe(1)
    const issues = await issuesOf(ids[java.full_name]!)
    for (const i of issues) expect(i.stage).toBe('triaged')
    const t = await app.api('GET', `/api/v1/vulnerabilities/${issues[0].id}/timeline`)
    expect(t.body.items.some((e: any) => e.type === 'fix_pull_request' && e.detail.action === 'closed')).toBe(true)
  }, 120_000)

  it('a merge the next scan does not confirm is flagged "merged but still vulnerable" with the version it sees', async () => {
    const r = await app.api('POST', `/api/v1/repositories/${ids[python.full_name]}/fix-prs`, {})
    expect(r.status).toBe(201)
    gh.mergePullRequest(python.full_name, r.body.pullRequests[0].number)
    await sync(githubId)
    // someone reverts the change on the default branch before the scan
    gh.setFiles(python.full_name, pythonServiceFiles())
    await sync(oxId)
    const requests = (await issuesOf(ids[python.full_name]!)).find((i) => i.cve === 'CVE-2024-35195')
    expect(requests.status).toBe('open')
    const fix = await app.api('GET', `/api/v1/vulnerabilities/${requests.id}/fix`)
    expect(fix.body.verification).toMatchObject({ status: 'still_vulnerable', versions: ['2.25.1'] })
  }, 120_000)

  it('refuses to open pull requests on a connection that did not opt in, and still answers a dry run', async () => {
    await app.api('PATCH', `/api/v1/connections/${githubId}`, {
      config: { baseUrl: gh.url, org: gh.org, fixPullRequests: false },
    })
    const r = await app.api('POST', `/api/v1/repositories/${ids[python.full_name]}/fix-prs`, {})
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('fix_prs_disabled')
    expect(
      (await app.api('POST', `/api/v1/repositories/${ids[python.full_name]}/fix-prs`, { dryRun: true })).status,
    ).toBe(200)
  })
})
