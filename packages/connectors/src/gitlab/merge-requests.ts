import type { ConnectorContext, PullRequestChange, PullRequestState, PullRequestWriter, RepoRef } from '@vulnsync/core'
import { z } from 'zod'
import { explainRefusal } from '../kit/failure.ts'
import { createGitlabClient, type GitlabClient, gitlabMessage } from './client.ts'
import type { GitlabConfig, GitlabSecrets } from './config.ts'
import { words } from './words.ts'

type Ctx = ConnectorContext<GitlabConfig, GitlabSecrets>

const FileBody = z.looseObject({
  encoding: z.string().nullish(),
  content: z.string().nullish(),
  last_commit_id: z.string().nullish(),
})
const MergeRequest = z.looseObject({
  iid: z.number().int(),
  web_url: z.string(),
  state: z.string(),
  merged_at: z.string().nullish(),
  closed_at: z.string().nullish(),
  source_branch: z.string(),
  target_branch: z.string(),
  sha: z.string().nullish(),
})
type Mr = z.infer<typeof MergeRequest>

const enc = encodeURIComponent
const projectPath = (r: RepoRef) => `/projects/${enc(/^\d+$/.test(r.externalId) ? r.externalId : r.fullName)}`

/** A refused write says what the token lacks. */
const writing = <T>(what: string, f: () => Promise<T>): Promise<T> =>
  explainRefusal(
    (err) => words.writeRefused(what, /insufficient_scope/.test(err.message) ? ': insufficient_scope' : ''),
    f,
  )

/** `opened` and the short-lived `locked` are open (remediation-and-outbound.md §2.1). */
const stateOf = (m: Mr, created?: boolean): PullRequestState => ({
  number: m.iid,
  url: m.web_url,
  state: m.state === 'merged' ? 'merged' : m.state === 'closed' ? 'closed' : 'open',
  branch: m.source_branch,
  baseBranch: m.target_branch,
  headSha: m.sha ?? null,
  mergedAt: m.merged_at ? new Date(m.merged_at) : null,
  closedAt: m.closed_at ? new Date(m.closed_at) : null,
  ...(created === undefined ? {} : { created }),
})

const defaultBranch = async (gl: GitlabClient, repo: RepoRef): Promise<string> => {
  if (repo.defaultBranch) return repo.defaultBranch
  const p = (await gl.get(projectPath(repo), `read project ${repo.fullName}`)).json() as { default_branch?: string }
  if (!p?.default_branch) throw new Error(`GitLab project ${repo.fullName} has no default branch (it is empty)`)
  return p.default_branch
}

/** a file of a branch with the commit that last changed it (the optimistic lock of an update), or null */
const fileOf = async (gl: GitlabClient, repo: RepoRef, path: string, ref: string) => {
  const res = await gl.get(`${projectPath(repo)}/repository/files/${enc(path)}?ref=${enc(ref)}`, `read ${path}`, [404])
  if (res.status === 404) return null
  const f = FileBody.parse(res.json())
  if (f.encoding !== 'base64' || typeof f.content !== 'string') return null
  return { content: Buffer.from(f.content, 'base64').toString('utf8'), lastCommit: f.last_commit_id ?? null }
}

/**
 * Fix merge requests on GitLab: one commit of every file through the commits API with actions (`start_branch` the
 * default branch: the branch is created by the commit, or rewritten with `force` when vulnsync's branch exists from an
 * earlier run), `last_commit_id` guarding each update, then the merge request, found by its source branch and updated
 * when one is open already (remediation-and-outbound.md §2.1).
 */
export const gitlabMergeRequests: PullRequestWriter<GitlabConfig, GitlabSecrets> = {
  enabled: (config) => config.fixPullRequests === true,

  readFile: async (ctx: Ctx, repo, path) => {
    const gl = createGitlabClient(ctx)
    return (await fileOf(gl, repo, path, await defaultBranch(gl, repo)))?.content ?? null
  },

  open: async (ctx: Ctx, repo, change: PullRequestChange) => {
    const gl = createGitlabClient(ctx)
    const base = await defaultBranch(gl, repo)
    if (change.branch === base) throw new Error(`vulnsync never commits to the default branch (${base})`)
    const pp = projectPath(repo)
    const actions: Record<string, string>[] = []
    for (const f of change.files) {
      const current = await fileOf(gl, repo, f.path, base)
      actions.push(
        current
          ? {
              action: 'update',
              file_path: f.path,
              content: f.content,
              ...(current.lastCommit ? { last_commit_id: current.lastCommit } : {}),
            }
          : { action: 'create', file_path: f.path, content: f.content },
      )
    }
    return writing('push a branch and open merge requests', async () => {
      const existing = await gl.get(`${pp}/repository/branches/${enc(change.branch)}`, 'read the branch', [404])
      const commit = (force: boolean) =>
        gl.send(
          'POST',
          `${pp}/repository/commits`,
          { branch: change.branch, start_branch: base, commit_message: change.commitMessage, actions, force },
          `commit to ${change.branch}`,
          [400],
        )
      let res = await commit(existing.status !== 404)
      // "A branch called … already exists": made meanwhile; vulnsync owns it, rewrite it
      if (res.status === 400 && /already exists/.test(gitlabMessage(res)) && existing.status === 404)
        res = await commit(true)
      if (res.status === 400) throw gl.errorFor(res, `commit to ${change.branch}`)

      const find = async () => {
        const list = z
          .array(MergeRequest)
          .parse(
            (
              await gl.get(
                `${pp}/merge_requests?state=opened&source_branch=${enc(change.branch)}&per_page=5`,
                'list merge requests',
              )
            ).json() ?? [],
          )
        return list[0] ?? null
      }
      const update = async (iid: number) =>
        stateOf(
          MergeRequest.parse(
            (
              await gl.send(
                'PUT',
                `${pp}/merge_requests/${iid}`,
                { title: change.title, description: change.body },
                'update the merge request',
              )
            ).json(),
          ),
          false,
        )
      const found = await find()
      if (found) return update(found.iid)
      const made = await gl.send(
        'POST',
        `${pp}/merge_requests`,
        {
          source_branch: change.branch,
          target_branch: base,
          title: change.title,
          description: change.body,
          remove_source_branch: true,
        },
        'open a merge request',
        [409],
      )
      if (made.status === 409) {
        // "Another open merge request already exists for this source branch": opened meanwhile; update that one
        const again = await find()
        if (!again) throw gl.errorFor(made, 'open a merge request')
        return update(again.iid)
      }
      return stateOf(MergeRequest.parse(made.json()), true)
    })
  },

  state: async (ctx: Ctx, repo, number) => {
    const gl = createGitlabClient(ctx)
    return stateOf(
      MergeRequest.parse((await gl.get(`${projectPath(repo)}/merge_requests/${number}`, `read !${number}`)).json()),
    )
  },
}
