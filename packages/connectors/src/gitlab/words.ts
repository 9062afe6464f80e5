import type { Wording } from '../kit/failure.ts'

/**
 * GitLab's words for every failure: the client raises its errors with them (so a failed run says them) and the check
 * answers with them. `said` is GitLab's own message, as `: <message>` or empty.
 */
export const words = {
  tokenRejected: (said: string) =>
    `GitLab rejected the token (HTTP 401${said}): check that it was copied whole, has not passed its expiry date and was not revoked.`,
  scopeMissing: (what: string, said: string) =>
    `the token lacks the scope to ${what} (HTTP 403${said}): create a token with the read_api scope.`,
  forbidden: (what: string, said: string) =>
    `the token may not ${what} (HTTP 403${said}): its user needs at least the Reporter role on the projects, and the token the read_api scope.`,
  notFound: (what: string, said: string) => `GitLab found nothing to ${what} (HTTP 404${said}).`,
  failed: (status: number, what: string, said: string) =>
    `GitLab answered HTTP ${status} when asked to ${what}${said}.`,
  notAList: (what: string) => `GitLab answered ${what} with something that is not a list`,
  rateLimited: (status: number, said: string, which: string, afterWaits: number | null, waitMs: number) =>
    `GitLab is rate-limiting this token (HTTP ${status}: ${said}${which})${afterWaits !== null ? ` and kept doing so after ${afterWaits} waits` : ''}: wait ${Math.ceil(waitMs / 1000)} s and try again, or ask the GitLab administrator about the authenticated API rate limit.`,
  noApi: (host: string, base: string) => `${host} has no GitLab API at ${base} (GET /user answered HTTP 404).`,
  notTheApi: (host: string, status: number) =>
    `${host} answered with something that is not the GitLab REST API (GET /api/v4/user, HTTP ${status}, not JSON).`,
  instanceHint: 'Give the address of the GitLab instance itself, e.g. https://gitlab.example.com.',
  noApiHint:
    'Give the address of the GitLab instance itself, e.g. https://gitlab.example.com, without /api/v4 or a group path.',
  noReadApi: (scopes: string[]) =>
    `the token has the scopes ${scopes.join(', ')} but not read_api, which listing projects needs: create a token with the read_api scope.`,
  noGroup: (group: string, instance: string) =>
    `GitLab group "${group}" was not found (HTTP 404): check its full path as in the URL (${instance}/<group>/<subgroup>) or its numeric id, and that the token's user is a member of it.`,
  noWriteScope: (scopes: string[]) =>
    `fix merge requests are on, but the token has the scopes ${scopes.join(', ')} and not api: it cannot push branches or open merge requests; create a token with the api scope (its user needs at least the Developer role on the projects), or turn fix merge requests off.`,
  writeRefused: (what: string, said: string) =>
    `GitLab refused to let the token ${what} (HTTP 403${said}): fix merge requests need a token with the api scope whose user has at least the Developer role on the project (and may push to unprotected branches).`,
  unreachableHint: (instance: string) =>
    `Check the GitLab URL (${instance}; gitlab.com: https://gitlab.com; self-managed: https://HOST) and that this server can reach it.`,
  codeownersForbidden:
    'the token cannot read repository files (HTTP 403), so CODEOWNERS files were not read and ownership keeps the files read before; use a token with the read_api (or read_repository) scope and at least the Reporter role',
}

/** What the check says for a failure its calls raised (the client's words, and what to check when unreachable). */
export const checkWording: Wording<{ instance: string }> = {
  unreachable: (err, { instance }) => ({ message: err.message, hint: words.unreachableHint(instance) }),
  unexpected: (err) => ({ message: `the check failed unexpectedly: ${(err as Error)?.message ?? String(err)}` }),
}
