import { formatPurl, type Purl } from './purl.ts'

/**
 * One ecosystem table for every scanner: the words scanners use for an ecosystem (package managers and languages as
 * OX writes them, Endor's `npm://` prefixes and ECOSYSTEM_* values, Xray's component-id prefixes and package types)
 * → the purl type vulnsync stores. Keys are lower case; `ECOSYSTEM_` is stripped before the lookup.
 *
 * One answer per ecosystem, so the issue key (target, versionless purl, CVE) of a package is the same whichever
 * scanner reports it: container images are `docker` (never `oci`), see docs/adr/0003-one-package-identity.md.
 */
const PURL_TYPES: Record<string, string> = {
  // JVM
  maven: 'maven',
  mvn: 'maven',
  gav: 'maven',
  gradle: 'maven',
  sbt: 'maven',
  java: 'maven',
  kotlin: 'maven',
  scala: 'maven',
  // JavaScript
  npm: 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  javascript: 'npm',
  typescript: 'npm',
  bower: 'bower',
  // Python
  pypi: 'pypi',
  pip: 'pypi',
  python: 'pypi',
  poetry: 'pypi',
  pipenv: 'pypi',
  conda: 'conda',
  // .NET
  nuget: 'nuget',
  dotnet: 'nuget',
  '.net': 'nuget',
  'c#': 'nuget',
  // Go
  go: 'golang',
  golang: 'golang',
  gomod: 'golang',
  'go-module': 'golang',
  // Ruby
  gem: 'gem',
  gems: 'gem',
  rubygems: 'gem',
  ruby: 'gem',
  bundler: 'gem',
  // PHP
  composer: 'composer',
  packagist: 'composer',
  php: 'composer',
  // Rust
  cargo: 'cargo',
  crates: 'cargo',
  rust: 'cargo',
  // other language ecosystems
  cocoapods: 'cocoapods',
  cocoapod: 'cocoapods',
  pod: 'cocoapods',
  swift: 'swift',
  conan: 'conan',
  pub: 'pub',
  hex: 'hex',
  cran: 'cran',
  github_action: 'githubactions',
  githubaction: 'githubactions',
  githubactions: 'githubactions',
  hugging_face: 'huggingface',
  huggingface: 'huggingface',
  vscode: 'vscode-extension',
  // operating-system packages
  deb: 'deb',
  debian: 'deb',
  dpkg: 'deb',
  apk: 'apk',
  alpine: 'apk',
  rpm: 'rpm',
  // container images: one type whoever reports them
  docker: 'docker',
  oci: 'docker',
  container: 'docker',
  // no ecosystem of their own
  generic: 'generic',
  c: 'generic',
  cpp: 'generic',
  git: 'generic',
  ai_model: 'generic',
  sbom: 'generic',
}

/** The purl type of an ecosystem word (`mvn`, `ECOSYSTEM_NPM`, `Gradle`, `oci` …), or undefined for an unknown word. */
export const purlTypeOf = (word: string | null | undefined): string | undefined => {
  if (!word) return undefined
  const k = word
    .trim()
    .toLowerCase()
    .replace(/^ecosystem_/, '')
  return Object.hasOwn(PURL_TYPES, k) ? PURL_TYPES[k] : undefined
}

/** Manifests and lockfiles → the purl type of the packages they declare. */
const MANIFESTS: [RegExp, string][] = [
  [/(^|\/)(pom\.xml|build\.gradle(\.kts)?|gradle\.lockfile)$/i, 'maven'],
  [/(^|\/)(package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json)$/i, 'npm'],
  [/(^|\/)(requirements[^/]*\.txt|Pipfile(\.lock)?|poetry\.lock|setup\.py|pyproject\.toml)$/i, 'pypi'],
  [/(\.csproj|packages\.config|packages\.lock\.json)$/i, 'nuget'],
  [/(^|\/)go\.(mod|sum)$/i, 'golang'],
  [/(^|\/)Gemfile(\.lock)?$/i, 'gem'],
  [/(^|\/)composer\.(json|lock)$/i, 'composer'],
  [/(^|\/)Cargo\.(toml|lock)$/i, 'cargo'],
]

/** The purl type of the packages a manifest or lockfile path declares (`app/pom.xml` → maven), or undefined. */
export const purlTypeOfManifest = (path: string | null | undefined): string | undefined => {
  if (!path) return undefined
  for (const [re, type] of MANIFESTS) if (re.test(path)) return type
  return undefined
}

/** Linux distributions (as an image's OS names them) → the purl type of their packages. */
const DISTRIBUTIONS: Record<string, 'deb' | 'apk' | 'rpm'> = {
  debian: 'deb',
  ubuntu: 'deb',
  distroless: 'deb',
  alpine: 'apk',
  wolfi: 'apk',
  chainguard: 'apk',
  rhel: 'rpm',
  redhat: 'rpm',
  centos: 'rpm',
  amazon: 'rpm',
  amzn: 'rpm',
  rocky: 'rpm',
  almalinux: 'rpm',
  alma: 'rpm',
  fedora: 'rpm',
  ol: 'rpm',
  oracle: 'rpm',
  suse: 'rpm',
  opensuse: 'rpm',
  sles: 'rpm',
  photon: 'rpm',
  mariner: 'rpm',
}

/** `debian 11.6`, `alpine:3.17` → the purl type, namespace and `distro` qualifier of its packages. */
export const distributionOf = (
  os: string | null | undefined,
): { type: string; namespace: string; distro?: string } | undefined => {
  const t = os?.trim().toLowerCase()
  if (!t) return undefined
  const m = /([a-z]+)[\s:-]*([\d.]+)?/.exec(t)
  const name = m?.[1] ?? t
  const type = Object.hasOwn(DISTRIBUTIONS, name) ? DISTRIBUTIONS[name] : undefined
  if (!type) return undefined
  const version = m?.[2]
  return version ? { type, namespace: name, distro: `${name}-${version}` } : { type, namespace: name }
}

/** Namespace of OS packages when the scanner names no distribution (the purl spec's examples; OX and Xray agree). */
const DEFAULT_NAMESPACE: Record<string, string> = { deb: 'debian', apk: 'alpine' }

/**
 * Splits a package's full name as scanners write it into purl namespace and name: Maven `group:artifact`, npm
 * `@scope/name`, and a path (`golang.org/x/net`, `library/nginx`, `symfony/http-kernel`) for every other type.
 */
export const splitPackageName = (type: string, full: string): { namespace?: string; name: string } => {
  const slash = () => {
    const i = full.lastIndexOf('/')
    return i > 0 ? { namespace: full.slice(0, i), name: full.slice(i + 1) } : { name: full }
  }
  switch (type) {
    case 'maven': {
      const i = full.indexOf(':')
      if (i > 0) return { namespace: full.slice(0, i), name: full.slice(i + 1).split(':')[0]! }
      return slash()
    }
    case 'npm': {
      const i = full.indexOf('/')
      return full.startsWith('@') && i > 0 ? { namespace: full.slice(0, i), name: full.slice(i + 1) } : { name: full }
    }
    case 'generic':
      return { name: full }
    default:
      return slash()
  }
}

/**
 * The one identity of a package, whichever scanner reports it (ADR 0004): type aliases resolved (`oci` → `docker`),
 * deb and apk packages given their default distribution when none is named, and rpm packages without a vendor
 * namespace (Xray never names one): the vendor goes to the `distro` qualifier, which the issue key ignores.
 */
export const canonicalPackage = (p: Purl): Purl => {
  const type = purlTypeOf(p.type) ?? p.type.toLowerCase()
  let namespace = p.namespace || undefined
  let qualifiers = p.qualifiers
  if (type === 'rpm' && namespace) {
    if (!qualifiers?.distro) qualifiers = { ...qualifiers, distro: namespace }
    namespace = undefined
  }
  namespace ??= DEFAULT_NAMESPACE[type]
  return { ...p, type, namespace, qualifiers }
}

/** A package named the way scanners name it (`type`, full name, version) → its canonical purl parts. */
export const packagePurl = (
  type: string,
  fullName: string,
  version?: string | undefined,
  extra: { namespace?: string | undefined; qualifiers?: Record<string, string> | undefined } = {},
): Purl => {
  const canonicalType = purlTypeOf(type) ?? type.toLowerCase()
  const parts = extra.namespace
    ? { namespace: extra.namespace, name: fullName }
    : splitPackageName(canonicalType, fullName)
  return canonicalPackage({
    type: canonicalType,
    ...parts,
    version: version || undefined,
    qualifiers: extra.qualifiers,
  })
}

/** `packagePurl` formatted: `pkg:type/namespace/name@version?qualifiers`. */
export const formatPackagePurl = (...args: Parameters<typeof packagePurl>): string => formatPurl(packagePurl(...args))
