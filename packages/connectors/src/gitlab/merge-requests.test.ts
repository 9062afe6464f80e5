import { type RepoRef, UpstreamError } from '@vulnsync/core'
import { type GitlabSimulator, startGitlabSimulator } from '@vulnsync/simulators/gitlab/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import type { GitlabConfig, GitlabSecrets } from './config.ts'
import { gitlabConnector } from './index.ts'
import { gitlabMergeRequests as mrs } from './merge-requests.ts'

let sim: GitlabSimulator
const projects: RepoRef[] = []
const ctx = (token = 'glpat-developer', config: Partial<GitlabConfig> = {}) =>
  createConnectorContext<GitlabConfig, GitlabSecrets>({
    config: { baseUrl: sim.url, fixPullRequests: true, ...config },
    secrets: { token },
    allowPrivateNetworks: true,
    sleep: async () => {},
  })
const change = (content: string, title = 'Upgrade lodash to 4.17.21') => ({
  branch: 'vulnsync/fix/services/api',
  title,
  body: 'body',
  commitMessage: title,
  files: [
    { path: 'services/api/package.json', content },
    { path: 'services/api/package-lock.json', content: '{"lockfileVersion":3}\n' },
  ],
})

beforeAll(async () => {
  sim = await startGitlabSimulator({ repos: 30 })
  const withBranch = sim
    .visibleIds('glpat-developer')
    .map((id) => sim.project(id) as { id: number; path_with_namespace: string; default_branch: string | null })
    .filter((p) => p.default_branch)
  for (const p of withBranch.slice(0, 3)) {
    sim.setFiles(p.path_with_namespace, {
      'services/api/package.json': '{"dependencies":{"lodash":"4.17.15"}}\n',
      'README.md': '# app\n',
    })
    projects.push({ externalId: String(p.id), fullName: p.path_with_namespace, defaultBranch: p.default_branch })
  }
})
afterAll(() => sim.close())

describe('GitLab fix merge requests (commits API with actions, against the simulator)', () => {
  it('reads a file of the default branch, or null', async () => {
    const [p] = projects
    expect(await mrs.readFile(ctx(), p!, 'services/api/package.json')).toBe('{"dependencies":{"lodash":"4.17.15"}}\n')
    expect(await mrs.readFile(ctx(), p!, 'services/api/package-lock.json')).toBeNull()
    // without a known default branch, the project says which
    expect(await mrs.readFile(ctx(), { ...p!, defaultBranch: null }, 'README.md')).toBe('# app\n')
  })

  it('opens one commit with every file on a new branch, then the merge request; running again updates the same one', async () => {
    const p = projects[0]!
    const first = await mrs.open(ctx(), p, change('{"dependencies":{"lodash":"4.17.21"}}\n'))
    expect(first).toMatchObject({
      number: 1,
      state: 'open',
      branch: 'vulnsync/fix/services/api',
      baseBranch: p.defaultBranch,
      created: true,
    })
    expect(first.url).toBe(`https://gitlab.com/${p.fullName}/-/merge_requests/1`)
    const git = sim.git(p.fullName)!
    const files = git.files('vulnsync/fix/services/api')!
    expect(files.get('services/api/package.json')).toBe('{"dependencies":{"lodash":"4.17.21"}}\n')
    expect(files.get('services/api/package-lock.json')).toBe('{"lockfileVersion":3}\n')
    expect(files.get('README.md')).toBe('# app\n')
    const head = git.commits.get(git.refs.get('vulnsync/fix/services/api')!)!
    expect(head.parents).toEqual([git.refs.get(p.defaultBranch!)]) // one commit on the default branch
    expect(git.file('services/api/package.json')).toBe('{"dependencies":{"lodash":"4.17.15"}}\n')

    const again = await mrs.open(ctx(), p, change('{"dependencies":{"lodash":"4.17.21"}}\n', 'Upgrade lodash (2 CVEs)'))
    expect(again).toMatchObject({ number: 1, created: false })
    expect(git.pulls).toHaveLength(1)
    expect(git.pulls[0]!.title).toBe('Upgrade lodash (2 CVEs)')
    // the branch was rewritten from the default branch, not stacked
    expect(git.commits.get(git.refs.get('vulnsync/fix/services/api')!)!.parents).toEqual([
      git.refs.get(p.defaultBranch!),
    ])
  })

  it('never commits to the default branch', async () => {
    const p = projects[0]!
    await expect(mrs.open(ctx(), p, { ...change('{}'), branch: p.defaultBranch! })).rejects.toThrow(
      /never commits to the default branch/,
    )
  })

  it('survives a branch made meanwhile and a merge request opened meanwhile', async () => {
    const p = projects[1]!
    sim.setFaults({ gitlabBranchExistsNext: 1, gitlabMrExistsNext: 1 })
    const mr = await mrs.open(ctx(), p, change('{"a":1}\n'))
    expect(mr).toMatchObject({ number: 1, state: 'open', created: false })
    expect(sim.git(p.fullName)!.pulls).toHaveLength(1)
    expect(sim.git(p.fullName)!.file('services/api/package.json', 'vulnsync/fix/services/api')).toBe('{"a":1}\n')
    sim.setFaults({})
  })

  it('a file changed meanwhile (stale last_commit_id) fails in GitLab’s words', async () => {
    sim.setFaults({ gitlabStaleNext: 1 })
    await expect(mrs.open(ctx(), projects[2]!, change('{"b":2}\n'))).rejects.toThrow(
      /changed since you started editing it/,
    )
    sim.setFaults({})
  })

  it('says what the token lacks when it may not write', async () => {
    // read_api only
    const err = await mrs.open(ctx('glpat-admin'), projects[2]!, change('{}')).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('permission')
    expect(err.message).toMatch(/insufficient_scope.*api scope.*Developer role/)
  })

  it('tells merged, closed and open merge requests apart', async () => {
    const p = projects[0]!
    sim.mergeMergeRequest(p.fullName, 1)
    expect(await mrs.state(ctx(), p, 1)).toMatchObject({ state: 'merged', mergedAt: expect.any(Date) })
    expect(sim.git(p.fullName)!.file('services/api/package.json')).toBe('{"dependencies":{"lodash":"4.17.21"}}\n')
    const next = await mrs.open(ctx(), p, change('{"c":3}\n'))
    expect(next).toMatchObject({ number: 2, created: true })
    expect(await mrs.state(ctx(), p, 2)).toMatchObject({ state: 'open', mergedAt: null })
    sim.closeMergeRequest(p.fullName, 2)
    expect(await mrs.state(ctx(), p, 2)).toMatchObject({ state: 'closed', mergedAt: null })
  })

  it('the check says what is missing when fix merge requests are on and the token cannot write', async () => {
    expect((await gitlabConnector.check(ctx())).ok).toBe(true)
    expect(await gitlabConnector.check(ctx('glpat-admin'))).toMatchObject({
      ok: false,
      code: 'permission',
      message: expect.stringMatching(/not api/),
    })
    expect((await gitlabConnector.check(ctx('glpat-admin', { fixPullRequests: false }))).ok).toBe(true)
  })
})
