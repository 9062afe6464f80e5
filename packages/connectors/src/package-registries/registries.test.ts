import { startMavenSimulator } from '@vulnsync/simulators/maven/index.ts'
import { startNpmRegistrySimulator } from '@vulnsync/simulators/npm-registry/index.ts'
import { startPypiSimulator } from '@vulnsync/simulators/pypi/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPackageRegistries, type RegistryUrls } from './index.ts'

const sims: { close(): Promise<void> }[] = []
let urls: RegistryUrls
beforeAll(async () => {
  const [npm, pypi, maven] = await Promise.all([
    startNpmRegistrySimulator(),
    startPypiSimulator(),
    startMavenSimulator(),
  ])
  sims.push(npm, pypi, maven)
  urls = { npm: npm.url, pypi: pypi.url, maven: maven.url }
})
afterAll(() => Promise.all(sims.map((s) => s.close())))

describe('package registries (against their simulators)', () => {
  it('lists npm versions with deprecations', async () => {
    const r = createPackageRegistries({ urls, allowPrivateNetworks: true })
    const a = await r.versions('npm', 'lodash')
    expect(a.available?.map((v) => v.version)).toContain('4.17.21')
    expect(a.available?.find((v) => v.version === '4.17.16')?.deprecated).toMatch(/broken/)
  })

  it('lists PyPI releases with yanked ones marked', async () => {
    const a = await createPackageRegistries({ urls, allowPrivateNetworks: true }).versions('pypi', 'requests')
    expect(a.available?.find((v) => v.version === '2.32.0')?.yanked).toBe(true)
    expect(a.available?.find((v) => v.version === '2.32.2')?.yanked).toBe(false)
  })

  it('lists Maven versions from maven-metadata.xml', async () => {
    const a = await createPackageRegistries({ urls, allowPrivateNetworks: true }).versions(
      'maven',
      'org.apache.logging.log4j:log4j-core',
    )
    expect(a.available?.map((v) => v.version)).toEqual([
      '2.14.1',
      '2.15.0',
      '2.16.0',
      '2.17.0',
      '2.17.1',
      '2.18.0',
      '3.0.0-beta1',
    ])
  })

  it('answers null with the reason when a package is unknown, the registry off or refused by the SSRF guard', async () => {
    expect(await createPackageRegistries({ urls, allowPrivateNetworks: true }).versions('npm', 'left-pad')).toEqual({
      available: null,
      note: expect.stringMatching(/left-pad is not on the npm registry/),
    })
    expect(
      await createPackageRegistries({ urls: { ...urls, npm: null }, allowPrivateNetworks: true }).versions('npm', 'x'),
    ).toEqual({ available: null, note: 'no npm registry is configured' })
    const guarded = await createPackageRegistries({ urls, allowPrivateNetworks: false }).versions('npm', 'lodash')
    expect(guarded.available).toBeNull()
    expect(guarded.note).toMatch(/could not be read/)
  })
})
