import type { UpstreamError } from '@vulnsync/core'
import type { Wording } from '../kit/failure.ts'
import { OxGraphQLError } from './raw.ts'

/** OX's words for every failure: the client and read raise their errors with them, the check answers with them. */
export const words = {
  tokenRejected: (detail: string) => `OX Security rejected the API token (${detail})`,
  operationForbidden: (operation: string) => `the OX API token is not allowed to run ${operation} (HTTP 403)`,
  notTheApi: (host: string, status: number) =>
    `${host} did not answer as OX's GraphQL API (HTTP ${status}, not JSON): check the API base URL`,
  noData: (operation: string) => `OX answered ${operation} without data`,
  unexpectedShape: (field: string) => `OX answered ${field} in an unexpected shape`,
  budgetSpent: (limits: string, resetsAt: Date) =>
    `the OX request budget for this API token is spent (${limits}); it resets at ${resetsAt.toISOString()}`,
  pausing: (why: string, limits: string, until: Date) =>
    `${why}: OX allows ${limits} per API key; waiting until ${until.toISOString()} for the window to reset`,
  emptyPage: (offset: number, total: number) =>
    `OX answered an empty page at offset ${offset} although it counts ${total} issues; the sync stops here and resolves nothing`,
  cancelled: 'the sync was cancelled',
  keyHint:
    'Create a key in OX Security under Settings → API Key Settings → Create API Key (type "API Integration") and paste it without "Bearer".',
  readAccessHint:
    'In OX Security give the key read access to issues and applications, or create a new "API Integration" key that has it.',
}

/** Where the check looked: the API host and the GraphQL endpoint. */
export interface OxFacts {
  host: string
  url: string
}

/** Which reads a FORBIDDEN GraphQL answer denied, from the fields its errors name. */
const deniedReads = (fields: Set<string>): string =>
  fields.has('getIssues') && fields.has('getApplications')
    ? 'issues and applications'
    : fields.has('getIssues')
      ? 'issues'
      : fields.has('getApplications')
        ? 'applications'
        : 'issues and applications'

/** A GraphQL error in the check: a field the key may not read, or OX's own error. */
const graphqlFailure = (err: OxGraphQLError) => {
  const denied = err.errors.filter(
    (e) =>
      String(e.extensions?.code ?? '') === 'FORBIDDEN' ||
      /forbidden|not authori[sz]ed|permission|access denied/i.test(e.message ?? ''),
  )
  if (denied.length)
    return {
      code: 'permission' as const,
      message: `the OX API token was accepted but has no read access to ${deniedReads(new Set(denied.map((e) => String(e.path?.[0] ?? ''))))} (OX said: "${denied[0]!.message ?? 'forbidden'}")`,
      hint: 'In OX Security give the key read access to issues and applications (Settings → API Key Settings), or create a new "API Integration" key that has it.',
    }
  const first = err.errors[0]
  return {
    message: `OX Security answered with a GraphQL error: "${first?.message ?? err.message}"${first?.extensions?.code ? ` (${first.extensions.code})` : ''}`,
    hint: 'If the message names a field or an argument, this OX version differs from the API vulnsync knows: report it with the message.',
  }
}

export const checkWording: Wording<OxFacts> = {
  auth: (err) => ({
    message: `${words.tokenRejected(`HTTP ${err.status ?? 401}`)}: verify the API token is correct and has not expired`,
    hint: words.keyHint,
  }),
  permission: (err) => ({
    message: `the OX API token was accepted but has no read access to issues or applications (HTTP ${err.status ?? 403})`,
    hint: words.readAccessHint,
  }),
  unreachable: (err, { host, url }) => ({
    message: `could not reach OX Security at ${host} (${err.message}): check that your network allows connections to OX Security's API`,
    hint: `vulnsync calls POST ${url}. Allow outbound HTTPS to ${host}; on-premises installations set the API base URL to their own host.`,
  }),
  not_found: (_err, { url }) => ({
    message: `there is no OX GraphQL API at ${url} (HTTP 404): check the API base URL`,
    hint: 'Leave the API base URL empty for OX SaaS; on-premises use https://<your OX host>.',
  }),
  rate_limited: (err) => ({
    message: `${err.message}: try the connection again after that time`,
    hint: 'Another integration may be using the same OX API key; give vulnsync its own key.',
  }),
  bad_response: (err, { url }) => ({ message: err.message, hint: `vulnsync expects OX's GraphQL API at ${url}.` }),
  other: (err: UpstreamError) => ({
    message: `OX Security answered with an error (${err.message}): try again later`,
    hint: err.status ? `HTTP ${err.status}` : undefined,
  }),
  unexpected: (err) =>
    err instanceof OxGraphQLError
      ? graphqlFailure(err)
      : { message: `checking OX Security failed: ${(err as Error)?.message ?? String(err)}` },
}
