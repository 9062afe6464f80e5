import { createHash } from 'node:crypto'

/**
 * The write side of the GitHub and GitLab simulators: a git object store per repository (blobs, flat trees, commits, branch refs)
 * and pull requests with their merge state. Blob shas are real git blob shas; trees and commits are hashed from their
 * content. A test "merges" a pull request with `merge` (the base branch moves to the pull request's head) and the
 * files of the default branch change: what a scanner reports next is derived from them.
 */
export interface SimPull {
  number: number
  title: string
  body: string
  head: string
  base: string
  state: 'open' | 'closed'
  merged_at: string | null
  closed_at: string | null
  merge_commit_sha: string | null
  created_at: string
  updated_at: string
}

interface Commit {
  tree: string
  parents: string[]
  message: string
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex')

export const gitBlobSha = (content: string) => {
  const b = Buffer.from(content, 'utf8')
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${b.length}\u0000`), b]))
    .digest('hex')
}

export class GitRepo {
  blobs = new Map<string, string>()
  trees = new Map<string, Map<string, string>>()
  commits = new Map<string, Commit>()
  refs = new Map<string, string>()
  pulls: SimPull[] = []
  private seq = 0

  constructor(
    readonly fullName: string,
    readonly defaultBranch: string,
    files: Record<string, string>,
  ) {
    const tree = this.tree(new Map(Object.entries(files).map(([p, c]) => [p, this.blob(c)])))
    this.refs.set(defaultBranch, this.commit({ tree, parents: [], message: 'Initial commit' }))
  }

  blob(content: string): string {
    const sha = gitBlobSha(content)
    this.blobs.set(sha, content)
    return sha
  }

  tree(entries: Map<string, string>): string {
    const sha = sha1(`tree ${JSON.stringify([...entries].sort())}`)
    this.trees.set(sha, entries)
    return sha
  }

  commit(c: Commit): string {
    const sha = sha1(`commit ${JSON.stringify(c)} ${++this.seq}`)
    this.commits.set(sha, c)
    return sha
  }

  /** the files of a branch (or commit) */
  files(ref: string): Map<string, string> | undefined {
    const commit = this.commits.get(this.refs.get(ref) ?? ref)
    const tree = commit && this.trees.get(commit.tree)
    if (!tree) return undefined
    return new Map([...tree].map(([p, b]) => [p, this.blobs.get(b)!]))
  }

  file(path: string, ref = this.defaultBranch): string | undefined {
    return this.files(ref)?.get(path)
  }

  /** the commit that last changed a file on a branch (first parents), GitLab's `last_commit_id` */
  lastCommit(path: string, ref = this.defaultBranch): string | undefined {
    let sha = this.refs.get(ref) ?? ref
    const blobAt = (c: string) => this.trees.get(this.commits.get(c)!.tree)?.get(path)
    if (!this.commits.has(sha) || blobAt(sha) === undefined) return undefined
    for (;;) {
      const parent = this.commits.get(sha)!.parents[0]
      if (!parent || blobAt(parent) !== blobAt(sha)) return sha
      sha = parent
    }
  }

  /** Opens a pull request (merge request) from `head` into `base`, numbered after the last one. */
  openPull(o: { title: string; body: string; head: string; base: string }, at = new Date()): SimPull {
    const now = at.toISOString()
    const p: SimPull = {
      number: this.pulls.length + 1,
      ...o,
      state: 'open',
      merged_at: null,
      closed_at: null,
      merge_commit_sha: null,
      created_at: now,
      updated_at: now,
    }
    this.pulls.push(p)
    return p
  }

  /** Merges an open pull request: its base branch moves to a merge commit of the head's tree. */
  merge(number: number, at = new Date()): SimPull {
    const p = this.pulls.find((x) => x.number === number)
    if (p?.state !== 'open') throw new Error(`pull request #${number} of ${this.fullName} is not open`)
    const head = this.refs.get(p.head)!
    const base = this.refs.get(p.base)!
    const sha = this.commit({
      tree: this.commits.get(head)!.tree,
      parents: [base, head],
      message: `Merge pull request #${number}`,
    })
    this.refs.set(p.base, sha)
    Object.assign(p, {
      state: 'closed',
      merged_at: at.toISOString(),
      closed_at: at.toISOString(),
      merge_commit_sha: sha,
    })
    return p
  }

  close(number: number, at = new Date()): SimPull {
    const p = this.pulls.find((x) => x.number === number)
    if (p?.state !== 'open') throw new Error(`pull request #${number} of ${this.fullName} is not open`)
    Object.assign(p, { state: 'closed', closed_at: at.toISOString() })
    return p
  }
}
