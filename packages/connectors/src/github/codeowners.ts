import { budgetLow, type CodeownersAnswer, type FileAnswer, findCodeowners } from '../kit/codeowners.ts'
import type { GithubClient } from './client.ts'
import type { GithubRepo } from './raw.ts'

/**
 * A repository's CODEOWNERS at its default branch (`.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`, the first
 * found): GET /repos/{owner}/{repo}/contents/{path}?ref={branch}, base64 in `content`. 404 is "not there"; 409 is an
 * empty repository; 403 means the token has no Contents permission. Up to three calls per repository: when the
 * rate-limit headers say the budget runs low (`budget.low`), no more files are asked for this run.
 */
export const readGithubCodeowners = async (
  gh: GithubClient,
  repo: GithubRepo,
  budget: { low: boolean },
): Promise<CodeownersAnswer> => {
  const branch = repo.default_branch
  if (!branch) return null
  return findCodeowners('github', async (path): Promise<FileAnswer> => {
    if (budget.low) return 'budget'
    const res = await gh.get(
      `/repos/${repo.full_name}/contents/${path}?ref=${encodeURIComponent(branch)}`,
      `read ${path} of ${repo.full_name}`,
      [403, 404, 409],
    )
    budget.low ||= budgetLow(res.headers.get('x-ratelimit-remaining'), res.headers.get('x-ratelimit-limit'))
    if (res.status === 404) return 'missing'
    if (res.status === 409) return 'empty_repository'
    if (res.status === 403) return 'forbidden'
    const body = res.json<{ type?: string; encoding?: string; content?: string }>()
    if (body.type !== 'file' || body.encoding !== 'base64' || typeof body.content !== 'string') return 'missing'
    return { content: Buffer.from(body.content, 'base64').toString('utf8') }
  })
}
