import { describe, expect, it } from 'vitest'
import { compareMaven, isMavenPrerelease, mavenRelease } from './maven-version.ts'

const sign = (n: number) => (n < 0 ? '<' : n > 0 ? '>' : '=')

describe("Maven's version order (the POM reference's specification and its examples)", () => {
  it.each([
    ['1', '<', '1.1'],
    ['1-snapshot', '<', '1'],
    ['1', '<', '1-sp'],
    ['1-foo2', '<', '1-foo10'],
    ['1.foo', '=', '1-foo'],
    ['1-foo', '<', '1-1'],
    ['1-1', '<', '1.1'],
    ['1.ga', '=', '1-ga'],
    ['1-ga', '=', '1-0'],
    ['1-0', '=', '1.0'],
    ['1.0', '=', '1'],
    ['1-sp', '>', '1-ga'],
    ['1-sp.1', '>', '1-ga.1'],
    ['1-sp-1', '<', '1-ga-1'],
    ['1-ga-1', '=', '1-1'],
    ['1-a1', '=', '1-alpha-1'],
    ['1.0.0-foo.0.0', '=', '1-foo'],
    ['1.0.0-0.0.0', '=', '1'],
    // what real artifacts look like
    ['1.0-alpha1', '<', '1.0-beta1'],
    ['1.0-beta3', '<', '1.0-m2'],
    ['1.0-milestone-1', '=', '1.0-m1'],
    ['1.0-RC1', '=', '1.0-cr1'],
    ['1.0-rc1', '<', '1.0-SNAPSHOT'],
    ['1.0-SNAPSHOT', '<', '1.0'],
    ['2.9.10.4', '<', '2.10.0'],
    ['2.9.10', '<', '2.9.10.4'],
    ['5.3.20.RELEASE', '=', '5.3.20'],
    ['1.0.0.Final', '=', '1.0.0'],
    ['2.12.7.1', '>', '2.12.7'],
    ['32.0.0-jre', '>', '31.1-jre'],
    ['20230101120000', '>', '20221231235959'],
  ])('%s %s %s', (a, op, b) => {
    expect(sign(compareMaven(a, b))).toBe(op)
    expect(sign(compareMaven(b, a))).toBe(op === '<' ? '>' : op === '>' ? '<' : '=')
  })

  it('tells pre-releases (alpha, beta, milestone, release candidates, snapshots) from releases', () => {
    for (const v of ['1.0-alpha1', '1.0-b2', '2.0.0-M1', '3.0.0-RC2', '1.0-SNAPSHOT', '6.0.0-preview.3'])
      expect(isMavenPrerelease(v), v).toBe(true)
    for (const v of ['1.0', '2.9.10.4', '5.3.20.RELEASE', '1.0.0.Final', '1-sp1', '32.0.0-jre'])
      expect(isMavenPrerelease(v), v).toBe(false)
  })

  it('reads the release numbers a version starts with', () => {
    expect(mavenRelease('2.9.10.4')).toEqual([2, 9, 10, 4])
    expect(mavenRelease('5.3.20.RELEASE')).toEqual([5, 3, 20])
    expect(mavenRelease('1.0')).toEqual([1, 0])
  })
})
