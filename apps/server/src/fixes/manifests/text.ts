/**
 * Text helpers for faithful edits: a change touches only the located token, so formatting, comments and line endings
 * stay as they were.
 */

/** The line ending a file uses (`\r\n` when any line has one). */
export const eolOf = (text: string) => (text.includes('\r\n') ? '\r\n' : '\n')

/** The indentation unit of a file: its first indented line's leading whitespace (default two spaces). */
export const indentOf = (text: string) => /\n([ \t]+)\S/.exec(text)?.[1] ?? '  '

/** Replaces [start, end) of a text. */
export const splice = (text: string, start: number, end: number, insert: string) =>
  text.slice(0, start) + insert + text.slice(end)

/** A copy of an XML text with every comment blanked out (same length, so offsets stay true). */
export const maskXmlComments = (text: string) => text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\r\n]/g, ' '))

/**
 * The end of the JSON value that starts at `start` (an object or array: its matching bracket, skipping strings), or -1.
 */
export const jsonValueEnd = (text: string, start: number): number => {
  let depth = 0
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      i++
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      continue
    }
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return i + 1
    }
  }
  return -1
}

/** The object value of a top-level key of a JSON document: [start of `{`, end after `}`], or null. */
export const topLevelObject = (text: string, key: string): [number, number] | null => {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      const s = i
      i++
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      if (depth === 1 && JSON.parse(text.slice(s, i + 1)) === key) {
        const m = /^\s*:\s*\{/.exec(text.slice(i + 1))
        if (m) {
          const open = i + 1 + m[0].length - 1
          return [open, jsonValueEnd(text, open)]
        }
      }
      continue
    }
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return null
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** In an object's text range, the string value of `"name": "…"` at its first level: [start, end] of the value inside the quotes. */
export const stringMember = (text: string, range: [number, number], name: string): [number, number] | null => {
  const body = text.slice(range[0], range[1])
  const re = new RegExp(`"${escapeRe(name)}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'g')
  for (const m of body.matchAll(re)) {
    // first level only: no unclosed bracket between the object's start and the match
    const before = body.slice(1, m.index)
    const opens = (before.match(/[{[]/g) ?? []).length
    const closes = (before.match(/[}\]]/g) ?? []).length
    if (opens !== closes) continue
    const valueStart = range[0] + m.index! + m[0].length - m[1]!.length - 1
    return [valueStart, valueStart + m[1]!.length]
  }
  return null
}
