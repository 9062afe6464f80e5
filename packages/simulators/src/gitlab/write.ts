import { GitRepo, type SimPull } from '../kit/git.ts'
import { type Faults, type SimRequest, type SimResponse, takeFault } from '../kit/server.ts'

/**
 * The write side of the GitLab simulator (shared/upstream/remediation-and-outbound.md §2): repository files of projects
 * given files with `setFiles`, branches, one atomic commit with actions (`start_branch` creates the branch, `force`
 * rewrites it, `last_commit_id` is the optimistic lock), and merge requests (found by source branch, one open per
 * source branch: 409 otherwise) with their merge state. A test merges or closes a merge request through the simulator.
 *
 * Writes need a token with the `api` scope whose user may push (Developer role: `write: true`); otherwise 403.
 * Fault switches: `gitlabBranchExistsNext: n` the branch appears just before the next n commits that create it (400);
 * `gitlabStaleNext: n` the next n commits answer 400 as if a file changed meanwhile; `gitlabMrExistsNext: n` the next
 * n merge request creations answer 409 (opened meanwhile by another client).
 */
export interface GitlabWriteDeps {
  /** the project (path_with_namespace, default_branch) a token may see, by numeric id or URL-encoded path */
  project(req: SimRequest, token: string): { path: string; defaultBranch: string } | undefined
  tokenOf(req: SimRequest): string
  /** the token has the api scope and its user the Developer role */
  canWrite(token: string): { scope: boolean; role: boolean }
  faults(): Faults
  webBaseUrl: string
}

const json = (status: number, body: unknown): SimResponse => ({ status, body })

export const createGitlabWrites = (d: GitlabWriteDeps) => {
  const gits = new Map<string, GitRepo>()

  const gitOf = (req: SimRequest): { git?: GitRepo; denied?: SimResponse } => {
    const p = d.project(req, d.tokenOf(req))
    const git = p && gits.get(p.path.toLowerCase())
    if (!git) return { denied: json(404, { message: '404 Project Not Found' }) }
    return { git }
  }
  const writeGate = (req: SimRequest): SimResponse | undefined => {
    const w = d.canWrite(d.tokenOf(req))
    if (!w.scope)
      return json(403, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api',
      })
    if (!w.role) return json(403, { message: '403 Forbidden' })
    return undefined
  }
  const fault = (name: string) => takeFault(d.faults(), name)
  /** a handler on a project with files; `write` ones pass the write gate first */
  const on =
    (write: boolean, h: (req: SimRequest, git: GitRepo) => SimResponse) =>
    (req: SimRequest): SimResponse => {
      const { git, denied } = gitOf(req)
      if (!git) return denied!
      return (write && writeGate(req)) || h(req, git)
    }
  const mrJson = (git: GitRepo, p: SimPull) => ({
    id: 9_000 + p.number,
    iid: p.number,
    title: p.title,
    description: p.body,
    state: p.merged_at ? 'merged' : p.state === 'open' ? 'opened' : 'closed',
    merged_at: p.merged_at,
    closed_at: p.closed_at,
    merge_commit_sha: p.merge_commit_sha,
    sha: git.refs.get(p.head) ?? null,
    source_branch: p.head,
    target_branch: p.base,
    draft: false,
    detailed_merge_status: p.state === 'open' ? 'mergeable' : 'not_open',
    created_at: p.created_at,
    updated_at: p.updated_at,
    web_url: `${d.webBaseUrl}/${git.fullName}/-/merge_requests/${p.number}`,
  })

  const P = '/api/v4/projects/:id'
  const routes = [
    {
      method: 'GET',
      path: `${P}/repository/files/:file/raw`,
      handler: on(false, (req, git) => {
        const content = git.file(req.params.file!, req.query.get('ref') ?? git.defaultBranch)
        if (content === undefined) return json(404, { message: '404 File Not Found' })
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: content }
      }),
    },
    {
      method: 'GET',
      path: `${P}/repository/files/:file`,
      handler: on(false, (req, git) => {
        const ref = req.query.get('ref')
        if (!ref) return json(400, { error: 'ref is missing' })
        const path = req.params.file!
        const content = git.file(path, ref)
        if (content === undefined) return json(404, { message: '404 File Not Found' })
        return json(200, {
          file_name: path.split('/').pop(),
          file_path: path,
          size: Buffer.byteLength(content),
          encoding: 'base64',
          content: Buffer.from(content, 'utf8').toString('base64'),
          ref,
          blob_id: git.blob(content),
          commit_id: git.refs.get(ref) ?? ref,
          last_commit_id: git.lastCommit(path, ref),
        })
      }),
    },
    {
      method: 'GET',
      path: `${P}/repository/branches/:branch`,
      handler: on(false, (req, git) => {
        const b = req.params.branch!
        const sha = git.refs.get(b)
        if (!sha) return json(404, { message: '404 Branch Not Found' })
        return json(200, {
          name: b,
          commit: { id: sha, message: git.commits.get(sha)!.message },
          default: b === git.defaultBranch,
          protected: b === git.defaultBranch,
          merged: false,
          developers_can_push: b !== git.defaultBranch,
        })
      }),
    },
    {
      method: 'POST',
      path: `${P}/repository/commits`,
      handler: on(true, (req, git) => {
        const b = req.body ?? {}
        const branch = String(b.branch ?? '')
        if (!branch || typeof b.commit_message !== 'string' || !Array.isArray(b.actions))
          return json(400, { error: 'branch, commit_message, actions are missing' })
        if (branch === git.defaultBranch && (b.start_branch || b.force))
          return json(403, { message: 'You are not allowed to force push to a protected branch.' })
        if (fault('gitlabBranchExistsNext') && !git.refs.has(branch))
          git.refs.set(branch, git.refs.get(git.defaultBranch)!)
        const exists = git.refs.has(branch)
        const start = b.start_sha ?? (b.start_branch ? git.refs.get(b.start_branch) : undefined)
        if ((b.start_branch || b.start_sha) && !start) return json(400, { message: 'Invalid start branch' })
        if (exists && start && !b.force) return json(400, { message: `A branch called '${branch}' already exists.` })
        const parent = exists && !b.force ? git.refs.get(branch)! : start
        if (!parent) return json(400, { message: `You can only create or edit files when you are on a branch` })
        if (fault('gitlabStaleNext'))
          return json(400, {
            message: 'You are attempting to update a file that has changed since you started editing it.',
          })
        const parentRef = git.commits.get(parent)!
        const entries = new Map(git.trees.get(parentRef.tree)!)
        for (const a of b.actions) {
          const path = String(a.file_path ?? '')
          const content =
            a.encoding === 'base64' ? Buffer.from(String(a.content ?? ''), 'base64').toString() : a.content
          const current = entries.get(path)
          if (a.action === 'create') {
            if (current !== undefined) return json(400, { message: 'A file with this name already exists' })
            entries.set(path, git.blob(String(content ?? '')))
          } else if (a.action === 'update' || a.action === 'delete') {
            if (current === undefined) return json(400, { message: 'A file with this name doesn\u2019t exist' })
            if (a.last_commit_id && a.last_commit_id !== git.lastCommit(path, parent))
              return json(400, {
                message: 'You are attempting to update a file that has changed since you started editing it.',
              })
            if (a.action === 'delete') entries.delete(path)
            else entries.set(path, git.blob(String(content ?? '')))
          } else return json(400, { error: 'actions[action] does not have a valid value' })
        }
        const sha = git.commit({ tree: git.tree(entries), parents: [parent], message: b.commit_message })
        git.refs.set(branch, sha)
        return json(201, {
          id: sha,
          short_id: sha.slice(0, 8),
          title: b.commit_message.split('\n')[0],
          message: b.commit_message,
          parent_ids: [parent],
          web_url: `${d.webBaseUrl}/${git.fullName}/-/commit/${sha}`,
        })
      }),
    },
    {
      method: 'GET',
      path: `${P}/merge_requests`,
      handler: on(false, (req, git) => {
        const state = req.query.get('state') ?? 'all'
        const source = req.query.get('source_branch')
        const list = git.pulls.filter(
          (p) => (state === 'all' || mrJson(git, p).state === state) && (!source || p.head === source),
        )
        return json(
          200,
          list.reverse().map((p) => mrJson(git, p)),
        )
      }),
    },
    {
      method: 'POST',
      path: `${P}/merge_requests`,
      handler: on(true, (req, git) => {
        const b = req.body ?? {}
        if (!b.source_branch || !b.target_branch || !b.title)
          return json(400, { error: 'source_branch, target_branch, title are missing' })
        if (!git.refs.has(b.source_branch)) return json(400, { message: ['Source branch does not exist'] })
        const open = git.pulls.find((p) => p.state === 'open' && p.head === b.source_branch)
        if (open)
          return json(409, {
            message: [`Another open merge request already exists for this source branch: !${open.number}`],
          })
        const mr = git.openPull({
          title: String(b.title),
          body: String(b.description ?? ''),
          head: String(b.source_branch),
          base: String(b.target_branch),
        })
        if (fault('gitlabMrExistsNext'))
          return json(409, {
            message: [`Another open merge request already exists for this source branch: !${mr.number}`],
          })
        return json(201, mrJson(git, mr))
      }),
    },
    {
      method: 'GET',
      path: `${P}/merge_requests/:iid`,
      handler: on(false, (req, git) => {
        const p = git.pulls.find((x) => x.number === Number(req.params.iid))
        return p ? json(200, mrJson(git, p)) : json(404, { message: '404 Not found' })
      }),
    },
    {
      method: 'PUT',
      path: `${P}/merge_requests/:iid`,
      handler: on(true, (req, git) => {
        const p = git.pulls.find((x) => x.number === Number(req.params.iid))
        if (!p) return json(404, { message: '404 Not found' })
        if (typeof req.body?.title === 'string') p.title = req.body.title
        if (typeof req.body?.description === 'string') p.body = req.body.description
        p.updated_at = new Date().toISOString()
        return json(200, mrJson(git, p))
      }),
    },
  ]

  const of = (path: string) => {
    const g = gits.get(path.toLowerCase())
    if (!g) throw new Error(`GitLab project ${path} has no files (setFiles first)`)
    return g
  }
  return {
    routes,
    setFiles: (path: string, defaultBranch: string, files: Record<string, string>) =>
      gits.set(path.toLowerCase(), new GitRepo(path, defaultBranch, files)),
    git: (path: string) => gits.get(path.toLowerCase()),
    merge: (path: string, iid: number) => of(path).merge(iid),
    close: (path: string, iid: number) => of(path).close(iid),
  }
}
