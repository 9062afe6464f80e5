/**
 * CODEOWNERS files, parsed and matched (pure). Two dialects of one parser:
 *
 * - `github`: gitignore-like patterns (a pattern without a slash, or with only a trailing one, matches at any depth;
 *   any other slash anchors it at the root; a trailing slash means a directory; `docs/*` owns the files of `docs`
 *   but not deeper ones); the last matching line wins, and a matching line without owners leaves the path unowned;
 *   `!` negation, `[ ]` ranges and the `\#` escape are not supported, so such lines are errors; `#` starts a comment
 *   anywhere after whitespace.
 * - `gitlab`: `[Section]` headers (optional `^[Section]`, approvals `[Section][2]`, default owners on the header
 *   line; sections of the same name, in any case, are one); a pattern without a leading slash matches at any depth
 *   (`/**​/` is put in front), a trailing slash means everything below, `*` alone means every file; each section is
 *   evaluated on its own (the last matching entry of the section wins; an `!` exclusion that matches takes the path
 *   out of the section); an entry without owners takes the section's default owners, and is an error without them.
 *
 * A line that cannot be used is reported with its number and why, and skipped; a file never fails as a whole except
 * above GitHub's size limit (3 MB), which GitHub ignores entirely.
 */

export type CodeownersDialect = 'github' | 'gitlab'

/** Where each provider looks for the file, in the order it looks (the first found is used). */
export const CODEOWNERS_LOCATIONS: Record<CodeownersDialect, readonly string[]> = {
  github: ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'],
  gitlab: ['CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS'],
}

/** GitHub ignores a CODEOWNERS file larger than this. */
export const CODEOWNERS_MAX_BYTES = 3 * 1024 * 1024

export interface CodeownersEntry {
  /** 1-based line number in the file */
  line: number
  /** the pattern as written */
  pattern: string
  /** owners as written: `@user`, `@org/team`, `@group/sub`, an email, or a GitLab role `@@developer` */
  owners: string[]
  /** GitLab section name as first written (null: before any section, and always on GitHub) */
  section: string | null
  /** GitLab `!pattern`: takes matching paths out of the section */
  exclusion: boolean
  /** the line as written, trimmed */
  text: string
  regex: RegExp
}

export interface CodeownersError {
  line: number
  text: string
  message: string
}

export interface CodeownersFile {
  dialect: CodeownersDialect
  entries: CodeownersEntry[]
  errors: CodeownersError[]
  /** section names in the order they first appear (GitLab); `null` stands for the entries before any section */
  sections: (string | null)[]
}

/** What the file says about one path: per section (GitHub: one), the entry that decides it. */
export interface CodeownersMatch {
  entry: CodeownersEntry
  section: string | null
}

const escapeRe = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&')

/** One path segment with `*` and `?` (and, for GitLab, `[...]` classes and `{a,b}`), as a regex that stays in it. */
const segmentRe = (seg: string, dialect: CodeownersDialect): string => {
  let out = ''
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!
    if (c === '*') {
      while (seg[i + 1] === '*') i++
      out += '[^/]*'
    } else if (c === '?') out += '[^/]'
    else if (c === '\\' && i + 1 < seg.length) out += escapeRe(seg[++i]!)
    else if (dialect === 'gitlab' && c === '[') {
      const end = seg.indexOf(']', i + 2)
      if (end < 0) throw new Error('an unclosed [ character class')
      let body = seg.slice(i + 1, end)
      if (body.startsWith('!')) body = `^${body.slice(1)}`
      out += `[${body.replace(/\\/g, '\\\\').replace(/\//g, '')}]`
      i = end
    } else if (dialect === 'gitlab' && c === '{') {
      const end = seg.indexOf('}', i + 1)
      if (end < 0) throw new Error('an unclosed { alternative')
      out += `(?:${seg
        .slice(i + 1, end)
        .split(',')
        .map((a) => segmentRe(a, dialect))
        .join('|')})`
      i = end
    } else out += escapeRe(c)
  }
  return out
}

/** Segments joined, with `**` segments matching any number of directories. */
const joinSegments = (segments: string[], dialect: CodeownersDialect): string => {
  let out = ''
  segments.forEach((seg, k) => {
    const last = k === segments.length - 1
    // a trailing `**` is everything below on GitHub (gitignore); fnmatch reads it as `*`
    if (seg === '**') out += !last ? '(?:.*/)?' : dialect === 'github' ? '.*' : '[^/]*'
    else out += segmentRe(seg, dialect) + (last ? '' : '/')
  })
  return out
}

/** A GitHub CODEOWNERS pattern (gitignore rules as GitHub documents them) as a regex over a repository path. */
export const githubPatternRe = (pattern: string): RegExp => {
  let p = pattern
  const dirOnly = p.endsWith('/')
  if (dirOnly) p = p.replace(/\/+$/, '')
  const anchored = p.startsWith('/') || p.includes('/')
  p = p.replace(/^\/+/, '')
  if (p === '') return /^.*$/ // `/` alone: the whole repository
  const segments = p.split('/')
  const lastSeg = segments.at(-1)!
  const body = joinSegments(segments, 'github')
  const prefix = anchored ? '^' : '^(?:.*/)?'
  // a trailing slash: everything below the directory; `dir/*`: its files only; else the path or anything below it
  const suffix = dirOnly ? '/.*$' : lastSeg === '*' && segments.length > 1 ? '$' : lastSeg === '**' ? '$' : '(?:/.*)?$'
  return new RegExp(prefix + body + suffix)
}

/** A GitLab CODEOWNERS pattern (Ruby File.fnmatch with FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB) as a regex. */
export const gitlabPatternRe = (pattern: string): RegExp => {
  let p = pattern
  if (p === '*') p = '/**/*'
  if (!p.startsWith('/')) p = `/**/${p}`
  if (p.endsWith('/')) p = `${p}**/*`
  const segments = p.replace(/^\/+/, '').split('/')
  return new RegExp(`^${joinSegments(segments, 'gitlab')}$`)
}

const OWNER_USER = /^@[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/
const OWNER_TEAM = /^@[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9._-]+$/
const OWNER_GROUP = /^@[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9._-]+)+$/
const OWNER_EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
const OWNER_ROLE = /^@@(?:developer|developers|maintainer|maintainers|owner|owners)$/i

/** Why an owner is not valid in the dialect, or null. */
export const ownerProblem = (owner: string, dialect: CodeownersDialect): string | null => {
  if (OWNER_EMAIL.test(owner) || OWNER_USER.test(owner)) return null
  if (dialect === 'github' && OWNER_TEAM.test(owner)) return null
  if (dialect === 'gitlab' && (OWNER_GROUP.test(owner) || OWNER_ROLE.test(owner))) return null
  return dialect === 'github'
    ? `owner ${JSON.stringify(owner)} is not an @user, an @org/team or an email address`
    : `owner ${JSON.stringify(owner)} is not an @user, an @group, an @@role or an email address`
}

/** Splits on whitespace that is not escaped with a backslash. */
const tokens = (s: string): string[] => s.split(/(?<!\\)\s+/).filter(Boolean)
const unescapeSpaces = (s: string) => s.replace(/\\(\s)/g, '$1')

const SECTION = /^(\^)?\[([^\]]*)\](?:\[([^\]]*)\])?(.*)$/

export const parseCodeowners = (content: string, dialect: CodeownersDialect): CodeownersFile => {
  const errors: CodeownersError[] = []
  const entries: CodeownersEntry[] = []
  const sections: (string | null)[] = []
  const out: CodeownersFile = { dialect, entries, errors, sections }
  if (content.length > CODEOWNERS_MAX_BYTES / 4 && new TextEncoder().encode(content).length > CODEOWNERS_MAX_BYTES) {
    errors.push({
      line: 0,
      text: '',
      message: `the file is larger than ${CODEOWNERS_MAX_BYTES / 1024 / 1024} MB, so GitHub and vulnsync ignore all of it`,
    })
    return out
  }
  // GitLab: section names are case-insensitive and combined; the first spelling names the section
  const sectionNames = new Map<string, string>()
  let section: string | null = null
  let sectionDefaults: string[] = []
  const defaults = new Map<string | null, string[]>()
  const lines = content.split(/\r?\n/)
  for (const [k, raw] of lines.entries()) {
    const line = k + 1
    let text = raw.trim()
    if (text === '' || text.startsWith('#')) continue
    const fail = (message: string) => {
      errors.push({ line, text, message })
    }
    if (dialect === 'github') text = text.replace(/\s+#.*$/, '')
    if (dialect === 'gitlab' && /^\^?\[/.test(text)) {
      const m = SECTION.exec(text)
      if (!m) {
        fail('a section header needs a closing ]')
        continue
      }
      const name = m[2]!.trim()
      if (!name) {
        fail('a section needs a name between [ and ]')
        continue
      }
      if (m[3] !== undefined && !/^\d+$/.test(m[3].trim())) {
        fail(`the number of required approvals [${m[3]}] must be a whole number`)
        continue
      }
      const owners = tokens(m[4]!.trim())
      const badDefault = owners.map((o) => ownerProblem(o, dialect)).find((x) => x !== null)
      if (badDefault) {
        fail(`section default ${badDefault}`)
        continue
      }
      const key = name.toLowerCase()
      if (!sectionNames.has(key)) sectionNames.set(key, name)
      section = sectionNames.get(key)!
      if (owners.length) defaults.set(section, owners)
      sectionDefaults = defaults.get(section) ?? []
      if (!sections.includes(section)) sections.push(section)
      continue
    }
    const [first, ...owners] = tokens(text)
    let pattern = unescapeSpaces(first!)
    let exclusion = false
    if (pattern.startsWith('!')) {
      if (dialect === 'github') {
        fail('negation with ! is not supported in GitHub CODEOWNERS')
        continue
      }
      exclusion = true
      pattern = pattern.slice(1)
    }
    if (dialect === 'github') {
      if (/^\\#/.test(first!)) {
        fail('escaping a leading # with \\ is not supported in GitHub CODEOWNERS')
        continue
      }
      if (/[[\]]/.test(pattern)) {
        fail('character ranges with [ ] are not supported in GitHub CODEOWNERS')
        continue
      }
    } else pattern = pattern.replace(/^\\#/, '#')
    if (!pattern) {
      fail('the line has no pattern')
      continue
    }
    const badOwner = owners.map((o) => ownerProblem(o, dialect)).find((x) => x !== null)
    if (badOwner) {
      fail(badOwner)
      continue
    }
    let effective = owners
    if (dialect === 'gitlab' && owners.length === 0 && !exclusion) {
      if (sectionDefaults.length === 0) {
        fail(section === null ? 'the entry has no owner' : `the entry has no owner and section [${section}] has none`)
        continue
      }
      effective = sectionDefaults
    }
    let regex: RegExp
    try {
      regex = dialect === 'github' ? githubPatternRe(pattern) : gitlabPatternRe(pattern)
    } catch (err) {
      fail(`the pattern has ${(err as Error).message}`)
      continue
    }
    if (section === null && !sections.includes(null)) sections.unshift(null)
    entries.push({ line, pattern, owners: effective, section, exclusion, text, regex })
  }
  return out
}

/** Normalises a repository path for matching: forward slashes, no leading `./` or `/`. */
export const normaliseRepoPath = (path: string): string =>
  path
    .trim()
    .replace(/\\/g, '/')
    .replace(/^(?:\.\/)+/, '')
    .replace(/^\/+/, '')

/** Patterns that own every file, the only ones that can answer for a finding whose manifest path is unknown. */
const EVERYTHING = new Set(['*', '**', '/**', '/**/*', '/'])

/**
 * The entries that decide a path: GitHub, the last matching line (possibly without owners); GitLab, per section in
 * the order sections first appear (entries before any section first), the last matching entry, unless an exclusion
 * of that section matches. `path` null: the scanner gave no manifest path, so only lines that own every file match.
 */
export const matchCodeowners = (file: CodeownersFile, path: string | null): CodeownersMatch[] => {
  const p = path === null ? null : normaliseRepoPath(path)
  const hits = (e: CodeownersEntry) => (p === null ? EVERYTHING.has(e.pattern) : e.regex.test(p))
  if (file.dialect === 'github') {
    for (let k = file.entries.length - 1; k >= 0; k--) {
      const e = file.entries[k]!
      if (hits(e)) return [{ entry: e, section: null }]
    }
    return []
  }
  const out: CodeownersMatch[] = []
  for (const section of file.sections) {
    const inSection = file.entries.filter((e) => e.section === section)
    if (inSection.some((e) => e.exclusion && hits(e))) continue
    for (let k = inSection.length - 1; k >= 0; k--) {
      const e = inSection[k]!
      if (!e.exclusion && hits(e)) {
        out.push({ entry: e, section })
        break
      }
    }
  }
  return out
}
