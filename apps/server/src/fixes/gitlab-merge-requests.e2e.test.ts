import { DRIVERS } from '@vulnsync/db/testing'
import { scannedGitlabProjects, scannedOxDataset } from '@vulnsync/simulators/fixable/ox.ts'
import { npmServiceFiles } from '@vulnsync/simulators/fixable/repos.ts'
import { type GitlabSimulator, startGitlabSimulator } from '@vulnsync/simulators/gitlab/index.ts'
import { type NpmRegistrySimulator, startNpmRegistrySimulator } from '@vulnsync/simulators/npm-registry/index.ts'
import { type OxSimulator, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../testing.ts'
import { connectAndSync, oxConnection, syncNow } from './e2e-steps.ts'

/**
 * Fix merge requests on GitLab end to end, on PGlite and on PostgreSQL (the fix store's SQL on both): a project whose
 * package.json and lockfile sit in services/api, OX reporting what they install, the npm registry. Open the merge
 * request (branch vulnsync/fix/services/api), run it again (the same one), merge it in the simulator, the next GitLab
 * sync (fix_merged) and the next scan (fixed by it).
 */
type GlProject = { id: number; path_with_namespace: string; web_url: string; default_branch: string }

describe.each(DRIVERS)('fix merge requests on GitLab, end to end (%s)', (driver) => {
  let app: TestApp
  let gl: GitlabSimulator
  let npm: NpmRegistrySimulator
  let ox: OxSimulator
  let project: GlProject
  let repoId = ''
  let gitlabId = ''
  let oxId = ''

  const sync = (connectionId: string) => syncNow(app, connectionId)
  const issues = async () =>
    (await app.api('GET', `/api/v1/vulnerabilities?repository=${repoId}&status=open,fixed&limit=500`)).body
      .items as any[]

  beforeAll(async () => {
    npm = await startNpmRegistrySimulator()
    gl = await startGitlabSimulator({ repos: 20 })
    project = gl
      .visibleIds('glpat-developer')
      .map((id) => gl.project(id) as unknown as GlProject)
      .find((p) => p.default_branch)!
    const files = npmServiceFiles(npm.dataset, npm.url)
    gl.setFiles(project.path_with_namespace, {
      'README.md': '# platform\n',
      ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`services/api/${k}`, v])),
    })
    ox = await startOxSimulator({ dataset: scannedOxDataset(scannedGitlabProjects(gl, [project])) })
    app = await startTestApp({ driver, env: { VULNSYNC_NPM_REGISTRY: npm.url } })
    gitlabId = await connectAndSync(app, {
      kind: 'gitlab',
      name: 'GitLab',
      config: { baseUrl: gl.url, fixPullRequests: true },
      secrets: { token: 'glpat-developer' },
    })
    oxId = await connectAndSync(app, oxConnection(ox))
    const inventory = (await app.api('GET', '/api/v1/repositories?limit=500')).body.items as any[]
    repoId = inventory.find((r) => r.fullName === project.path_with_namespace).id
  }, 180_000)

  afterAll(async () => {
    await app?.close()
    await Promise.all([gl, npm, ox].map((s) => s?.close()))
  })

  it('plans the project’s packages in services/api', async () => {
    const r = await app.api('GET', `/api/v1/repositories/${repoId}/fix-plans`)
    expect(r.status).toBe(200)
    expect(r.body.repository.pullRequestsEnabled).toBe(true)
    expect(r.body.items.find((p: any) => p.package.name === 'lodash')).toMatchObject({
      fixVersion: '4.17.21',
      strategy: 'direct',
      manifest: { path: 'services/api/package.json' },
    })
  })

  it('opens one merge request for the directory; running it again updates the same one', async () => {
    const r = await app.api('POST', `/api/v1/repositories/${repoId}/fix-prs`, {})
    expect(r.status).toBe(201)
    const [mr] = r.body.pullRequests
    expect(mr).toMatchObject({
      number: 1,
      state: 'open',
      branch: 'vulnsync/fix/services/api',
      manifestDir: 'services/api',
    })
    expect(mr.url).toBe(`https://gitlab.com/${project.path_with_namespace}/-/merge_requests/1`)
    expect(mr.changes.map((c: any) => c.path)).toEqual(['services/api/package.json', 'services/api/package-lock.json'])
    const git = gl.git(project.path_with_namespace)!
    expect(git.file('services/api/package.json', 'vulnsync/fix/services/api')).toContain('"lodash": "^4.17.21"')
    expect(git.pulls[0]!.body).toContain('CVE-2021-23337')
    for (const i of await issues()) expect(i.stage).toBe('fix_proposed')
    const again = await app.api('POST', `/api/v1/repositories/${repoId}/fix-prs`, {})
    expect(again.body.pullRequests[0].number).toBe(1)
    expect(git.pulls).toHaveLength(1)
    const list = (await app.api('GET', `/api/v1/fix-prs?repositoryId=${repoId}`)).body.items
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ provider: 'gitlab', state: 'open' })
  }, 120_000)

  it('merge, the next GitLab sync, the next scan: fixed by that merge request', async () => {
    gl.mergeMergeRequest(project.path_with_namespace, 1)
    await sync(gitlabId)
    const [merged] = (await app.api('GET', `/api/v1/fix-prs?repositoryId=${repoId}`)).body.items
    expect(merged.state).toBe('merged')
    for (const i of await issues()) expect(i.stage).toBe('fix_merged')
    await sync(oxId)
    const after = await issues()
    expect(after.length).toBeGreaterThan(0)
    for (const i of after) expect(i.status).toBe('fixed')
    const fix = await app.api('GET', `/api/v1/vulnerabilities/${after[0].id}/fix`)
    expect(fix.body.fixedBy).toEqual({ pullRequest: { id: merged.id, number: 1, url: merged.url } })
  }, 120_000)
})
