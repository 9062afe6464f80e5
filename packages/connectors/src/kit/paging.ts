import type { ProgressUpdate, ReadEvent } from '@vulnsync/core'

/** Finds `rel="next"` (or another relation) in a `link` header, case-insensitively (RFC 8288, GitHub and GitLab). */
export const parseLink = (header: string | null, rel = 'next'): string | null => {
  if (!header) return null
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^<>]+)>\s*;(.*)$/.exec(part.trim())
    const rels =
      /rel\s*=\s*"?([^";]*)"?/i
        .exec(m?.[2] ?? '')?.[1]
        ?.toLowerCase()
        .split(/\s+/) ?? []
    if (m && rels.includes(rel.toLowerCase())) return m[1]!
  }
  return null
}

/**
 * Turns a path, or a link the upstream gave, into an absolute URL on the configured API: a path is joined to `base`,
 * a link is followed as given but never to another origin (a server behind a proxy may name its internal host):
 * it is rebased on the configured one.
 */
export const rebaseOn = (base: string): ((pathOrUrl: string) => string) => {
  const origin = new URL(base).origin
  return (pathOrUrl) => {
    if (!/^https?:\/\//i.test(pathOrUrl)) return `${base}/${pathOrUrl.replace(/^\//, '')}`
    const u = new URL(pathOrUrl)
    return u.origin === origin ? u.toString() : `${origin}${u.pathname}${u.search}`
  }
}

/** One page of a listing: its items, where the next one starts (null on the last), and the total when told. */
export interface Page<Item, At> {
  items: Item[]
  next: At | null
  total?: number | null | undefined
}

/**
 * Reads a listing page by page, from `start` (a first page or a checkpoint): each page's items become events
 * (`event`: a record, or a skip when a record is not valid), then a checkpoint holding where the next page starts.
 * `fetch` answers `'refused'` when the listing itself is refused on its first page: the loop returns `'refused'` so
 * the caller can fall back on another listing.
 */
export async function* readPages<Item, At, Raw, Cursor, P extends Page<Item, At> = Page<Item, At>>(o: {
  start: At
  /** pages already read before `start` (a resumed read) */
  pagesBefore: number
  fetch: (at: At, first: boolean) => Promise<P | 'refused'>
  event: (item: Item) => ReadEvent<Raw, Cursor>
  cursor: (next: At, pages: number) => Cursor
  progress: (pages: number, page: P) => ProgressUpdate
  report: (p: ProgressUpdate) => void
}): AsyncGenerator<ReadEvent<Raw, Cursor>, 'done' | 'refused'> {
  let at: At | null = o.start
  let pages = o.pagesBefore
  let first = true
  while (at !== null) {
    const page = await o.fetch(at, first)
    if (page === 'refused') return 'refused'
    first = false
    pages++
    for (const item of page.items) yield o.event(item)
    o.report(o.progress(pages, page))
    at = page.next
    if (at !== null) yield { type: 'checkpoint', cursor: o.cursor(at, pages) }
  }
  return 'done'
}

/**
 * Pages through an offset listing: asks `fetch(offset, limit)`, moves the offset by what came back (some APIs answer
 * an offset past what they sent), and stops on an empty or short page or when the total is reached.
 */
export async function* offsetPages<Item>(o: {
  limit: number
  start?: number
  fetch: (offset: number, limit: number) => Promise<{ items: Item[]; total?: number | undefined }>
  /** at most this many pages (a guard against an API that never ends a list) */
  maxPages?: number
}): AsyncGenerator<{ items: Item[]; offset: number; next: number }> {
  let offset = o.start ?? 0
  for (let page = 0; page < (o.maxPages ?? 1_000_000); page++) {
    const { items, total } = await o.fetch(offset, o.limit)
    const next = offset + items.length
    yield { items, offset, next }
    offset = next
    if (items.length === 0 || items.length < o.limit || (total !== undefined && offset >= total)) return
  }
}

/**
 * Reads one element ahead of its consumer: as soon as an element is handed over, the next one is asked for, so the
 * next page's request is in flight while the consumer maps and writes this one. Never more than one ahead: the source
 * is asked again only when the consumer takes the element waiting. An error of the element read ahead reaches the
 * consumer when it asks for that element, after every element before it, as it would without reading ahead. When the
 * consumer stops early (an error, a cancelled run), the source is closed once the read in flight settles, whose
 * result or error is dropped.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<T>> | null = it.next()
  let finished = false
  try {
    for (;;) {
      const r: IteratorResult<T> = await pending!
      pending = null
      if (r.done) {
        finished = true
        return
      }
      pending = it.next()
      // it surfaces when the consumer asks for it; meanwhile it is not an unhandled rejection
      pending.catch(() => {})
      yield r.value
    }
  } finally {
    if (!finished) {
      const close = () => {
        Promise.resolve(it.return?.())
          .catch(() => {})
          .then(() => {})
      }
      if (pending) pending.then(close, () => {})
      else close()
    }
  }
}
