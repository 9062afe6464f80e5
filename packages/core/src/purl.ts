/**
 * Package URLs (https://github.com/package-url/purl-spec): parse, build, and the versionless key that identifies
 * "the same package" across scanners and version bumps.
 */
export interface Purl {
  type: string
  namespace?: string | undefined
  name: string
  version?: string | undefined
  qualifiers?: Record<string, string> | undefined
  subpath?: string | undefined
}

const enc = (s: string): string =>
  encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2B/gi, '+').replace(/%40/g, '%40')

/** Per-type normalisation from the purl spec: which parts are case-insensitive and how names are spelled. */
const normaliseParts = (p: Purl): Purl => {
  const type = p.type.toLowerCase()
  let namespace = p.namespace?.replace(/^\/+|\/+$/g, '') || undefined
  let name = p.name
  switch (type) {
    case 'npm':
      name = name.toLowerCase()
      namespace = namespace?.toLowerCase()
      break
    case 'pypi':
      name = name.toLowerCase().replace(/[-_.]+/g, '-')
      break
    case 'github':
    case 'bitbucket':
    case 'gitlab':
    case 'composer':
    case 'golang':
      if (type !== 'golang') {
        name = name.toLowerCase()
        namespace = namespace?.toLowerCase()
      }
      break
    case 'nuget':
      name = name.toLowerCase() // NuGet ids are case-insensitive
      break
    case 'deb':
    case 'apk':
    case 'rpm':
    case 'alpm':
      namespace = namespace?.toLowerCase()
      break
    default:
      break
  }
  return { ...p, type, namespace, name }
}

export const formatPurl = (input: Purl, opts: { withVersion?: boolean } = {}): string => {
  const p = normaliseParts(input)
  let out = `pkg:${p.type}/`
  if (p.namespace) out += `${p.namespace.split('/').map(enc).join('/')}/`
  out += enc(p.name)
  if (opts.withVersion !== false && p.version) out += `@${enc(p.version)}`
  if (opts.withVersion !== false && p.qualifiers && Object.keys(p.qualifiers).length > 0) {
    const q = Object.entries(p.qualifiers)
      .filter(([, v]) => v !== '')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k.toLowerCase()}=${enc(v)}`)
    if (q.length) out += `?${q.join('&')}`
  }
  if (opts.withVersion !== false && p.subpath) out += `#${p.subpath}`
  return out
}

export class PurlError extends Error {}

export const parsePurl = (purl: string): Purl => {
  let s = purl.trim()
  if (!s.toLowerCase().startsWith('pkg:')) throw new PurlError(`not a package URL: ${purl}`)
  s = s.slice(4).replace(/^\/+/, '')
  let subpath: string | undefined
  const hash = s.indexOf('#')
  if (hash >= 0) {
    subpath = s.slice(hash + 1)
    s = s.slice(0, hash)
  }
  let qualifiers: Record<string, string> | undefined
  const q = s.indexOf('?')
  if (q >= 0) {
    qualifiers = {}
    for (const pair of s.slice(q + 1).split('&')) {
      const [k, v = ''] = pair.split('=')
      if (k) qualifiers[k.toLowerCase()] = decodeURIComponent(v)
    }
    s = s.slice(0, q)
  }
  const slash = s.indexOf('/')
  if (slash <= 0) throw new PurlError(`package URL has no type: ${purl}`)
  const type = s.slice(0, slash)
  let rest = s.slice(slash + 1).replace(/\/+$/, '')
  let version: string | undefined
  const at = rest.lastIndexOf('@')
  if (at > rest.lastIndexOf('/')) {
    version = decodeURIComponent(rest.slice(at + 1))
    rest = rest.slice(0, at)
  }
  const parts = rest.split('/').map((x) => decodeURIComponent(x))
  const name = parts.pop()
  if (!name) throw new PurlError(`package URL has no name: ${purl}`)
  return normaliseParts({
    type,
    namespace: parts.length ? parts.join('/') : undefined,
    name,
    version: version || undefined,
    qualifiers,
    subpath,
  })
}

/** The dedupe key of a package: the purl without version, qualifiers or subpath, normalised per type. */
export const packageKey = (purl: string): string => formatPurl(parsePurl(purl), { withVersion: false })

/** Human name of a package: `namespace/name` for npm scopes and Maven groups (`group:artifact` for Maven). */
export const packageDisplayName = (p: Purl): string => {
  if (!p.namespace) return p.name
  return p.type === 'maven' ? `${p.namespace}:${p.name}` : `${p.namespace}/${p.name}`
}
