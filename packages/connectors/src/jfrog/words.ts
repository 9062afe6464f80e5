import type { Wording } from '../kit/failure.ts'

/** The vendor's own words from an Artifactory (`{"errors":[{status,message}]}`) or Xray (`{"error":"…"}`) error body. */
export const vendorMessage = (body: string | undefined): string | undefined => {
  if (!body) return undefined
  try {
    const j = JSON.parse(body) as any
    const m = j?.errors?.[0]?.message ?? j?.error ?? j?.message ?? j?.msg
    if (typeof m === 'string' && m.trim()) return m.trim()
    if (typeof j?.errors?.[0] === 'string') return j.errors[0]
  } catch {
    /* not JSON */
  }
  const t = body.trim()
  return t && t.length < 200 && !t.startsWith('<') ? t : undefined
}

/** `HTTP 401: <what JFrog said>` */
export const said = (status: number, body: string | undefined): string => {
  const m = vendorMessage(body)
  return m ? `HTTP ${status}: ${m}` : `HTTP ${status}`
}

/**
 * JFrog's words for every failure: the check answers with them step by step (Artifactory, the repositories, Xray),
 * read raises its errors and warnings with them. `body` is JFrog's error body (its message is quoted).
 */
export const words = {
  inactive: (root: string) =>
    `the JFrog Cloud environment at ${root} is inactive (it redirects to the reactivation page)`,
  inactiveHint: 'Sign in to the JFrog Platform and reactivate the environment, then try again.',
  tokenRejected: (body: string | undefined, user: string) =>
    `the access token was rejected by Artifactory (${said(401, body)}): verify it is correct, has not expired or been revoked, and belongs to user "${user}"`,
  tokenRejectedHint:
    'Generate a new user-scoped access token (Edit Profile → Generate an Identity Token) and paste it again.',
  tokenRejectedListing: (body: string | undefined) =>
    `the access token was rejected by Artifactory (${said(401, body)}): verify it is correct and has not expired`,
  audienceRefused: (body: string | undefined) =>
    `Artifactory refused the access token (${said(403, body)}): the token's scope must include Artifactory (audience jfrt@*)`,
  audienceHint: 'Create a user-scoped token without a restricted audience.',
  noArtifactory: (root: string, status: number) =>
    `no JFrog Artifactory answered at ${root}/artifactory (HTTP ${status}): check the platform URL`,
  noArtifactoryHint:
    'Use the address of the JFrog Platform, e.g. https://acme.jfrog.io or https://acme.jfrog.io/artifactory.',
  artifactoryFailed: (root: string, status: number, body: string | undefined) =>
    `Artifactory at ${root} answered the version request with ${said(status, body)}`,
  artifactoryFailedHint: 'Try again later; if it persists, check the platform health.',
  cannotList: (user: string, status: number, body: string | undefined) =>
    `Artifactory refused to list repositories for user "${user}" (${said(status, body)})`,
  cannotListHint: 'Give the user a permission target with Read on the local repositories to scan.',
  nothingReadable: (user: string) =>
    `the access token is valid but user "${user}" can read no local repository: add the user (or a group of it) to a permission target granting Read on the local repositories to scan`,
  nothingReadableHint:
    'In the JFrog Platform open Administration → User Management → Permissions, create or edit a permission target, add the repositories and give the user Read.',
  xrayRejected: (body: string | undefined) =>
    `Xray rejected the access token (${said(401, body)}): the token must be valid for Xray too (audience jfxr@* or *@*)`,
  xrayRejectedHint:
    'Generate the token from the user profile (valid for every service) or include Xray in its audience.',
  xrayRefused: (body: string | undefined, user: string) =>
    `Xray refused the access token (${said(403, body)}): user "${user}" needs Read on the repositories and an Xray-enabled token`,
  noXray: (root: string, status: number, body: string | undefined) =>
    `Xray is not enabled or not reachable at ${root}/xray (${said(status, body)}): vulnsync reads the vulnerabilities of your repositories from JFrog Xray`,
  noXrayHint:
    'Enable JFrog Xray on this platform (and indexing of the repositories to scan), or check that the platform URL is the one Xray runs on.',
  xrayFailed: (root: string, status: number, body: string | undefined) =>
    `Xray at ${root}/xray answered ${said(status, body)}`,
  // read
  summaryRefused: (status: number, body: string | undefined) =>
    `Xray refused the artifact summary (${said(status, body)}): the token must be valid for Xray and its user needs Read on the repositories`,
  xrayGone: (root: string, status: number) =>
    `Xray answered HTTP ${status} to the artifact summary (v2 and v1): is Xray still enabled on ${root}?`,
  permissionsGone: (user: string, root: string) =>
    `user "${user}" can read no local repository on ${root} any more: the permission target was removed or changed`,
  unexpectedBody: (host: string, what: string) => `${host} answered ${what} with an unexpected body`,
  notAList: (host: string) => `${host} answered the repository list with something that is not a list`,
}

/** What the check says when a call fails outright (the steps' refusals are worded in check.ts from `words`). */
export const checkWording: Wording<{ root: string }> = {
  unreachable: (err, { root }) => {
    if (err.kind === 'blocked' && /reactivate-server/i.test(err.message + (err.body ?? '')))
      return { message: words.inactive(root), hint: words.inactiveHint }
    if (err.kind === 'blocked') return { code: 'invalid_config', message: err.message }
    if (err.kind === 'timeout')
      return {
        message: `could not reach the JFrog Platform at ${root}: ${err.message}`,
        hint: 'Check the platform URL and that vulnsync can reach it (proxy, firewall, VPN).',
      }
    return {
      message: `could not reach the JFrog Platform at ${root}: ${err.message.replace(/^could not reach \S+: /, '')}`,
      hint: 'Check the platform URL (e.g. https://acme.jfrog.io) and that vulnsync can reach it (proxy, firewall, VPN).',
    }
  },
  rate_limited: (_err, { root }) => ({
    message: `the JFrog Platform at ${root} is rate limiting requests (HTTP 429)`,
    hint: 'Try again in a minute.',
  }),
  bad_response: (err, { root }) => ({
    message: `${root} does not answer like a JFrog Platform: ${err.message}`,
    hint: 'Check the platform URL (e.g. https://acme.jfrog.io).',
  }),
  auth: (err) => ({ code: 'vendor_error', message: err.message }),
  permission: (err) => ({ code: 'vendor_error', message: err.message }),
  not_found: (err) => ({ code: 'vendor_error', message: err.message }),
  unexpected: (err) => ({ message: err instanceof Error ? err.message : String(err) }),
}
