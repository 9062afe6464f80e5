/**
 * The globs of ownership rules (pure): `*` stays within a path segment, `**` crosses them (`**​/` is zero or more
 * directories), `?` is one character, `{a,b}` is either, and a trailing `/` means everything below. A glob matches
 * the whole name: `**​/package.json` for any depth. Repository and image globs ignore case; path globs do not.
 */

const MAX = 500

/** Why a glob cannot be used, or null. */
export const globProblem = (glob: string): string | null => {
  if (glob.trim() === '') return 'must not be empty'
  if (glob !== glob.trim()) return 'must not start or end with spaces'
  if (glob.length > MAX) return `must be at most ${MAX} characters`
  if (/[\u0000-\u001f\u007f]/.test(glob)) return 'must not contain control characters'
  if (glob.startsWith('!')) return 'negation with ! is not supported: write a rule for what you want to match'
  if (/[[\]]/.test(glob)) return 'character ranges with [ ] are not supported; use * or {a,b}'
  if (glob.includes('\\')) return 'backslashes are not supported; use / between path segments'
  if (/\*\*\*/.test(glob)) return 'has *** (use * within a segment or ** across segments)'
  if (/\/\//.test(glob)) return 'has an empty path segment (//)'
  let depth = 0
  for (const c of glob) {
    if (c === '{') depth++
    else if (c === '}') depth--
    if (depth < 0 || depth > 1) return 'has unbalanced or nested { } alternatives'
  }
  if (depth !== 0) return 'has an unclosed { alternative'
  return null
}

const escapeRe = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&')

const body = (glob: string): string => {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      i++
      if (glob[i + 1] === '/') {
        i++
        out += '(?:.*/)?'
      } else out += '.*'
    } else if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else if (c === '{') {
      const end = glob.indexOf('}', i)
      out += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((a) => body(a))
        .join('|')})`
      i = end
    } else out += escapeRe(c)
  }
  return out
}

/** Compiles a valid glob (see `globProblem`). */
export const compileGlob = (glob: string, o: { ignoreCase: boolean }): RegExp => {
  const g = glob.replace(/^\/+/, '')
  const re = g.endsWith('/') ? `${body(g)}.*` : body(g)
  return new RegExp(`^${re}$`, o.ignoreCase ? 'i' : '')
}
