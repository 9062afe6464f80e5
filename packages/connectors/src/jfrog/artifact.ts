/**
 * An artifact without its version, and the version: what a registry that keeps fifty versions of a library has
 * once, not fifty times. An image is its repository name without the tag (the tag is the version). Derived from
 * Artifactory's standard layouts per package type; a path whose version cannot be told stays whole (no version).
 */
export interface ArtifactIdentity {
  /** repository-relative name without the version: `org/acme/lib`, `pkg-000010`, `@scope/name`, `app/web` */
  artifact: string
  /** the version or tag, when the layout carries one */
  version?: string | undefined
}

const VERSION = /^v?\d+(?:[._]\d+)*(?:[-+~._][0-9A-Za-z.+~-]+)?$/
const looksLikeVersion = (s: string) => VERSION.test(s) && /\d/.test(s)
const stripExt = (name: string) =>
  name.replace(
    /\.(tar\.gz|tar\.bz2|tar\.xz|tgz|jar|war|ear|aar|pom|zip|whl|egg|gem|nupkg|rpm|deb|apk|crate|mod|info|gz)$/i,
    '',
  )

/** `name-1.2.3` (or `name_1.2.3`, `name.1.2.3` for NuGet) split at the first separator followed by a version. */
const splitFileName = (base: string): { name: string; version: string } | null => {
  const parts = base.split(/([-_.])/)
  for (let i = 1; i < parts.length - 1; i += 2) {
    const name = parts.slice(0, i).join('')
    const version = parts.slice(i + 1).join('')
    if (name && /^v?\d/.test(version) && looksLikeVersion(version.split(/[-_](?=[a-z]{3,})/i)[0] ?? version))
      return { name, version }
  }
  return null
}

/**
 * The identity of a file in a repository of `packageType` (Artifactory's type: Npm, Maven, Gradle, Pypi, Go, NuGet,
 * Docker, Generic …): `path` is the folder, `name` the file. For Docker pass the tag folder as `path` (`image/tag`).
 */
export const artifactIdentity = (packageType: string, path: string, name: string): ArtifactIdentity => {
  const type = packageType.toLowerCase()
  const folder = path === '.' ? '' : path.replace(/\/+$/, '')
  const segs = folder.split('/').filter(Boolean)
  const whole = { artifact: folder ? `${folder}/${name}` : name }
  switch (type) {
    case 'docker':
    case 'oci': {
      // `image/tag` (the manifest's folder): the image is the path without its last segment
      if (segs.length < 2) return { artifact: folder || name }
      return { artifact: segs.slice(0, -1).join('/'), version: segs.at(-1) }
    }
    case 'npm': {
      // `name/-/name-1.2.3.tgz`, `@scope/name/-/name-1.2.3.tgz`
      if (segs.at(-1) !== '-' || segs.length < 2) break
      const artifact = segs.slice(0, -1).join('/')
      const base = artifact.split('/').pop()!
      const stem = stripExt(name)
      if (stem.startsWith(`${base}-`)) return { artifact, version: stem.slice(base.length + 1) }
      return { artifact }
    }
    case 'maven':
    case 'gradle':
    case 'ivy':
    case 'sbt':
    case 'pypi':
    case 'composer': {
      // `group/…/artifact/1.2.3/artifact-1.2.3.jar`, `name/1.2.3/name-1.2.3.whl`
      const last = segs.at(-1)
      if (segs.length >= 2 && last && looksLikeVersion(last))
        return { artifact: segs.slice(0, -1).join('/'), version: last }
      break
    }
    case 'go': {
      // `github.com/acme/mod/@v/v1.2.3.zip`
      const at = segs.lastIndexOf('@v')
      if (at > 0) return { artifact: segs.slice(0, at).join('/'), version: stripExt(name) }
      break
    }
  }
  // a version folder anywhere at the end, or a version in the file name
  const last = segs.at(-1)
  if (last && looksLikeVersion(last))
    return { artifact: [...segs.slice(0, -1), stripExt(name).replace(`-${last}`, '')].join('/'), version: last }
  const split = splitFileName(stripExt(name))
  if (split) return { artifact: folder ? `${folder}/${split.name}` : split.name, version: split.version }
  return whole
}
