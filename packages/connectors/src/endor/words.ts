import type { Wording } from '../kit/failure.ts'

/** Endor Labs' words for every failure: the client raises its errors with them, the check answers with them. */
export const words = {
  keyRejected: (status: number) =>
    `Endor Labs rejected the API key and secret (HTTP ${status}): verify both values and that the key has not expired or been revoked`,
  keyRejectedHint:
    "In Endor Labs open Settings → Access Control → API Keys, check the key's expiry, or generate a new Read-Only key and paste both ENDOR_API_CREDENTIALS_KEY and ENDOR_API_CREDENTIALS_SECRET.",
  tokenRejectedAgain: (status: number) =>
    `Endor Labs rejected the access token (HTTP ${status}) again right after a fresh exchange of the API key and secret: the key was probably revoked or has expired`,
  namespaceDenied: (ns: string) =>
    `the API key has no access to namespace ${ns} (HTTP 403): check the namespace name and that the key was issued for it or for a parent namespace with "propagate to child namespaces"`,
  namespaceDeniedHint:
    'The namespace is the name after /t/ in app.endorlabs.com/t/<namespace>/ URLs; namespace names are case-sensitive.',
  unreachable: (detail: string) => `could not reach Endor Labs: ${detail}`,
  unreachableHint: 'Check the API base URL, DNS and any proxy or firewall between vulnsync and Endor Labs.',
  noExchange: (base: string) =>
    `${base} has no Endor Labs token exchange (POST /v1/auth/api-key answered HTTP 404): check the API base URL (leave it empty for https://api.endorlabs.com)`,
  noToken: (host: string) => `${host} answered the token exchange without a token`,
  refused: (path: string, said: string) => `Endor Labs refused the request ${path} (HTTP 400): ${said}`,
  unexpectedList: (resource: string) => `Endor Labs answered the ${resource} list with an unexpected body`,
  rateLimited:
    'Endor Labs kept answering HTTP 429 (too many requests) after several minutes of backing off; the next sync will try again',
  deadline: (size: number) =>
    `Endor Labs timed out ("context deadline exceeded") even for pages of ${size} findings; try again later`,
}

/** What the check says, for the namespace it checked. */
export const checkWording: Wording<{ namespace: string }> = {
  auth: (err) => ({ message: err.message, hint: words.keyRejectedHint }),
  permission: (_err, { namespace }) => ({
    message: words.namespaceDenied(namespace),
    hint: words.namespaceDeniedHint,
  }),
  unreachable: (err) => ({ message: words.unreachable(err.message), hint: words.unreachableHint }),
  bad_response: (err) => ({ message: `Endor Labs answered an error: ${err.message}` }),
  other: (err) => ({ message: `Endor Labs answered an error: ${err.message}` }),
  unexpected: (err) => ({ message: `Endor Labs check failed: ${(err as Error)?.message ?? String(err)}` }),
}
