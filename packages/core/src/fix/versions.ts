import * as pep440 from '@renovatebot/pep440'
import semver from 'semver'
import { compareMaven, isMavenPrerelease, isMavenVersion, mavenRelease } from './maven-version.ts'

/**
 * How one ecosystem orders its versions: npm with `semver` (the parser npm itself uses), PyPI with PEP 440
 * (`@renovatebot/pep440`), Maven with its version order specification (maven-version.ts, ADR 0006).
 */
export interface VersionScheme {
  ecosystem: FixEcosystem
  /** how the scheme is named in a plan's explanation */
  name: string
  valid(v: string): boolean
  /** negative, zero or positive; only for valid versions */
  compare(a: string, b: string): number
  isPrerelease(v: string): boolean
  /** the numeric release parts: [major, minor, patch, …] */
  release(v: string): number[]
}

export const FIX_ECOSYSTEMS = ['npm', 'pypi', 'maven'] as const
export type FixEcosystem = (typeof FIX_ECOSYSTEMS)[number]

const npm: VersionScheme = {
  ecosystem: 'npm',
  name: 'npm semver',
  valid: (v) => semver.valid(v, { loose: true }) !== null,
  compare: (a, b) => semver.compare(a, b, { loose: true }),
  isPrerelease: (v) => (semver.prerelease(v, { loose: true })?.length ?? 0) > 0,
  release: (v) => {
    const p = semver.parse(v, { loose: true })
    return p ? [p.major, p.minor, p.patch] : []
  },
}

const pypi: VersionScheme = {
  ecosystem: 'pypi',
  name: 'PEP 440',
  valid: (v) => pep440.valid(v) !== null,
  compare: (a, b) => pep440.compare(a, b),
  // dev releases are pre-releases too (PEP 440: "pre-releases … and development releases")
  isPrerelease: (v) => pep440.explain(v)?.is_prerelease === true,
  release: (v) => pep440.explain(v)?.release ?? [],
}

const maven: VersionScheme = {
  ecosystem: 'maven',
  name: 'Maven version order',
  valid: isMavenVersion,
  compare: compareMaven,
  isPrerelease: isMavenPrerelease,
  release: mavenRelease,
}

const SCHEMES: Record<FixEcosystem, VersionScheme> = { npm, pypi, maven }

export const isFixEcosystem = (e: string): e is FixEcosystem => (FIX_ECOSYSTEMS as readonly string[]).includes(e)

/** The version scheme of an ecosystem (a purl type), or undefined when vulnsync cannot plan upgrades there. */
export const versionScheme = (ecosystem: string): VersionScheme | undefined =>
  isFixEcosystem(ecosystem) ? SCHEMES[ecosystem] : undefined

/**
 * The release line a breaking upgrade leaves: the major version, or `0.minor` below 1.0 (where, by semver and by
 * npm's caret, every minor may break).
 */
export const releaseLine = (s: VersionScheme, v: string): string => {
  const [major = 0, minor = 0] = s.release(v)
  return major === 0 ? `0.${minor}` : String(major)
}
