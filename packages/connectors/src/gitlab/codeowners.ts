import { budgetLow, type CodeownersAnswer, type FileAnswer, findCodeowners } from '../kit/codeowners.ts'
import type { GitlabClient } from './client.ts'
import type { GitlabProject } from './raw.ts'

/**
 * A project's CODEOWNERS at its default branch (`CODEOWNERS`, `docs/CODEOWNERS`, `.gitlab/CODEOWNERS`, the first
 * found, in GitLab's order): GET /projects/:id/repository/files/:file_path?ref=branch (the path URL-encoded),
 * base64 in `content`. 404 is "not there"; 403 means the token may not read the repository. When the RateLimit
 * headers say the budget runs low (`budget.low`), no more files are asked for this run.
 */
export const readGitlabCodeowners = async (
  gl: GitlabClient,
  p: GitlabProject,
  budget: { low: boolean },
): Promise<CodeownersAnswer> => {
  const branch = p.default_branch
  if (!branch || p.empty_repo) return null
  return findCodeowners('gitlab', async (path): Promise<FileAnswer> => {
    if (budget.low) return 'budget'
    const res = await gl.get(
      `/projects/${p.id}/repository/files/${encodeURIComponent(path)}?ref=${encodeURIComponent(branch)}`,
      `read ${path} of ${p.path_with_namespace}`,
      [403, 404],
    )
    budget.low ||= budgetLow(res.headers.get('ratelimit-remaining'), res.headers.get('ratelimit-limit'))
    if (res.status === 404) return 'missing'
    if (res.status === 403) return 'forbidden'
    const body = res.json<{ encoding?: string; content?: string }>()
    if (typeof body.content !== 'string') return 'missing'
    return { content: body.encoding === 'base64' ? Buffer.from(body.content, 'base64').toString('utf8') : body.content }
  })
}
