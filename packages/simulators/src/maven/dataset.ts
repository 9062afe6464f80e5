import { CATALOG, type CatalogPackage } from '../fixable/catalog.ts'

/**
 * The Maven artifacts of the catalog as a Maven repository lists them: `<group path>/<artifact>/maven-metadata.xml`
 * with `versioning/latest`, `release`, `versions/version` (in deployment order) and `lastUpdated`.
 */
export interface MavenDataset {
  coordinates(): string[]
  /** the metadata XML of `group:artifact`, or undefined */
  metadata(group: string, artifact: string): string | undefined
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export const createMavenDataset = (
  packages: CatalogPackage[] = CATALOG.filter((p) => p.ecosystem === 'maven'),
): MavenDataset => {
  const byCoordinate = new Map(packages.map((p) => [p.name, p]))
  return {
    coordinates: () => [...byCoordinate.keys()],
    metadata: (group, artifact) => {
      const p = byCoordinate.get(`${group}:${artifact}`)
      if (!p) return undefined
      const versions = p.versions.map((v) => v.version)
      const release = [...versions].reverse().find((v) => !/(alpha|beta|rc|snapshot|-m\d)/i.test(v)) ?? versions.at(-1)!
      return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<metadata>',
        `  <groupId>${xml(group)}</groupId>`,
        `  <artifactId>${xml(artifact)}</artifactId>`,
        '  <versioning>',
        `    <latest>${xml(versions.at(-1)!)}</latest>`,
        `    <release>${xml(release)}</release>`,
        '    <versions>',
        ...versions.map((v) => `      <version>${xml(v)}</version>`),
        '    </versions>',
        '    <lastUpdated>20240101120000</lastUpdated>',
        '  </versioning>',
        '</metadata>',
        '',
      ].join('\n')
    },
  }
}
