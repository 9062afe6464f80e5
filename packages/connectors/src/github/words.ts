import type { Wording } from '../kit/failure.ts'

/**
 * GitHub's words for every failure: the client raises its errors with them (so a failed run says them) and the check
 * answers with them. `said` is GitHub's own message, as `: <message>` or empty.
 */
export const words = {
  tokenRejected: (said: string) =>
    `GitHub rejected the token (HTTP 401${said}): check that it was copied whole and has not expired or been revoked (GitHub App installation tokens expire after one hour).`,
  ssoNotAuthorised: (said: string, url: string | undefined) =>
    `the token is not authorised for the organisation's SAML single sign-on (HTTP 403${said}): ${url ? `open ${url} to authorise it` : 'authorise it under GitHub → Settings → Personal access tokens → Configure SSO'}, then try again.`,
  forbidden: (what: string, said: string) =>
    `the token may not ${what} (HTTP 403${said}): give a fine-grained token access to the organisation's repositories with the read-only "Metadata" permission, or a classic token the "repo" and "read:org" scopes; a GitHub App needs "Metadata: read".`,
  notFound: (what: string, said: string, apiHint: string) =>
    `GitHub found nothing to ${what} (HTTP 404${said}).${apiHint}`,
  gheApiHint: (origin: string) => ` If this is GitHub Enterprise Server, the API base URL is ${origin}/api/v3.`,
  apiVersionRefused: (version: string, said: string) =>
    `GitHub refused REST API version ${version} (HTTP 410${said}): choose a supported version in the connection settings.`,
  failed: (status: number, what: string, said: string) =>
    `GitHub answered HTTP ${status} when asked to ${what}${said}.`,
  notAList: (what: string) => `GitHub answered ${what} with an object that is not a repository list`,
  primaryLimit: (status: number, said: string, afterWaits: number | null, resetAt: Date | null) =>
    `GitHub's API rate limit for this token is used up (HTTP ${status}: ${said})${afterWaits !== null ? ` and stayed so after ${afterWaits} waits` : ''}.${resetAt ? ` It resets at ${resetAt.toISOString()}.` : ''} Try again after the reset, or use a token with its own budget (a GitHub App installation gets a higher limit).`,
  secondaryLimit: (status: number, said: string, afterWaits: number | null, waitMs: number) =>
    `GitHub's secondary rate limit was hit (HTTP ${status}: ${said})${afterWaits !== null ? ` and kept being hit after ${afterWaits} waits` : ''}: wait ${Math.ceil(waitMs / 1000)} s and try again, and avoid running other heavy jobs with the same token at the same time.`,
  notTheApi: (host: string, status: number) =>
    `${host} answered with something that is not the GitHub REST API (HTTP ${status}, not JSON).`,
  notTheApiHint: (host: string) => `For GitHub Enterprise Server the API base URL is https://${host}/api/v3.`,
  noOrganisation: (org: string) =>
    `GitHub organisation "${org}" was not found (HTTP 404): check the organisation login (as in github.com/<org>), and that the token's owner can see it (GitHub answers 404 to tokens that may not).`,
  unreachableHint:
    'Check the API base URL (github.com: https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3) and that this server can reach it.',
  noRepoScope:
    ' Note: the token has no "repo" scope, so private repositories are not listed; add "repo" (and "read:org") to import them.',
  codeownersForbidden:
    'the token cannot read repository contents (HTTP 403), so CODEOWNERS files were not read and ownership keeps the files read before; give a fine-grained token the read-only "Contents" permission (a classic token has it with "repo")',
}

/** What the check says for a failure its calls raised (the client's words, and what to check when unreachable). */
export const checkWording: Wording = {
  unreachable: (err) => ({ message: err.message, hint: words.unreachableHint }),
  unexpected: (err) => ({ message: `the check failed unexpectedly: ${(err as Error)?.message ?? String(err)}` }),
}
