import type { AdvisoryEvidence, AffectedRange } from './advisory.ts'
import { type AvailableVersion, chooseFixVersion, type Remaining, type VersionChoice } from './choose.ts'
import { versionScheme } from './versions.ts'

/** How a fix is applied: bump the dependency where it is declared, force it through the ecosystem's override, or by hand. */
export type FixStrategy = 'direct' | 'override' | 'manual'

/** A manifest vulnsync edits faithfully, by ecosystem. */
export type ManifestKind = 'package.json' | 'pom.xml' | 'requirements.txt'

/** One source's occurrence of an issue, as planning needs it. */
export interface FixOccurrence {
  issueId: string
  cve: string
  /** the source, as the explanation names it */
  source: string
  targetKey: string
  packageKey: string
  packagePurl: string
  packageName: string
  ecosystem: string
  installedVersion: string | null
  manifestPath: string | null
  fixedVersions: string[]
  affectedRanges: AffectedRange[] | null
  /** what the source says: a direct dependency, a transitive one, or unknown */
  direct: boolean | undefined
}

export interface FixPlan {
  targetKey: string
  package: { purl: string; key: string; name: string; ecosystem: string }
  manifest: { path: string; kind: ManifestKind | null } | null
  installedVersion: string | null
  fixVersion: string | null
  fixes: string[]
  remaining: Remaining[]
  majorBump: boolean
  strategy: FixStrategy
  versionSource: VersionChoice['versionSource']
  /** for a manual plan: what a developer should run */
  command: string | null
  explanation: string
  issueIds: string[]
}

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')
const join = (dir: string, file: string) => (dir ? `${dir}/${file}` : file)

/**
 * The manifest a path names, as vulnsync edits it: an npm lockfile stands for the package.json beside it (the
 * lockfile is regenerated from it), `requirements*.txt` and `pom.xml` are themselves. Other manifests (yarn.lock,
 * build.gradle, Pipfile, pyproject.toml …) are kept with no kind: they get a manual plan.
 */
export const manifestOf = (ecosystem: string, path: string): { path: string; kind: ManifestKind | null } => {
  const p = path.replace(/^\.?\/+/, '').replace(/\s+line:?\s*\d+$/i, '')
  const file = p.slice(p.lastIndexOf('/') + 1)
  if (ecosystem === 'npm' && /^(package\.json|package-lock\.json|npm-shrinkwrap\.json)$/i.test(file))
    return { path: join(dirOf(p), 'package.json'), kind: 'package.json' }
  if (ecosystem === 'maven' && /^pom\.xml$/i.test(file)) return { path: p, kind: 'pom.xml' }
  if (ecosystem === 'pypi' && /^requirements[^/]*\.txt$/i.test(file)) return { path: p, kind: 'requirements.txt' }
  return { path: p, kind: null }
}

/** The command a developer runs to apply an upgrade by hand, in the manifest's own tool. */
export const manualCommand = (
  ecosystem: string,
  manifest: string | null,
  name: string,
  version: string | null,
  direct: boolean | undefined,
): string | null => {
  if (!version) return null
  const file = manifest?.slice(manifest.lastIndexOf('/') + 1).toLowerCase() ?? ''
  const dir = manifest ? dirOf(manifest) : ''
  const cd = dir ? `cd ${dir} && ` : ''
  if (ecosystem === 'npm') {
    if (file === 'yarn.lock') return `${cd}yarn up ${name}@${version}`
    if (file === 'pnpm-lock.yaml')
      return direct === false ? `${cd}pnpm update --recursive ${name}@${version}` : `${cd}pnpm add ${name}@${version}`
    return direct === false
      ? `${cd}npm pkg set overrides.${name}=${version} && npm install`
      : `${cd}npm install ${name}@${version}`
  }
  if (ecosystem === 'pypi') {
    if (file === 'poetry.lock' || file === 'pyproject.toml') return `${cd}poetry add ${name}@^${version}`
    if (file.startsWith('pipfile')) return `${cd}pipenv install ${name}==${version}`
    return `${cd}pip install '${name}==${version}' (and pin ${name}==${version} where it is declared)`
  }
  if (ecosystem === 'maven') {
    const ga = name.includes(':') ? name : name.replace('/', ':')
    if (file.startsWith('build.gradle') || file === 'gradle.lockfile')
      return `set ${ga}:${version} in ${manifest ?? 'build.gradle'} (for a transitive dependency, a dependency constraint)`
    return `${cd}mvn versions:use-dep-version -Dincludes=${ga} -DdepVersion=${version} -DforceVersion=true`
  }
  return null
}

/** The plan of one (target, package, manifest): the version choice, the strategy and what a developer would run. */
export const planPackageFix = (
  occurrences: FixOccurrence[],
  manifest: { path: string; kind: ManifestKind | null } | null,
  available: AvailableVersion[] | null,
  registryNote?: string,
  /** advisories of the package reported on other targets: the fix version must be free of them too */
  known: AdvisoryEvidence[] = [],
): FixPlan => {
  const first = occurrences[0]!
  const s = versionScheme(first.ecosystem)
  const versions = [...new Set(occurrences.map((o) => o.installedVersion).filter((v): v is string => !!v))]
  const valid = s ? versions.filter((v) => s.valid(v)).sort(s.compare) : versions
  // several installed versions (a package twice in a lockfile): the lowest decides, every one must be left
  const installed = valid[0] ?? versions[0] ?? null
  const choice = chooseFixVersion({
    ecosystem: first.ecosystem,
    installedVersion: installed,
    advisories: occurrences
      .map(
        (o): AdvisoryEvidence => ({
          cve: o.cve,
          source: o.source,
          fixedVersions: o.fixedVersions,
          affectedRanges: o.affectedRanges ?? undefined,
        }),
      )
      .concat(known.filter((k) => !occurrences.some((o) => o.cve === k.cve)).map((k) => ({ ...k, reported: false }))),
    available,
    registryNote,
  })
  const direct = occurrences.some((o) => o.direct === true)
    ? true
    : occurrences.some((o) => o.direct === false)
      ? false
      : undefined
  const notes: string[] = []
  if (valid.length > 1) notes.push(`Installed versions seen: ${valid.join(', ')}; the plan starts from the lowest.`)
  let strategy: FixStrategy
  if (!choice.fixVersion) strategy = 'manual'
  else if (!manifest) {
    strategy = 'manual'
    notes.push(
      `No source names the manifest that declares ${first.packageName}: upgrade it where it is declared, or fix the scanners' manifest evidence.`,
    )
  } else if (!manifest.kind) {
    strategy = 'manual'
    notes.push(
      `vulnsync edits package.json (with package-lock.json), pom.xml and requirements*.txt; ${manifest.path} is changed by hand.`,
    )
  } else {
    strategy = direct === false ? 'override' : 'direct'
    notes.push(
      strategy === 'override'
        ? `${first.packageName} is a transitive dependency: the upgrade is forced through ${manifest.kind === 'package.json' ? 'npm `overrides`' : manifest.kind === 'pom.xml' ? '`dependencyManagement`' : 'a pip constraints file'} in ${manifest.path}.`
        : `${first.packageName} is bumped where ${manifest.path} declares it${direct === undefined ? ' (the scanners do not say whether it is direct; a dependency the manifest does not declare is overridden instead)' : ''}.`,
    )
  }
  const command =
    strategy === 'manual'
      ? manualCommand(first.ecosystem, manifest?.path ?? null, first.packageName, choice.fixVersion, direct)
      : null
  if (command) notes.push(`Run: ${command}`)
  return {
    targetKey: first.targetKey,
    package: { purl: first.packagePurl, key: first.packageKey, name: first.packageName, ecosystem: first.ecosystem },
    manifest,
    installedVersion: installed,
    fixVersion: choice.fixVersion,
    fixes: choice.fixes,
    remaining: choice.remaining,
    majorBump: choice.majorBump,
    strategy,
    versionSource: choice.versionSource,
    command,
    explanation: [choice.explanation, ...notes].join(' '),
    issueIds: [...new Set(occurrences.filter((o) => choice.fixes.includes(o.cve)).map((o) => o.issueId))].sort(
      (a, b) => Number(a) - Number(b),
    ),
  }
}

/**
 * Groups occurrences into (target, package, manifest): the manifests the sources name (an npm lockfile stands for its
 * package.json); occurrences whose source names none go with every manifest of the package, or alone when none is known.
 */
export const groupForPlans = (
  occurrences: FixOccurrence[],
): { occurrences: FixOccurrence[]; manifest: { path: string; kind: ManifestKind | null } | null }[] => {
  const byPackage = new Map<string, FixOccurrence[]>()
  for (const o of occurrences) {
    const k = `${o.targetKey}\u0000${o.packageKey}`
    byPackage.set(k, [...(byPackage.get(k) ?? []), o])
  }
  const out: ReturnType<typeof groupForPlans> = []
  for (const group of byPackage.values()) {
    const manifests = new Map<string, { path: string; kind: ManifestKind | null }>()
    for (const o of group)
      if (o.manifestPath) {
        const m = manifestOf(o.ecosystem, o.manifestPath)
        manifests.set(m.path, m)
      }
    const loose = group.filter((o) => !o.manifestPath)
    if (manifests.size === 0) {
      out.push({ occurrences: group, manifest: null })
      continue
    }
    for (const m of [...manifests.values()].sort((a, b) => (a.path < b.path ? -1 : 1)))
      out.push({
        manifest: m,
        occurrences: [
          ...group.filter((o) => o.manifestPath && manifestOf(o.ecosystem, o.manifestPath).path === m.path),
          ...loose,
        ],
      })
  }
  return out
}
