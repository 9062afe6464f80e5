/**
 * Maven's version order, written from the "Version Order Specification" of the POM reference (maven.apache.org,
 * pom.html): no maintained library implements it for JavaScript (docs/adr/0006-fix-versions-and-lockfiles.md).
 *
 * - A version is split into tokens at `.`, at `-` and at each transition between digits and letters (a transition
 *   counts as `-`). Each token keeps the separator before it. Empty tokens are `0`.
 * - Trailing "null" tokens (`0`, `""`, `final`, `ga`, `release`) are trimmed from the end, and again before each
 *   remaining `-` from the end to the start: `1.0.0-foo.0.0` is `1-foo`, `1-ga-1` is `1-1`.
 * - Qualifiers: `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < `""` = `final` = `ga` = `release` < `sp`,
 *   then every other qualifier in case-insensitive alphabetical order; `a`, `b` and `m` directly followed by a
 *   number are `alpha`, `beta` and `milestone`.
 * - Kinds: `.qualifier` = `-qualifier` < `-number` < `.number`; the shorter version is padded with null tokens of
 *   the other one's separator.
 */

interface Token {
  sep: '.' | '-'
  /** a number (as a bigint: timestamps as versions exceed 2^53) or a lower-case qualifier */
  value: bigint | string
}

const KNOWN = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'] as const
const ALIASES: Record<string, string> = { cr: 'rc', final: '', ga: '', release: '' }
const SHORT: Record<string, string> = { a: 'alpha', b: 'beta', m: 'milestone' }

const isNull = (t: Token) => (typeof t.value === 'bigint' ? t.value === 0n : t.value === '')

/** The tokens of a version, trimmed of its null tokens. */
export const mavenTokens = (version: string): Token[] => {
  const raw: { sep: '.' | '-'; text: string; transition: boolean }[] = []
  let sep: '.' | '-' = '.'
  let transition = false
  let cur = ''
  const push = (next: '.' | '-', byTransition: boolean) => {
    raw.push({ sep, text: cur, transition })
    cur = ''
    sep = next
    transition = byTransition
  }
  const s = version.trim().toLowerCase()
  for (const c of s) {
    if (c === '.' || c === '-') {
      push(c, false)
      continue
    }
    const digit = c >= '0' && c <= '9'
    const prev = cur.at(-1)
    if (prev !== undefined && digit !== (prev >= '0' && prev <= '9')) push('-', true)
    cur += c
  }
  push('.', false)
  const tokens: Token[] = raw.map((r, k) => {
    if (r.text === '') return { sep: r.sep, value: 0n }
    if (/^\d+$/.test(r.text)) return { sep: r.sep, value: BigInt(r.text) }
    // `a1`, `b2`, `m3`: the letter directly followed by a number
    const word = raw[k + 1]?.transition && SHORT[r.text] ? SHORT[r.text]! : r.text
    return { sep: r.sep, value: ALIASES[word] ?? word }
  })
  // null tokens are trimmed at the end, and before each remaining hyphen, from the end to the start
  const out: Token[] = []
  let trimming = true
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k]!
    if (trimming && isNull(t)) continue
    out.unshift(t)
    trimming = t.sep === '-'
  }
  return out
}

const qualifierRank = (q: string): [number, string] => {
  const i = (KNOWN as readonly string[]).indexOf(q)
  return i >= 0 ? [i, ''] : [KNOWN.length, q]
}

/** `.qualifier` = `-qualifier` (0) < `-number` (1) < `.number` (2). */
const kind = (t: Token) => (typeof t.value === 'string' ? 0 : t.sep === '-' ? 1 : 2)

const compareTokens = (a: Token, b: Token): number => {
  const ka = kind(a)
  const kb = kind(b)
  if (ka !== kb) return ka < kb ? -1 : 1
  if (typeof a.value === 'bigint' && typeof b.value === 'bigint')
    return a.value === b.value ? 0 : a.value < b.value ? -1 : 1
  const [ra, sa] = qualifierRank(String(a.value))
  const [rb, sb] = qualifierRank(String(b.value))
  if (ra !== rb) return ra < rb ? -1 : 1
  return sa === sb ? 0 : sa < sb ? -1 : 1
}

const nullLike = (t: Token): Token => ({ sep: t.sep, value: t.sep === '.' ? 0n : '' })

/** Compares two Maven versions: negative, zero or positive. */
export const compareMaven = (a: string, b: string): number => {
  const x = mavenTokens(a)
  const y = mavenTokens(b)
  const n = Math.max(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const tx = x[i] ?? nullLike(y[i]!)
    const ty = y[i] ?? nullLike(x[i]!)
    const c = compareTokens(tx, ty)
    if (c !== 0) return c
  }
  return 0
}

const PRE = new Set(['alpha', 'beta', 'milestone', 'rc', 'snapshot', 'preview', 'ea', 'dev', 'pre', 'incubating'])

/** A version with an alpha, beta, milestone, release-candidate, snapshot, preview or early-access qualifier. */
export const isMavenPrerelease = (v: string): boolean =>
  mavenTokens(v).some((t) => typeof t.value === 'string' && PRE.has(t.value))

/** The numeric release parts a version starts with (`2.9.10.4` → [2, 9, 10, 4]; `5.3.20.RELEASE` → [5, 3, 20]). */
export const mavenRelease = (v: string): number[] =>
  (/^\d+(?:\.\d+)*/.exec(v.trim())?.[0] ?? '').split('.').filter(Boolean).map(Number)

/** Something Maven can order: starts with a number. */
export const isMavenVersion = (v: string): boolean => /^\d/.test(v.trim())
