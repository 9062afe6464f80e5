import { type CheckResult, type HttpResponse, UpstreamError, type UpstreamErrorKind } from '@vulnsync/core'

/**
 * What went wrong upstream, as a check or a run tells the user: unauthorised (`auth`), forbidden (`permission`), not
 * found, rate limited, unreachable (also a timeout or an address the SSRF guard refused) and a bad response; `other`
 * for the rest (an HTTP 400 or 500 that outlived the retries, a cancelled request).
 */
export type FailureKind =
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'rate_limited'
  | 'unreachable'
  | 'bad_response'
  | 'other'

const KIND_OF: Record<UpstreamErrorKind, FailureKind> = {
  auth: 'auth',
  permission: 'permission',
  not_found: 'not_found',
  rate_limited: 'rate_limited',
  unreachable: 'unreachable',
  timeout: 'unreachable',
  blocked: 'unreachable',
  bad_response: 'bad_response',
  client: 'other',
  server: 'other',
  aborted: 'other',
}

/** The failure kind of anything a connector threw (`other` for what is not an UpstreamError). */
export const failureKindOf = (err: unknown): FailureKind => (err instanceof UpstreamError ? KIND_OF[err.kind] : 'other')

/** The error for an answer that is not what the API documents, in the connector's words (the body is kept). */
export const badResponse = (res: HttpResponse, message: string): UpstreamError =>
  new UpstreamError({
    kind: 'bad_response',
    host: new URL(res.url).host,
    status: res.status,
    message,
    body: res.text().slice(0, 500),
  })

/** Runs a write; a refusal (a permission error) is raised again in `explain`'s words: what the write needs. */
export const explainRefusal = async <T>(explain: (err: UpstreamError) => string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f()
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'permission')
      throw new UpstreamError({ kind: 'permission', host: err.host, status: err.status, message: explain(err) })
    throw err
  }
}

export type CheckFailure = Extract<CheckResult, { ok: false }>

/** A connector's words for one failure: the message, what to do about it, and a check code when not the kind's own. */
export interface Words {
  message: string
  hint?: string | undefined
  code?: CheckFailure['code']
}

/**
 * A connector's wording table (its folder's `words.ts`): for each failure kind, what the check says. A kind without
 * an entry says the error's own message, which the connector's client already wrote in the connector's words.
 * `unexpected` words what is not an UpstreamError (a vendor's in-band error, a bug).
 */
export type Wording<Facts = undefined> = { [K in FailureKind]?: (err: UpstreamError, facts: Facts) => Words } & {
  unexpected: (err: unknown, facts: Facts) => Words
}

const CHECK_CODES: Record<FailureKind, CheckFailure['code']> = {
  auth: 'auth',
  permission: 'permission',
  not_found: 'not_found',
  rate_limited: 'rate_limited',
  unreachable: 'unreachable',
  bad_response: 'vendor_error',
  other: 'vendor_error',
}

const failed = (code: CheckFailure['code'], w: Words): CheckFailure => ({
  ok: false,
  code: w.code ?? code,
  message: w.message,
  ...(w.hint !== undefined ? { hint: w.hint } : {}),
})

/** The one mapper from a failed check call to the check result, in the connector's words. */
export const checkFailure = <Facts>(wording: Wording<Facts>, err: unknown, facts: Facts): CheckFailure => {
  if (!(err instanceof UpstreamError)) return failed('vendor_error', wording.unexpected(err, facts))
  const kind = failureKindOf(err)
  return failed(CHECK_CODES[kind], wording[kind]?.(err, facts) ?? { message: err.message })
}

/** What a failed run tells the user to do, per kind of the error (its message is the connector's). */
const RUN_HINTS: Partial<Record<UpstreamErrorKind, string>> = {
  auth: 'The credentials were rejected: reconnect the integration with a valid token (Integration Hub → Reconnect).',
  permission: 'The credentials lack a permission this sync needs: grant it, or deselect the locations it cannot read.',
  not_found: 'Something the configuration names does not exist upstream: check the base URL and names.',
  rate_limited: 'The vendor kept refusing requests for its rate limit: the next scheduled run will continue.',
  unreachable: 'Check the base URL and that this server can reach the vendor over the network.',
  timeout: 'The vendor answered too slowly: the next scheduled run will try again.',
  server: 'The vendor had an internal error: the next scheduled run will try again.',
  blocked: 'The address is private or loopback: set VULNSYNC_ALLOW_PRIVATE_NETWORKS=true for on-premises hosts.',
  bad_response:
    'The vendor answered with something vulnsync could not read: the next run will try again; report it if it persists.',
}

export interface RunError {
  code: string
  message: string
  hint?: string | undefined
}

/** The one mapper from what ended a run to its error: the upstream kind as code, the connector's message, a hint. */
export const describeRunError = (err: unknown): RunError => {
  if (err instanceof UpstreamError) return { code: err.kind, message: err.message, hint: RUN_HINTS[err.kind] }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
}

const runWords = (err: unknown): Words => {
  const { message, hint } = describeRunError(err)
  return { message, hint }
}

/** A check that threw instead of answering: the error's own words and the run's hint. */
const fallbackWording: Wording = {
  auth: runWords,
  permission: runWords,
  not_found: runWords,
  rate_limited: runWords,
  unreachable: runWords,
  bad_response: runWords,
  other: runWords,
  unexpected: runWords,
}

/** Runs a connector's check; what it throws instead of answering becomes a failed check all the same. */
export const checkConnector = async <Ctx>(
  connector: { check(ctx: Ctx): Promise<CheckResult> },
  ctx: Ctx,
): Promise<CheckResult> => {
  try {
    return await connector.check(ctx)
  } catch (err) {
    return checkFailure(fallbackWording, err, undefined)
  }
}
