import {
  CODEOWNERS_LOCATIONS,
  type CodeownersDialect,
  type CodeownersRead,
  type ReadEvent,
  UpstreamError,
} from '@vulnsync/core'

/**
 * CODEOWNERS files read with an SCM inventory. The file of a repository is found by trying the provider's locations
 * in its order (the first found is used); a repository whose file cannot be read keeps what vulnsync stored (the
 * record says `undefined`), and reading never fails a sync.
 */

/**
 * What one location answered: the file's text, nothing there, the token may not read contents, or the rate-limit
 * budget is kept for the inventory (`budget`: the provider said few calls are left, so no more files are asked for).
 */
export type FileAnswer = { content: string } | 'missing' | 'forbidden' | 'empty_repository' | 'budget'

/** What reading one repository's CODEOWNERS gives: the file, null when there is none, or why it was not read. */
export type CodeownersAnswer = CodeownersRead | null | 'forbidden' | 'budget'

/** The first CODEOWNERS found at the dialect's locations. */
export const findCodeowners = async (
  dialect: CodeownersDialect,
  read: (path: string) => Promise<FileAnswer>,
): Promise<CodeownersAnswer> => {
  for (const path of CODEOWNERS_LOCATIONS[dialect]) {
    const a = await read(path)
    if (a === 'forbidden' || a === 'budget') return a
    if (a === 'empty_repository') return null
    if (a !== 'missing') return { path, dialect, content: a.content }
  }
  return null
}

const FATAL = new Set<UpstreamError['kind']>(['aborted', 'auth', 'rate_limited', 'unreachable', 'timeout', 'blocked'])

type WithCodeowners<Raw> = Raw & { codeowners?: CodeownersRead | null }

/**
 * Whether a rate-limit budget is too low to spend on CODEOWNERS files: under a fifth of the limit (at least 50 calls)
 * is kept for listing the repositories themselves. Reads the remaining/limit headers of the last answer.
 */
export const budgetLow = (remaining: string | null, limit: string | null): boolean => {
  const r = Number(remaining)
  const l = Number(limit)
  if (remaining === null || !Number.isFinite(r)) return false
  return r < Math.max(50, Number.isFinite(l) && l > 0 ? l / 5 : 0)
}

/**
 * Adds each repository's CODEOWNERS to the records of a read: records are held until the next checkpoint (one
 * page), their files fetched `concurrency` at a time, then the page is passed on in order. After the first
 * 'forbidden' no other file is asked for, and one warning says why (the records then carry no file: what is stored
 * stays); `skip` passes the records on without files. After the first 'budget' answer the same holds, with a warning that counts the repositories not read. A
 * file that fails to load for another reason is left out the same way and counted in a warning.
 */
export async function* withCodeowners<Raw extends object, Cursor>(
  events: AsyncIterable<ReadEvent<Raw, Cursor>>,
  fetch: (raw: Raw, budget: { low: boolean }) => Promise<CodeownersAnswer>,
  o: { concurrency?: number; forbidden: string; skip?: boolean | undefined },
): AsyncGenerator<ReadEvent<WithCodeowners<Raw>, Cursor>> {
  if (o.skip) {
    yield* events
    return
  }
  // shared by every fetch of the run: set when the provider's rate-limit headers say the budget runs low
  const rate = { low: false }
  let pending: ReadEvent<Raw, Cursor>[] = []
  let forbidden = false
  let budget = false
  let unread = 0
  let failed = 0
  let example = ''
  const one = async (raw: Raw): Promise<WithCodeowners<Raw>> => {
    if (forbidden) return raw
    if (budget) {
      unread++
      return raw
    }
    try {
      const file = await fetch(raw, rate)
      if (file === 'budget') {
        budget = true
        unread++
        return raw
      }
      if (file !== 'forbidden') return { ...raw, codeowners: file }
      forbidden = true
      return raw
    } catch (err) {
      // a revoked token, a network or a rate limit that did not clear fails the run as the listing would
      if (err instanceof UpstreamError && FATAL.has(err.kind)) throw err
      failed++
      example ||= (err as Error).message
      return raw
    }
  }
  async function* flush(): AsyncGenerator<ReadEvent<WithCodeowners<Raw>, Cursor>> {
    const page = pending
    pending = []
    const out: ReadEvent<WithCodeowners<Raw>, Cursor>[] = page.map((ev) => ev as ReadEvent<WithCodeowners<Raw>, Cursor>)
    const records = page.flatMap((ev, k) => (ev.type === 'record' ? [k] : []))
    const wasForbidden = forbidden
    for (let i = 0; i < records.length; i += o.concurrency ?? 8) {
      const batch = records.slice(i, i + (o.concurrency ?? 8))
      const done = await Promise.all(batch.map((k) => one((page[k] as { raw: Raw }).raw)))
      batch.forEach((k, j) => {
        // the record changed: a text the connector read it as is no longer its JSON
        out[k] = { ...(page[k] as { type: 'record'; raw: Raw; scope?: string }), raw: done[j]!, text: undefined }
      })
    }
    yield* out
    if (forbidden && !wasForbidden) yield { type: 'warning', code: 'codeowners_forbidden', message: o.forbidden }
  }
  for await (const ev of events) {
    pending.push(ev)
    if (ev.type !== 'record') yield* flush()
  }
  yield* flush()
  if (unread > 0)
    yield {
      type: 'warning',
      code: 'codeowners_budget',
      message: `the CODEOWNERS files of ${unread} repositories were not read this time, to keep the rate-limit budget for the inventory; ownership keeps what was read before, and the next sync reads them`,
    }
  if (failed > 0)
    yield {
      type: 'warning',
      code: 'codeowners_failed',
      message: `${failed} CODEOWNERS file(s) could not be read this time (${example}); ownership keeps what was read before`,
    }
}
