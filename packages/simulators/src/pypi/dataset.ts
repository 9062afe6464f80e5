import { CATALOG, type CatalogPackage } from '../fixable/catalog.ts'

/**
 * The PyPI packages of the catalog as PyPI's JSON API describes them (`GET /pypi/<name>/json`): `info` and
 * `releases`, one wheel per release, with `yanked` and `yanked_reason` (PEP 592) on yanked ones.
 */
export interface PypiDataset {
  names(): string[]
  project(name: string): Record<string, unknown> | undefined
}

/** PEP 503 normalisation: lower case, runs of `-`, `_` and `.` as one `-`. */
export const normaliseName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-')

export const createPypiDataset = (
  packages: CatalogPackage[] = CATALOG.filter((p) => p.ecosystem === 'pypi'),
): PypiDataset => {
  const byName = new Map(packages.map((p) => [normaliseName(p.name), p]))
  return {
    names: () => packages.map((p) => p.name),
    project: (name) => {
      const p = byName.get(normaliseName(name))
      if (!p) return undefined
      const releases: Record<string, unknown[]> = {}
      p.versions.forEach((v, k) => {
        const at = new Date(Date.UTC(2020, 0, 1) + k * 86_400_000 * 45).toISOString()
        releases[v.version] = [
          {
            filename: `${p.name.replace(/-/g, '_')}-${v.version}-py3-none-any.whl`,
            packagetype: 'bdist_wheel',
            python_version: 'py3',
            requires_python: '>=3.8',
            upload_time_iso_8601: at,
            url: `https://files.example.invalid/${p.name}-${v.version}-py3-none-any.whl`,
            yanked: v.yanked === true,
            yanked_reason: v.yanked ? 'Yanked: a regression was found in this release' : null,
          },
        ]
      })
      const latest = [...p.versions].reverse().find((v) => !v.yanked && !/[a-z]/i.test(v.version))
      return {
        info: {
          name: p.name,
          version: latest?.version ?? p.versions.at(-1)!.version,
          summary: `${p.name} (simulated)`,
        },
        releases,
        urls: [],
      }
    },
  }
}
