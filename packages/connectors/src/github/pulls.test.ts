import { type RepoRef, UpstreamError } from '@vulnsync/core'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import type { GithubConfig, GithubSecrets } from './config.ts'
import { githubConnector } from './index.ts'
import { githubPullRequests as pulls } from './pulls.ts'

let sim: GithubSimulator
let repo: RepoRef
const ctx = (token = 'ghp_admin', config: Partial<GithubConfig> = {}) =>
  createConnectorContext<GithubConfig, GithubSecrets>({
    config: { baseUrl: sim.apiUrl, org: sim.org, fixPullRequests: true, ...config },
    secrets: { token },
    allowPrivateNetworks: true,
    sleep: async () => {},
  })
const change = (content: string, title = 'Upgrade lodash to 4.17.21') => ({
  branch: 'vulnsync/fix/root',
  title,
  body: 'body',
  commitMessage: title,
  files: [
    { path: 'package.json', content },
    { path: 'package-lock.json', content: '{"lockfileVersion":3}\n' },
  ],
})

beforeAll(async () => {
  sim = await startGithubSimulator({ repos: 20 })
  const r = sim.repo(sim.visibleIds('ghp_admin')[3]!) as { id: number; full_name: string; default_branch: string }
  repo = { externalId: String(r.id), fullName: r.full_name, defaultBranch: r.default_branch }
  sim.setFiles(r.full_name, { 'package.json': '{"dependencies":{"lodash":"4.17.15"}}\n', 'README.md': '# app\n' })
})
afterAll(() => sim.close())

describe('GitHub fix pull requests (Git Data API, against the simulator)', () => {
  it('reads a file of the default branch, or null', async () => {
    expect(await pulls.readFile(ctx(), repo, 'package.json')).toBe('{"dependencies":{"lodash":"4.17.15"}}\n')
    expect(await pulls.readFile(ctx(), repo, 'package-lock.json')).toBeNull()
  })

  it('opens one atomic commit on the base tree, then the pull request; running again updates the same one', async () => {
    const first = await pulls.open(ctx(), repo, change('{"dependencies":{"lodash":"4.17.21"}}\n'))
    expect(first).toMatchObject({
      number: 1,
      state: 'open',
      branch: 'vulnsync/fix/root',
      baseBranch: repo.defaultBranch,
      created: true,
    })
    const git = sim.git(repo.fullName)!
    const files = git.files('vulnsync/fix/root')!
    expect(files.get('package.json')).toBe('{"dependencies":{"lodash":"4.17.21"}}\n')
    expect(files.get('README.md')).toBe('# app\n') // the base tree is kept
    expect(git.commits.get(git.refs.get('vulnsync/fix/root')!)!.parents).toEqual([git.refs.get(repo.defaultBranch!)])
    const again = await pulls.open(
      ctx(),
      repo,
      change('{"dependencies":{"lodash":"4.17.21"}}\n', 'Upgrade lodash (2 CVEs)'),
    )
    expect(again).toMatchObject({ number: 1, created: false })
    expect(git.pulls).toHaveLength(1)
    expect(git.pulls[0]!.title).toBe('Upgrade lodash (2 CVEs)')
  })

  it('never commits to the default branch', async () => {
    await expect(pulls.open(ctx(), repo, { ...change('{}'), branch: repo.defaultBranch! })).rejects.toThrow(
      /never commits to the default branch/,
    )
  })

  it('survives a branch made meanwhile and a pull request opened meanwhile', async () => {
    const other = sim.repo(sim.visibleIds('ghp_admin')[4]!) as { id: number; full_name: string; default_branch: string }
    sim.setFiles(other.full_name, { 'package.json': '{}\n' })
    const ref = { externalId: String(other.id), fullName: other.full_name, defaultBranch: other.default_branch }
    sim.setFaults({ branchExistsNext: 1, pullExistsNext: 1 })
    const pr = await pulls.open(ctx(), ref, change('{"a":1}\n'))
    expect(pr).toMatchObject({ number: 1, state: 'open', created: false })
    expect(sim.git(other.full_name)!.pulls).toHaveLength(1)
    expect(sim.git(other.full_name)!.file('package.json', 'vulnsync/fix/root')).toBe('{"a":1}\n')
  })

  it('says which permission is missing when the token may not write', async () => {
    const err = await pulls.open(ctx('github_pat_readonly'), repo, change('{}')).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('permission')
    expect(err.message).toMatch(/Contents: write.*Pull requests: write/)
  })

  it('a stale branch (the move refused) fails in GitHub’s words', async () => {
    sim.setFaults({ staleShaNext: 1 })
    await expect(pulls.open(ctx(), repo, change('{"b":2}\n'))).rejects.toThrow(/Update is not a fast forward/)
    sim.setFaults({})
  })

  it('tells merged and closed pull requests apart', async () => {
    sim.mergePullRequest(repo.fullName, 1)
    expect(await pulls.state(ctx(), repo, 1)).toMatchObject({ state: 'merged', mergedAt: expect.any(Date) })
    expect(sim.git(repo.fullName)!.file('package.json')).toBe('{"dependencies":{"lodash":"4.17.21"}}\n')
    const next = await pulls.open(ctx(), repo, change('{"c":3}\n'))
    expect(next.number).toBe(2)
    sim.closePullRequest(repo.fullName, 2)
    expect(await pulls.state(ctx(), repo, 2)).toMatchObject({ state: 'closed', mergedAt: null })
  })

  it('the check says what is missing when fix pull requests are on and the token cannot write', async () => {
    const ok = await githubConnector.check(ctx())
    expect(ok.ok).toBe(true)
    const public_ = await githubConnector.check(ctx('ghp_public'))
    expect(public_).toMatchObject({ ok: false, code: 'permission', message: expect.stringMatching(/cannot push/) })
    const ro = await githubConnector.check(ctx('github_pat_readonly'))
    expect(ro).toMatchObject({ ok: false, code: 'permission', message: expect.stringMatching(/cannot push/) })
    expect((await githubConnector.check(ctx('github_pat_readonly', { fixPullRequests: false }))).ok).toBe(true)
  })
})
