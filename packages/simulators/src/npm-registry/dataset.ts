import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { CATALOG, type CatalogPackage } from '../fixable/catalog.ts'

/**
 * The npm packages of the catalog as a registry serves them: one packument per package (versions with their
 * dependencies, `dist.tarball`/`shasum`/`integrity`, deprecation messages, `dist-tags`, `time`) and one real gzipped
 * tarball per version (`package/package.json` and `package/index.js`), built deterministically so its integrity is
 * the same on every start.
 */

/** A ustar header of 512 bytes for a regular file. */
const tarHeader = (name: string, size: number): Buffer => {
  const h = Buffer.alloc(512, 0)
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'ascii')
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0')
  put(name, 0, 100)
  put(octal(0o644, 8), 100, 8)
  put(octal(0, 8), 108, 8)
  put(octal(0, 8), 116, 8)
  put(octal(size, 12), 124, 12)
  // 1985-10-26, npm's own fixed mtime for packed files
  put(octal(499162500, 12), 136, 12)
  put('        ', 148, 8)
  put('0', 156, 1)
  put('ustar\u000000', 257, 8)
  let sum = 0
  for (const b of h) sum += b
  put(`${octal(sum, 7)}\u0000`, 148, 8)
  return h
}

/** A gzipped tar of the files (paths under `package/`). */
export const tarball = (files: Record<string, string>): Buffer => {
  const parts: Buffer[] = []
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text, 'utf8')
    parts.push(tarHeader(`package/${name}`, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512, 0))
  }
  parts.push(Buffer.alloc(1024, 0))
  return gzipSync(Buffer.concat(parts), { level: 9 })
}

export interface NpmVersionDoc {
  name: string
  version: string
  dependencies?: Record<string, string>
  deprecated?: string
  dist: { tarball: string; shasum: string; integrity: string }
}

export interface NpmDataset {
  names(): string[]
  /** the packument, with tarball URLs on `registryUrl` */
  packument(name: string, registryUrl: string): Record<string, unknown> | undefined
  /** the tarball of `<name>-<version>.tgz` */
  tarball(name: string, file: string): Buffer | undefined
  /** the `dist` of one version (for lockfiles written by tests and datasets) */
  dist(name: string, version: string, registryUrl: string): NpmVersionDoc['dist'] | undefined
}

const base = (name: string) => name.slice(name.lastIndexOf('/') + 1)

export const createNpmDataset = (
  packages: CatalogPackage[] = CATALOG.filter((p) => p.ecosystem === 'npm'),
): NpmDataset => {
  const byName = new Map(packages.map((p) => [p.name, p]))
  const built = new Map<string, Buffer>()
  const tgz = (p: CatalogPackage, version: string): Buffer => {
    const key = `${p.name}@${version}`
    let t = built.get(key)
    if (!t) {
      const v = p.versions.find((x) => x.version === version)!
      const manifest = {
        name: p.name,
        version,
        description: `${p.name} ${version} (vulnsync registry simulator)`,
        main: 'index.js',
        license: 'MIT',
        ...(v.dependencies ? { dependencies: v.dependencies } : {}),
      }
      t = tarball({
        'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
        'index.js': `module.exports = ${JSON.stringify(`${p.name}@${version}`)}\n`,
      })
      built.set(key, t)
    }
    return t
  }
  const dist = (p: CatalogPackage, version: string, registryUrl: string) => {
    const t = tgz(p, version)
    return {
      tarball: `${registryUrl.replace(/\/+$/, '')}/${p.name}/-/${base(p.name)}-${version}.tgz`,
      shasum: createHash('sha1').update(t).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(t).digest('base64')}`,
    }
  }
  return {
    names: () => [...byName.keys()],
    packument: (name, registryUrl) => {
      const p = byName.get(name)
      if (!p) return undefined
      const versions: Record<string, NpmVersionDoc> = {}
      const time: Record<string, string> = { created: '2019-01-01T00:00:00.000Z' }
      p.versions.forEach((v, k) => {
        versions[v.version] = {
          name: p.name,
          version: v.version,
          ...(v.dependencies ? { dependencies: v.dependencies } : {}),
          ...(v.deprecated ? { deprecated: v.deprecated } : {}),
          dist: dist(p, v.version, registryUrl),
        }
        time[v.version] = new Date(Date.UTC(2019, 0, 1) + k * 86_400_000 * 30).toISOString()
      })
      const releases = p.versions.filter((v) => !/-/.test(v.version)).map((v) => v.version)
      return {
        _id: p.name,
        name: p.name,
        'dist-tags': { latest: releases.at(-1) ?? p.versions.at(-1)!.version },
        versions,
        time,
      }
    },
    tarball: (name, file) => {
      const p = byName.get(name)
      const m = new RegExp(`^${base(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(.+)\\.tgz$`).exec(file)
      if (!p || !m || !p.versions.some((v) => v.version === m[1])) return undefined
      return tgz(p, m[1]!)
    },
    dist: (name, version, registryUrl) => {
      const p = byName.get(name)
      return p?.versions.some((v) => v.version === version) ? dist(p, version, registryUrl) : undefined
    },
  }
}
