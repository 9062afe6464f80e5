/**
 * A list response's records as their own JSON texts, without parsing the page whole.
 *
 * A vendor page is hundreds of kilobytes of records. Parsing it whole makes every record an object graph that lives
 * until the record is written, and the record's JSON text is then made again from that graph for `source_records`.
 * Splitting the page's array into its elements' texts lets a connector parse one record at a time (the parsed object
 * dies young, once mapped) and hand the engine the vendor's own text to store (ADR 0014, "records as text").
 *
 * This is a structural scan, not a validator: it finds where the array at `path` starts and where each element ends.
 * The rest of the document is parsed by `JSON.parse` with the array left empty, and each element by its reader, so
 * invalid JSON still fails there.
 */

const QUOTE = 34 // "
const BACKSLASH = 92
const OPEN_OBJ = 123 // {
const CLOSE_OBJ = 125 // }
const OPEN_ARR = 91 // [
const CLOSE_ARR = 93 // ]
const COMMA = 44
const COLON = 58

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9

const skipSpace = (t: string, i: number): number => {
  while (i < t.length && isSpace(t.charCodeAt(i))) i++
  return i
}

/** the index just after the string that opens at `i` (a quote), or -1 when it does not end */
const stringEnd = (t: string, i: number): number => {
  let j = i
  for (;;) {
    j = t.indexOf('"', j + 1)
    if (j < 0) return -1
    let k = j - 1
    while (t.charCodeAt(k) === BACKSLASH) k--
    if ((j - 1 - k) % 2 === 0) return j + 1 // an even number of backslashes: the quote is not escaped
  }
}

/** the index just after the value that starts at `i`, or -1 when the text ends first */
const valueEnd = (t: string, i: number): number => {
  const c = t.charCodeAt(i)
  if (c === QUOTE) return stringEnd(t, i)
  if (c !== OPEN_OBJ && c !== OPEN_ARR) {
    // a number, true, false or null: up to the next delimiter
    let j = i
    while (j < t.length) {
      const d = t.charCodeAt(j)
      if (d === COMMA || d === CLOSE_OBJ || d === CLOSE_ARR || isSpace(d)) break
      j++
    }
    return j > i ? j : -1
  }
  let depth = 0
  for (let j = i; j < t.length; j++) {
    const d = t.charCodeAt(j)
    if (d === QUOTE) {
      const e = stringEnd(t, j)
      if (e < 0) return -1
      j = e - 1
    } else if (d === OPEN_OBJ || d === OPEN_ARR) depth++
    else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
      if (--depth === 0) return j + 1
    }
  }
  return -1
}

/** the index of the value of member `key` of the object that opens at `i`, or -1 */
const memberValue = (t: string, i: number, key: string): number => {
  i = skipSpace(t, i + 1)
  if (t.charCodeAt(i) === CLOSE_OBJ) return -1
  for (;;) {
    if (t.charCodeAt(i) !== QUOTE) return -1
    const end = stringEnd(t, i)
    if (end < 0) return -1
    const raw = t.slice(i + 1, end - 1)
    const name = raw.includes('\\') ? (JSON.parse(t.slice(i, end)) as string) : raw
    i = skipSpace(t, end)
    if (t.charCodeAt(i) !== COLON) return -1
    i = skipSpace(t, i + 1)
    if (name === key) return i
    i = valueEnd(t, i)
    if (i < 0) return -1
    i = skipSpace(t, i)
    const c = t.charCodeAt(i)
    if (c === COMMA) i = skipSpace(t, i + 1)
    else return -1 // the object ended (or the text is broken) without the member
  }
}

export interface SplitList {
  /** the document with the array at the path emptied (`[]`), parsed */
  doc: unknown
  /** each element of the array, as its JSON text (not yet parsed) */
  items: string[]
}

/**
 * The array at `path` (for example `['list', 'objects']`) in a JSON document, as its elements' texts, and the rest
 * of the document parsed. Null when the document has no array there (the caller parses it whole: an error body, a
 * count response, an unexpected shape). Throws what `JSON.parse` throws when the rest of the document is not JSON.
 */
export const splitJsonList = (text: string, path: readonly string[]): SplitList | null => {
  let i = skipSpace(text, 0)
  for (const key of path) {
    if (text.charCodeAt(i) !== OPEN_OBJ) return null
    i = memberValue(text, i, key)
    if (i < 0) return null
  }
  if (text.charCodeAt(i) !== OPEN_ARR) return null
  const open = i
  const items: string[] = []
  i = skipSpace(text, i + 1)
  if (text.charCodeAt(i) !== CLOSE_ARR)
    for (;;) {
      const end = valueEnd(text, i)
      if (end < 0) return null
      items.push(text.slice(i, end))
      i = skipSpace(text, end)
      const c = text.charCodeAt(i)
      if (c === CLOSE_ARR) break
      if (c !== COMMA) return null
      i = skipSpace(text, i + 1)
    }
  const doc = JSON.parse(`${text.slice(0, open + 1)}${text.slice(i)}`)
  // a second member of the same name after this one would win in JSON.parse: then this split is not the document
  let at: unknown = doc
  for (const key of path) at = (at as Record<string, unknown> | null)?.[key]
  if (!Array.isArray(at) || at.length > 0) return null
  return { doc, items }
}
