import { isSkip, type MappedFinding, packageKey } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { endorPackage } from './endor/map.ts'
import { parseComponentId } from './jfrog/map.ts'
import { mapOxIssue } from './ox/map.ts'
import { OxIssue } from './ox/raw.ts'

/** The purl OX gives a package, through its own map: an SCA issue, or a container issue on an image of `os`. */
const oxPurl = (pkg: { manager: string; name: string; version: string; os?: string }): string => {
  const container = pkg.os !== undefined
  const issue = OxIssue.parse({
    issueId: `ox-${pkg.name}`,
    category: container ? { name: 'Container Security' } : { name: 'Open Source Security' },
    app: { id: '1', name: 'acme/api', type: 'GitHub' },
    scaTriggerPkg: `${pkg.name}@${pkg.version}`,
    sbom: { packageManager: pkg.manager, pkgName: pkg.name },
    scaVulnerabilities: [{ cve: 'CVE-2024-0001', libName: pkg.name, libVersion: pkg.version }],
    aggregations: container ? { items: [{ image: 'ghcr.io/acme/api:1.0', os: pkg.os }] } : undefined,
  })
  const r = mapOxIssue({
    issue,
    app: { appId: '1', link: 'https://github.com/acme/api' },
    uiBase: 'https://app.ox.security',
  })
  if (isSkip(r)) throw new Error(`skipped: ${r.skip} ${r.detail}`)
  return (r as MappedFinding[])[0]!.package.purl
}
const endorPurl = (name: string): string => endorPackage({ target_dependency_package_name: name } as any)!.purl
const xrayPurl = (id: string): string => parseComponentId(id)!.purl

describe('one package identity whichever scanner reports it', () => {
  it.each([
    [
      'an npm scoped package',
      oxPurl({ manager: 'npm', name: '@babel/traverse', version: '7.21.2' }),
      endorPurl('npm://@babel/traverse@7.21.2'),
      xrayPurl('npm://@babel/traverse:7.21.2'),
    ],
    [
      'a Maven artifact',
      oxPurl({ manager: 'maven', name: 'org.springframework:spring-web', version: '5.3.19' }),
      endorPurl('mvn://org.springframework:spring-web@5.3.19'),
      xrayPurl('gav://org.springframework:spring-web:5.3.19'),
    ],
    [
      'a Go module',
      oxPurl({ manager: 'go', name: 'golang.org/x/net', version: 'v0.17.0' }),
      endorPurl('go://golang.org/x/net@v0.17.0'),
      xrayPurl('go://golang.org/x/net:v0.17.0'),
    ],
    [
      'a Debian package of an image',
      oxPurl({ manager: 'deb', name: 'openssl', version: '3.0.11-1~deb12u1', os: 'debian 12.2' }),
      endorPurl('debian://openssl@3.0.11-1~deb12u1'),
      xrayPurl('deb://debian:bookworm:openssl:3.0.11-1~deb12u1'),
    ],
    [
      'an Alpine package of an image',
      oxPurl({ manager: 'apk', name: 'busybox', version: '1.36.1-r2', os: 'alpine 3.18' }),
      endorPurl('apk://busybox@1.36.1-r2'),
      xrayPurl('alpine://3.18:busybox:1.36.1-r2'),
    ],
    [
      'a Red Hat package of an image',
      oxPurl({ manager: 'rpm', name: 'openssl-libs', version: '1.0.2k-25.el7_9', os: 'centos 7' }),
      endorPurl('rpm://openssl-libs@1.0.2k-25.el7_9'),
      xrayPurl('rpm://7:openssl-libs:1.0.2k-25.el7_9'),
    ],
  ])('%s has one versionless purl for OX, Endor Labs and JFrog Xray', (_, ox, endor, xray) => {
    expect(packageKey(endor)).toBe(packageKey(ox))
    expect(packageKey(xray)).toBe(packageKey(ox))
  })

  it('names a container image docker for Endor Labs (container) and JFrog Xray (docker, oci)', () => {
    const key = packageKey(xrayPurl('docker://acme/api:1.2.3'))
    expect(key).toBe('pkg:docker/acme/api')
    expect(packageKey(endorPurl('container://acme/api@1.2.3'))).toBe(key)
    expect(packageKey(xrayPurl('oci://acme/api:1.2.3'))).toBe(key)
  })
})
