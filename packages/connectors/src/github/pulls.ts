import type { ConnectorContext, PullRequestChange, PullRequestState, PullRequestWriter, RepoRef } from '@vulnsync/core'
import { z } from 'zod'
import { explainRefusal } from '../kit/failure.ts'
import { createGithubClient, type GithubClient } from './client.ts'
import type { GithubConfig, GithubSecrets } from './config.ts'

type Ctx = ConnectorContext<GithubConfig, GithubSecrets>

const Sha = z.looseObject({ sha: z.string() })
const Ref = z.looseObject({ object: z.looseObject({ sha: z.string() }) })
const Commit = z.looseObject({ sha: z.string(), tree: z.looseObject({ sha: z.string() }) })
const Pull = z.looseObject({
  number: z.number().int(),
  html_url: z.string(),
  state: z.string(),
  merged_at: z.string().nullish(),
  closed_at: z.string().nullish(),
  head: z.looseObject({ ref: z.string(), sha: z.string().nullish() }),
  base: z.looseObject({ ref: z.string() }),
})
const Contents = z.looseObject({
  type: z.string().nullish(),
  encoding: z.string().nullish(),
  content: z.string().nullish(),
})

const WRITE_HELP =
  'fix pull requests need a token that can write: a fine-grained token with "Contents: write" and "Pull requests: write" on the repository, a classic token with "repo" (or "public_repo" for public repositories), or a GitHub App with those permissions'

const path = (s: string) => s.split('/').map(encodeURIComponent).join('/')
const repoPath = (r: RepoRef) => `/repos/${path(r.fullName)}`

/** A 403 on a write says what permission is missing. */
const writing = <T>(what: string, f: () => Promise<T>): Promise<T> =>
  explainRefusal(() => `GitHub refused to let the token ${what} (HTTP 403): ${WRITE_HELP}.`, f)

const stateOf = (p: z.infer<typeof Pull>, created?: boolean): PullRequestState => ({
  number: p.number,
  url: p.html_url,
  state: p.merged_at ? 'merged' : p.state === 'closed' ? 'closed' : 'open',
  branch: p.head.ref,
  baseBranch: p.base.ref,
  headSha: p.head.sha ?? null,
  mergedAt: p.merged_at ? new Date(p.merged_at) : null,
  closedAt: p.closed_at ? new Date(p.closed_at) : null,
  ...(created === undefined ? {} : { created }),
})

const defaultBranch = async (gh: GithubClient, repo: RepoRef): Promise<string> => {
  if (repo.defaultBranch) return repo.defaultBranch
  const r = gh.json(await gh.get(repoPath(repo), `read repository ${repo.fullName}`)) as { default_branch?: string }
  if (!r?.default_branch) throw new Error(`GitHub repository ${repo.fullName} has no default branch (it is empty)`)
  return r.default_branch
}

/**
 * Fix pull requests on GitHub through the Git Data API: blobs, a tree on the base tree, one commit on the default
 * branch's head, the branch ref created or moved to it (vulnsync owns `vulnsync/fix/…`, so a moved branch is forced),
 * then the pull request, found by `head=owner:branch` and updated when one is open already (scm.md §3.2).
 */
export const githubPullRequests: PullRequestWriter<GithubConfig, GithubSecrets> = {
  enabled: (config) => config.fixPullRequests === true,

  readFile: async (ctx: Ctx, repo, file) => {
    const gh = createGithubClient(ctx)
    const base = await defaultBranch(gh, repo)
    const res = await gh.get(
      `${repoPath(repo)}/contents/${path(file)}?ref=${encodeURIComponent(base)}`,
      `read ${file}`,
      [404],
    )
    if (res.status === 404) return null
    const c = Contents.parse(gh.json(res))
    if (c.type !== 'file' || c.encoding !== 'base64' || typeof c.content !== 'string') return null
    return Buffer.from(c.content, 'base64').toString('utf8')
  },

  open: async (ctx: Ctx, repo, change: PullRequestChange) => {
    const gh = createGithubClient(ctx)
    const base = await defaultBranch(gh, repo)
    if (change.branch === base) throw new Error(`vulnsync never commits to the default branch (${base})`)
    const rp = repoPath(repo)
    const baseSha = Ref.parse(gh.json(await gh.get(`${rp}/git/ref/heads/${path(base)}`, `read branch ${base}`))).object
      .sha
    const baseTree = Commit.parse(gh.json(await gh.get(`${rp}/git/commits/${baseSha}`, 'read the base commit'))).tree
      .sha
    return writing('write contents and open pull requests', async () => {
      const tree = []
      for (const f of change.files) {
        const blob = Sha.parse(
          gh.json(
            await gh.send(
              'POST',
              `${rp}/git/blobs`,
              { content: f.content, encoding: 'utf-8' },
              `create a blob for ${f.path}`,
            ),
          ),
        )
        tree.push({ path: f.path, mode: '100644', type: 'blob', sha: blob.sha })
      }
      const treeSha = Sha.parse(
        gh.json(await gh.send('POST', `${rp}/git/trees`, { base_tree: baseTree, tree }, 'create a tree')),
      ).sha
      const commit = Sha.parse(
        gh.json(
          await gh.send(
            'POST',
            `${rp}/git/commits`,
            { message: change.commitMessage, tree: treeSha, parents: [baseSha] },
            'create a commit',
          ),
        ),
      ).sha
      // the branch: created, or (vulnsync's own branch, run again) moved to the new commit
      const existing = await gh.get(`${rp}/git/ref/heads/${path(change.branch)}`, `read branch ${change.branch}`, [404])
      const move = () =>
        gh.send(
          'PATCH',
          `${rp}/git/refs/heads/${path(change.branch)}`,
          { sha: commit, force: true },
          `move branch ${change.branch}`,
        )
      if (existing.status === 404) {
        const made = await gh.send(
          'POST',
          `${rp}/git/refs`,
          { ref: `refs/heads/${change.branch}`, sha: commit },
          `create branch ${change.branch}`,
          [422],
        )
        // "Reference already exists": made meanwhile; move it
        if (made.status === 422) await move()
      } else await move()
      const owner = repo.fullName.split('/')[0]!
      const find = async () => {
        const open = gh.json(
          await gh.get(
            `${rp}/pulls?state=open&head=${encodeURIComponent(`${owner}:${change.branch}`)}&per_page=5`,
            'list pull requests',
          ),
        )
        const list = z.array(Pull).parse(open ?? [])
        return list[0] ?? null
      }
      const found = await find()
      if (found) {
        const updated = Pull.parse(
          gh.json(
            await gh.send(
              'PATCH',
              `${rp}/pulls/${found.number}`,
              { title: change.title, body: change.body },
              'update the pull request',
            ),
          ),
        )
        return stateOf(updated, false)
      }
      const res = await gh.send(
        'POST',
        `${rp}/pulls`,
        { title: change.title, head: change.branch, base, body: change.body, maintainer_can_modify: true },
        'open a pull request',
        [422],
      )
      if (res.status === 422) {
        // "A pull request already exists for …": opened meanwhile; update that one
        const again = await find()
        if (!again) throw gh.errorFor(res, 'open a pull request')
        return stateOf(
          Pull.parse(
            gh.json(
              await gh.send(
                'PATCH',
                `${rp}/pulls/${again.number}`,
                { title: change.title, body: change.body },
                'update the pull request',
              ),
            ),
          ),
          false,
        )
      }
      return stateOf(Pull.parse(gh.json(res)), true)
    })
  },

  state: async (ctx: Ctx, repo, number) => {
    const gh = createGithubClient(ctx)
    return stateOf(
      Pull.parse(gh.json(await gh.get(`${repoPath(repo)}/pulls/${number}`, `read pull request #${number}`))),
    )
  },
}
