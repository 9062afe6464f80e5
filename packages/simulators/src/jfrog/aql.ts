import type { SimItem, SimRepo } from './dataset.ts'

/**
 * A small AQL engine for the simulator: `items.find(<criteria>).include(...).sort({"$asc":[...]}).offset(n).limit(n)`
 * with field criteria (repo, path, name, type, size, created, modified, sha256, stat.downloaded), `@property` criteria, the operators
 * $eq $ne $gt $gte $lt $lte $match $nmatch $in, and $and/$or (jfrog.md §3.5).
 */
export interface AqlQuery {
  domain: string
  criteria: Record<string, unknown>
  include?: string[] | undefined
  sort?: { dir: 'asc' | 'desc'; fields: string[] } | undefined
  offset?: number | undefined
  limit?: number | undefined
}

export class AqlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Reads the balanced argument text of a call starting at `open` (the index of '('), honouring JSON strings. */
const readArgs = (s: string, open: number): { text: string; end: number } => {
  let depth = 0
  let inStr = false
  for (let i = open; i < s.length; i++) {
    const c = s[i]
    if (inStr) {
      if (c === '\\') i++
      else if (c === '"') inStr = false
      continue
    }
    if (c === '"') inStr = true
    else if (c === '(') depth++
    else if (c === ')') {
      depth--
      if (depth === 0) return { text: s.slice(open + 1, i), end: i + 1 }
    }
  }
  throw new AqlError(400, 'Failed to parse query: unbalanced parentheses')
}

export const parseAql = (text: string): AqlQuery => {
  const s = text.trim()
  const m = /^([a-z]+)\.find\s*\(/.exec(s)
  if (!m) throw new AqlError(400, `Failed to parse query: ${s.slice(0, 60)}`)
  const q: AqlQuery = { domain: m[1]!, criteria: {} }
  let { text: find, end } = readArgs(s, m[0].length - 1)
  try {
    q.criteria = find.trim() ? JSON.parse(find) : {}
  } catch {
    throw new AqlError(400, `Failed to parse query: invalid criteria ${find.slice(0, 80)}`)
  }
  for (;;) {
    const rest = s.slice(end)
    const c = /^\s*\.\s*([a-z]+)\s*\(/.exec(rest)
    if (!c) {
      if (rest.trim()) throw new AqlError(400, `Failed to parse query near: ${rest.trim().slice(0, 40)}`)
      break
    }
    const args = readArgs(s, end + c[0].length - 1)
    end = args.end
    try {
      switch (c[1]) {
        case 'include':
          q.include = JSON.parse(`[${args.text}]`)
          break
        case 'sort': {
          const o = JSON.parse(args.text)
          const dir = o.$desc ? 'desc' : 'asc'
          q.sort = { dir, fields: o.$desc ?? o.$asc ?? [] }
          break
        }
        case 'offset':
          q.offset = Number(args.text)
          break
        case 'limit':
          q.limit = Number(args.text)
          break
        case 'distinct':
          break
        default:
          throw new AqlError(400, `Failed to parse query: unknown element ${c[1]}`)
      }
    } catch (e) {
      if (e instanceof AqlError) throw e
      throw new AqlError(400, `Failed to parse query: invalid ${c[1]} ${args.text.slice(0, 40)}`)
    }
  }
  return q
}

const wildcard = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )

const field = (it: SimItem, key: string): unknown => {
  switch (key) {
    case 'repo':
      return it.repo
    case 'path':
      return it.path
    case 'name':
      return it.name
    case 'type':
      return 'file'
    case 'size':
      return it.size
    case 'sha256':
      return it.sha256
    case 'actual_sha1':
      return it.sha1
    case 'created':
    case 'updated':
      return it.created
    case 'modified':
      return it.modified
    case 'depth':
      return it.path === '.' ? 1 : it.path.split('/').length + 1
    case 'stat.downloaded':
      return it.downloaded
    default:
      return undefined
  }
}

const test = (actual: unknown, cond: unknown): boolean => {
  if (cond === null || typeof cond !== 'object') return actual !== undefined && String(actual) === String(cond)
  return Object.entries(cond as Record<string, unknown>).every(([op, v]) => {
    const a = actual as any
    switch (op) {
      case '$eq':
        return a !== undefined && String(a) === String(v)
      case '$ne':
        return a === undefined || String(a) !== String(v)
      case '$gt':
        return a !== undefined && a > (v as any)
      case '$gte':
        return a !== undefined && a >= (v as any)
      case '$lt':
        return a !== undefined && a < (v as any)
      case '$lte':
        return a !== undefined && a <= (v as any)
      case '$match':
        return a !== undefined && wildcard(String(v)).test(String(a))
      case '$nmatch':
        return a === undefined || !wildcard(String(v)).test(String(a))
      case '$in':
        return Array.isArray(v) && a !== undefined && v.map(String).includes(String(a))
      default:
        throw new AqlError(400, `Failed to parse query: unknown operator ${op}`)
    }
  })
}

export const matches = (it: SimItem, criteria: Record<string, unknown>): boolean =>
  Object.entries(criteria).every(([k, v]) => {
    if (k === '$and') return (v as Record<string, unknown>[]).every((c) => matches(it, c))
    if (k === '$or') return (v as Record<string, unknown>[]).some((c) => matches(it, c))
    if (k.startsWith('@')) {
      const prop = it.properties[k.slice(1)]
      return test(prop, v)
    }
    return test(field(it, k), v)
  })

const DEFAULT_INCLUDE = [
  'repo',
  'path',
  'name',
  'type',
  'size',
  'created',
  'created_by',
  'modified',
  'modified_by',
  'updated',
]

const project = (it: SimItem, include: string[] | undefined): Record<string, unknown> => {
  const fields = include ?? DEFAULT_INCLUDE
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (f.startsWith('property.') || f === 'property') {
      out.properties = Object.entries(it.properties).map(([key, value]) => ({ key, value }))
      continue
    }
    if (f === '*') {
      for (const d of DEFAULT_INCLUDE) out[d] = field(it, d) ?? (d.endsWith('_by') ? 'deployer' : undefined)
      continue
    }
    const v = f.endsWith('_by') ? 'deployer' : field(it, f)
    if (v !== undefined) out[f] = v
  }
  return out
}

/** The repository key a criteria pins with a top-level `repo` equality, if any. */
const pinnedRepo = (c: Record<string, unknown>): string | undefined => {
  const r = c.repo
  if (typeof r === 'string') return r
  if (r && typeof r === 'object' && typeof (r as any).$eq === 'string') return (r as any).$eq
  return undefined
}

/**
 * Runs a query over the repositories the caller may read (AQL filters silently by permission).
 * Simple `{"repo":R[,"type":"file"]}` queries sorted by path,name slice the (lazily generated) repository directly.
 */
export const runAql = (
  q: AqlQuery,
  repos: SimRepo[],
  opts: { admin: boolean; hardLimit?: number },
): { results: Record<string, unknown>[]; range: Record<string, unknown> } => {
  if (q.domain !== 'items' && !opts.admin)
    throw new AqlError(403, 'For permissions reasons AQL demands the following fields: repo, path and name.')
  if (q.domain !== 'items') throw new AqlError(400, `domain ${q.domain} is not supported by the simulator`)
  if (!opts.admin) {
    const inc = q.include
    if (inc && !['repo', 'path', 'name'].every((f) => inc.includes(f) || inc.includes('*')))
      throw new AqlError(403, 'For permissions reasons AQL demands the following fields: repo, path and name.')
  }
  const offset = Math.max(0, q.offset ?? 0)
  const limit = q.limit ?? opts.hardLimit ?? Number.MAX_SAFE_INTEGER
  const pinned = pinnedRepo(q.criteria)
  const scope = pinned ? repos.filter((r) => r.key === pinned) : repos
  const sortFields = q.sort?.fields ?? []
  const natural =
    sortFields.length === 0 ||
    (q.sort?.dir === 'asc' &&
      ['path', 'name'].every((f, i) => sortFields[i] === undefined || sortFields[i] === f) &&
      sortFields.length <= 2)
  const keys = Object.keys(q.criteria)
  const simple =
    pinned &&
    keys.every(
      (k) => k === 'repo' || (k === 'type' && (q.criteria.type === 'file' || (q.criteria.type as any)?.$eq === 'file')),
    )
  const results: Record<string, unknown>[] = []
  if (simple && natural && scope.length === 1) {
    const repo = scope[0]!
    for (let i = offset; i < Math.min(repo.count, offset + limit); i++) results.push(project(repo.item(i), q.include))
  } else {
    const all: SimItem[] = []
    for (const repo of scope)
      for (let i = 0; i < repo.count; i++) {
        const it = repo.item(i)
        if (matches(it, q.criteria)) all.push(it)
      }
    if (!natural || scope.length > 1) {
      const fields = sortFields.length ? sortFields : ['repo', 'path', 'name']
      const dir = q.sort?.dir === 'desc' ? -1 : 1
      all.sort((a, b) => {
        for (const f of fields) {
          const x = String(field(a, f) ?? '')
          const y = String(field(b, f) ?? '')
          if (x !== y) return (x < y ? -1 : 1) * dir
        }
        return 0
      })
    }
    for (const it of all.slice(offset, offset + limit)) results.push(project(it, q.include))
  }
  const range: Record<string, unknown> = { start_pos: offset, end_pos: offset + results.length, total: results.length }
  if (q.limit !== undefined) range.limit = q.limit
  return { results, range }
}
