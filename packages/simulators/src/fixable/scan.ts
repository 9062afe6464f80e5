import { advisoriesFor, type CatalogEcosystem } from './catalog.ts'

/**
 * What a scanner finds in a repository's files: each installed package version of the catalog that an advisory
 * affects, with the manifest that declares it and whether it is a direct dependency. The scanner simulators' datasets
 * derive their reports from the files of the default branch, so merging a fix pull request changes what they report
 * next (the npm lockfile, requirements.txt pins, pom.xml versions with properties and dependencyManagement).
 */
export interface ScannedPackage {
  ecosystem: CatalogEcosystem
  name: string
  version: string
  manifest: string
  direct: boolean
  /** the direct dependency that brings a transitive one */
  via?: string
  advisories: ReturnType<typeof advisoriesFor>
}

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '')

const npmPackages = (path: string, text: string): Omit<ScannedPackage, 'advisories'>[] => {
  const lock = JSON.parse(text)
  const root = lock.packages?.[''] ?? {}
  const direct = new Set(Object.keys({ ...root.dependencies, ...root.devDependencies, ...root.optionalDependencies }))
  const out: Omit<ScannedPackage, 'advisories'>[] = []
  for (const [key, entry] of Object.entries<any>(lock.packages ?? {})) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key)
    if (!m || typeof entry?.version !== 'string') continue
    const isDirect = direct.has(m[1]!) && key === `node_modules/${m[1]}`
    const via = isDirect
      ? undefined
      : Object.entries<any>(lock.packages)
          .find(([k, e]) => k.startsWith('node_modules/') && e.dependencies?.[m[1]!])?.[0]
          .replace(/^node_modules\//, '')
    out.push({
      ecosystem: 'npm',
      name: m[1]!,
      version: entry.version,
      manifest: isDirect ? `${dirOf(path)}package.json` : path,
      direct: isDirect,
      ...(via ? { via } : {}),
    })
  }
  return out
}

const pipPackages = (path: string, text: string): Omit<ScannedPackage, 'advisories'>[] =>
  text
    .split(/\r?\n/)
    .map((l) => /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      ecosystem: 'pypi' as const,
      name: m[1]!.toLowerCase(),
      version: m[2]!,
      manifest: path,
      direct: true,
    }))

const pomPackages = (path: string, text: string): Omit<ScannedPackage, 'advisories'>[] => {
  const xml = text.replace(/<!--[\s\S]*?-->/g, '')
  const props = new Map<string, string>()
  const propsBlock = /<properties>([\s\S]*?)<\/properties>/.exec(xml)?.[1] ?? ''
  for (const m of propsBlock.matchAll(/<([\w.-]+)>\s*([^<]*?)\s*<\/\1>/g)) props.set(m[1]!, m[2]!)
  const resolve = (v: string) => v.replace(/\$\{([^}]+)\}/g, (_, p) => props.get(p) ?? '')
  const managed = new Map<string, string>()
  const mgmt = /<dependencyManagement>([\s\S]*?)<\/dependencyManagement>/.exec(xml)?.[1] ?? ''
  const deps = (block: string) =>
    [...block.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)].map((m) => ({
      g: /<groupId>\s*([^<]+?)\s*<\/groupId>/.exec(m[1]!)?.[1] ?? '',
      a: /<artifactId>\s*([^<]+?)\s*<\/artifactId>/.exec(m[1]!)?.[1] ?? '',
      v: resolve(/<version>\s*([^<]+?)\s*<\/version>/.exec(m[1]!)?.[1] ?? ''),
    }))
  for (const d of deps(mgmt)) managed.set(`${d.g}:${d.a}`, d.v)
  const out: Omit<ScannedPackage, 'advisories'>[] = []
  for (const d of deps(xml.replace(mgmt, ''))) {
    const name = `${d.g}:${d.a}`
    out.push({ ecosystem: 'maven', name, version: managed.get(name) || d.v, manifest: path, direct: true })
  }
  // jackson-databind 2.9.x brings snakeyaml 1.26 (a transitive dependency the build resolves), unless managed
  if (out.some((p) => p.name === 'com.fasterxml.jackson.core:jackson-databind'))
    out.push({
      ecosystem: 'maven',
      name: 'org.yaml:snakeyaml',
      version: managed.get('org.yaml:snakeyaml') || '1.26',
      manifest: path,
      direct: false,
      via: 'com.fasterxml.jackson.core:jackson-databind',
    })
  return out
}

/** The vulnerable packages of a repository's files. */
export const scanFiles = (files: Map<string, string>): ScannedPackage[] => {
  const out: ScannedPackage[] = []
  for (const [path, text] of files) {
    const file = path.slice(path.lastIndexOf('/') + 1)
    let found: Omit<ScannedPackage, 'advisories'>[] = []
    try {
      if (file === 'package-lock.json') found = npmPackages(path, text)
      else if (/^requirements[^/]*\.txt$/.test(file)) found = pipPackages(path, text)
      else if (file === 'pom.xml') found = pomPackages(path, text)
    } catch {
      continue // a file the scanner cannot parse reports nothing
    }
    for (const p of found) {
      const advisories = advisoriesFor(p.ecosystem, p.name, p.version)
      if (advisories.length) out.push({ ...p, advisories })
    }
  }
  return out
}
