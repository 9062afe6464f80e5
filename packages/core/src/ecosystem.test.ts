import { describe, expect, it } from 'vitest'
import { canonicalPackage, distributionOf, formatPackagePurl, purlTypeOf, purlTypeOfManifest } from './ecosystem.ts'
import { formatPurl, packageKey } from './purl.ts'

describe('the one ecosystem table', () => {
  it('answers every scanner word for one ecosystem with one purl type', () => {
    for (const word of ['maven', 'mvn', 'gav', 'Gradle', 'ECOSYSTEM_MAVEN', 'java'])
      expect(purlTypeOf(word)).toBe('maven')
    for (const word of ['go', 'golang', 'gomod', 'ECOSYSTEM_GO']) expect(purlTypeOf(word)).toBe('golang')
    for (const word of ['docker', 'oci', 'container', 'ECOSYSTEM_CONTAINER']) expect(purlTypeOf(word)).toBe('docker')
    expect(purlTypeOf('something-new')).toBeUndefined()
    expect(purlTypeOf('constructor')).toBeUndefined()
    expect(purlTypeOf(undefined)).toBeUndefined()
  })

  it('reads the ecosystem of a manifest path and the package type of an image OS', () => {
    expect(purlTypeOfManifest('app/pom.xml')).toBe('maven')
    expect(purlTypeOfManifest('web/yarn.lock')).toBe('npm')
    expect(purlTypeOfManifest('README.md')).toBeUndefined()
    expect(distributionOf('debian 12.2')).toEqual({ type: 'deb', namespace: 'debian', distro: 'debian-12.2' })
    expect(distributionOf('alpine')).toEqual({ type: 'apk', namespace: 'alpine' })
    expect(distributionOf('plan9')).toBeUndefined()
  })

  it('splits full names per type: maven group:artifact, npm scopes, paths', () => {
    expect(formatPackagePurl('mvn', 'org.slf4j:slf4j-api', '2.0.0')).toBe('pkg:maven/org.slf4j/slf4j-api@2.0.0')
    expect(formatPackagePurl('npm', '@babel/core', '7.8.4')).toBe('pkg:npm/%40babel/core@7.8.4')
    expect(formatPackagePurl('go', 'golang.org/x/net', 'v0.17.0')).toBe('pkg:golang/golang.org/x/net@v0.17.0')
    expect(formatPackagePurl('oci', 'library/nginx', '1.25')).toBe('pkg:docker/library/nginx@1.25')
  })

  it('gives OS packages one namespace rule: deb and apk default to debian and alpine, rpm keeps its vendor as distro', () => {
    expect(formatPackagePurl('deb', 'openssl', '3.0.11')).toBe('pkg:deb/debian/openssl@3.0.11')
    expect(formatPackagePurl('apk', 'busybox')).toBe('pkg:apk/alpine/busybox')
    expect(formatPurl(canonicalPackage({ type: 'rpm', namespace: 'centos', name: 'curl', version: '7.29.0' }))).toBe(
      'pkg:rpm/curl@7.29.0?distro=centos',
    )
    expect(packageKey(formatPackagePurl('rpm', 'curl', '7.29.0', { namespace: 'rhel' }))).toBe('pkg:rpm/curl')
  })
})
