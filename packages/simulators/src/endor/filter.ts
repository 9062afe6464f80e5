/**
 * The subset of Endor's list filter grammar (endor.md §4.2) the simulator understands:
 *   path op value   with op one of == != < <= > >= contains, not contains, in, not in, matches
 *   path exists | path not exists
 *   (a) and (b) or c        values: "quoted", 'quoted', bare words, [lists], date(...), now(-72h)
 * Keywords are case-insensitive. Lists are traversed implicitly (spec.finding_tags contains X tests any element).
 * A path the kind does not know → FilterError("invalid path 'x'"), answered as HTTP 400 code 3 like Endor.
 */
export class FilterError extends Error {}

type Tok = { t: 'lp' | 'rp' | 'lb' | 'rb' | 'comma' | 'op' | 'str' | 'word'; v: string }

const tokenize = (src: string): Tok[] => {
  const out: Tok[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '(') out.push({ t: 'lp', v: c })
    else if (c === ')') out.push({ t: 'rp', v: c })
    else if (c === '[') out.push({ t: 'lb', v: c })
    else if (c === ']') out.push({ t: 'rb', v: c })
    else if (c === ',') out.push({ t: 'comma', v: c })
    else if (c === '"' || c === "'") {
      let j = i + 1
      let s = ''
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++
        s += src[j]
        j++
      }
      if (j >= src.length) throw new FilterError(`unterminated string in filter at ${i}`)
      out.push({ t: 'str', v: s })
      i = j + 1
      continue
    } else if (/[=!<>]/.test(c)) {
      const two = src.slice(i, i + 2)
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
        out.push({ t: 'op', v: two })
        i += 2
        continue
      }
      if (c === '<' || c === '>') out.push({ t: 'op', v: c })
      else throw new FilterError(`unexpected '${c}' in filter at ${i}`)
    } else {
      let j = i
      while (j < src.length && !/[\s()[\],=!<>"']/.test(src[j]!)) j++
      out.push({ t: 'word', v: src.slice(i, j) })
      i = j
      continue
    }
    i++
  }
  return out
}

export type Value = { kind: 'scalar'; v: string } | { kind: 'time'; ms: number } | { kind: 'list'; items: string[] }

export type Node =
  | { type: 'and' | 'or'; left: Node; right: Node }
  | { type: 'cmp'; path: string; op: string; value?: Value }

const KEYWORDS = new Set(['and', 'or', 'not', 'contains', 'in', 'matches', 'exists'])

const parseRelative = (s: string, now: number): number => {
  const m = /^([+-]?\d+(?:\.\d+)?)([smhdw])$/.exec(s.trim())
  if (!m) throw new FilterError(`invalid now() offset '${s}'`)
  const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[2] as 's']
  return now + Number(m[1]) * unit
}

export const parseFilter = (src: string, knownPaths: ReadonlySet<string>, now = Date.now()): Node => {
  const toks = tokenize(src)
  let p = 0
  const peek = () => toks[p]
  const kw = (t: Tok | undefined, w: string) => t?.t === 'word' && t.v.toLowerCase() === w
  const expect = (t: Tok['t']) => {
    const x = toks[p++]
    if (!x || x.t !== t) throw new FilterError(`syntax error in filter near token ${p}`)
    return x
  }
  const scalar = (): Value => {
    const x = toks[p++]
    if (!x || (x.t !== 'str' && x.t !== 'word')) throw new FilterError('a value is missing in the filter')
    if (x.t === 'word' && (x.v === 'date' || x.v === 'now') && peek()?.t === 'lp') {
      p++
      let inner = ''
      while (peek() && peek()!.t !== 'rp') inner += toks[p++]!.v
      expect('rp')
      if (x.v === 'now') return { kind: 'time', ms: parseRelative(inner || '0s', now) }
      const ms = Date.parse(inner)
      if (!Number.isFinite(ms)) throw new FilterError(`invalid date '${inner}'`)
      return { kind: 'time', ms }
    }
    return { kind: 'scalar', v: x.v }
  }
  const value = (): Value => {
    if (peek()?.t === 'lb') {
      p++
      const items: string[] = []
      while (peek() && peek()!.t !== 'rb') {
        const v = scalar()
        items.push(v.kind === 'scalar' ? v.v : String(v.kind === 'time' ? v.ms : ''))
        if (peek()?.t === 'comma') p++
      }
      expect('rb')
      return { kind: 'list', items }
    }
    return scalar()
  }
  const comparison = (): Node => {
    const pathTok = toks[p++]
    if (pathTok?.t !== 'word' || KEYWORDS.has(pathTok.v.toLowerCase()))
      throw new FilterError('a field path is missing in the filter')
    const path = pathTok.v
    if (!knownPaths.has(path)) throw new FilterError(`invalid path '${path}'`)
    const t = peek()
    if (t?.t === 'op') {
      p++
      return { type: 'cmp', path, op: t.v, value: value() }
    }
    if (kw(t, 'not')) {
      p++
      const n = toks[p++]
      if (kw(n, 'contains')) return { type: 'cmp', path, op: 'not contains', value: value() }
      if (kw(n, 'in')) return { type: 'cmp', path, op: 'not in', value: value() }
      if (kw(n, 'exists')) return { type: 'cmp', path, op: 'not exists' }
      throw new FilterError(`unsupported operator 'not ${n?.v ?? ''}'`)
    }
    if (kw(t, 'contains') || kw(t, 'in') || kw(t, 'matches')) {
      p++
      return { type: 'cmp', path, op: t!.v.toLowerCase(), value: value() }
    }
    if (kw(t, 'exists')) {
      p++
      return { type: 'cmp', path, op: 'exists' }
    }
    throw new FilterError(`an operator is missing after '${path}'`)
  }
  const primary = (): Node => {
    if (peek()?.t === 'lp') {
      p++
      const e = orExpr()
      expect('rp')
      return e
    }
    return comparison()
  }
  const andExpr = (): Node => {
    let left = primary()
    while (kw(peek(), 'and')) {
      p++
      left = { type: 'and', left, right: primary() }
    }
    return left
  }
  const orExpr = (): Node => {
    let left = andExpr()
    while (kw(peek(), 'or')) {
      p++
      left = { type: 'or', left, right: andExpr() }
    }
    return left
  }
  const node = orExpr()
  if (p < toks.length) throw new FilterError(`unexpected '${toks[p]!.v}' in filter`)
  return node
}

/** Leaf values at a dot path, lists traversed implicitly. */
export const valuesAt = (obj: unknown, path: string): unknown[] => {
  let cur: unknown[] = [obj]
  for (const seg of path.split('.')) {
    const next: unknown[] = []
    for (const c of cur) {
      if (Array.isArray(c)) {
        for (const x of c) if (x && typeof x === 'object' && seg in x) next.push((x as any)[seg])
      } else if (c && typeof c === 'object' && seg in c) next.push((c as any)[seg])
    }
    cur = next
  }
  return cur.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null)
}

const eq = (leaf: unknown, v: string): boolean => {
  if (typeof leaf === 'boolean') return String(leaf) === v.toLowerCase()
  if (typeof leaf === 'number') return Number(v) === leaf
  return String(leaf) === v
}
/** proto3 zero values: an absent field equals false, 0 or "" */
const zero = (v: string) => v === '' || v === '0' || v.toLowerCase() === 'false'

const cmpOrder = (leaf: unknown, value: Value): number | null => {
  if (value.kind === 'time') {
    const t = typeof leaf === 'string' ? Date.parse(leaf) : Number.NaN
    return Number.isFinite(t) ? Math.sign(t - value.ms) : null
  }
  if (value.kind !== 'scalar') return null
  const a = Number(leaf)
  const b = Number(value.v)
  if (Number.isFinite(a) && Number.isFinite(b) && String(leaf) !== '') return Math.sign(a - b)
  const ta = typeof leaf === 'string' ? Date.parse(leaf) : Number.NaN
  const tb = Date.parse(value.v)
  if (Number.isFinite(ta) && Number.isFinite(tb)) return Math.sign(ta - tb)
  return String(leaf) < value.v ? -1 : String(leaf) > value.v ? 1 : 0
}

const items = (v: Value | undefined): string[] =>
  !v ? [] : v.kind === 'list' ? v.items : v.kind === 'scalar' ? [v.v] : [String(v.ms)]

export const evaluate = (node: Node, obj: unknown): boolean => {
  if (node.type !== 'cmp')
    return node.type === 'and'
      ? evaluate(node.left, obj) && evaluate(node.right, obj)
      : evaluate(node.left, obj) || evaluate(node.right, obj)
  const leaves = valuesAt(obj, node.path)
  switch (node.op) {
    case '==':
      return leaves.length ? leaves.some((l) => eq(l, items(node.value)[0] ?? '')) : zero(items(node.value)[0] ?? '')
    case '!=':
      return !evaluate({ type: 'cmp', path: node.path, op: '==', value: node.value }, obj)
    case 'in':
    case 'contains':
      return leaves.some((l) => items(node.value).some((v) => eq(l, v)))
    case 'not in':
    case 'not contains':
      return !leaves.some((l) => items(node.value).some((v) => eq(l, v)))
    case 'matches': {
      let src = items(node.value)[0] ?? ''
      let flags = ''
      if (src.startsWith('(?i)')) {
        src = src.slice(4)
        flags = 'i'
      }
      let re: RegExp
      try {
        re = new RegExp(src, flags)
      } catch {
        throw new FilterError(`invalid regular expression '${src}'`)
      }
      return leaves.some((l) => typeof l === 'string' && re.test(l))
    }
    case 'exists':
      return leaves.length > 0
    case 'not exists':
      return leaves.length === 0
    case '<':
    case '<=':
    case '>':
    case '>=':
      return leaves.some((l) => {
        const c = cmpOrder(l, node.value!)
        if (c === null) return false
        return node.op === '<' ? c < 0 : node.op === '<=' ? c <= 0 : node.op === '>' ? c > 0 : c >= 0
      })
    default:
      throw new FilterError(`unsupported operator '${node.op}'`)
  }
}

/** Equality tests on one path that every match must satisfy (used to skip records fast), e.g. spec.project_uuid in [...] */
export const requiredValues = (node: Node, path: string): Set<string> | null => {
  if (node.type === 'and') return requiredValues(node.left, path) ?? requiredValues(node.right, path)
  if (node.type === 'cmp' && node.path === path && (node.op === '==' || node.op === 'in'))
    return new Set(items(node.value))
  return null
}

/** every field path a filter tests */
export const pathsOfFilter = (node: Node, out = new Set<string>()): Set<string> => {
  if (node.type === 'cmp') out.add(node.path)
  else {
    pathsOfFilter(node.left, out)
    pathsOfFilter(node.right, out)
  }
  return out
}
