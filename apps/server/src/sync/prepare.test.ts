import { describe, expect, it } from 'vitest'
import { InvalidFindingError, occurrencesOf, recordDigest } from './prepare.ts'
import { type TestRaw, testMap } from './test-connector.ts'

const raw = (over: Partial<TestRaw> = {}): TestRaw => ({
  id: 'f-1',
  ids: ['CVE-2024-0001', 'CVE-2024-0002'],
  purl: 'pkg:npm/lib@1.0.0',
  repo: 'https://github.com/acme/api',
  severity: 'high',
  ...over,
})

describe('record digests', () => {
  it('is the same for the same text, scope and connector, and differs when any of them does', () => {
    const text = JSON.stringify(raw())
    const d = recordDigest('test', undefined, text)
    expect(recordDigest('test', undefined, text)).toBe(d)
    expect(recordDigest('test', '', text)).toBe(d)
    expect(recordDigest('test', undefined, JSON.stringify(raw({ severity: 'low' })))).not.toBe(d)
    expect(recordDigest('test', 'project-2', text)).not.toBe(d)
    expect(recordDigest('endor', undefined, text)).not.toBe(d)
  })

  it('is kept on every occurrence of a record with how many it gave, and on none when a finding is unusable', () => {
    const mapped = testMap(raw()) as Parameters<typeof occurrencesOf>[0]
    const rows = occurrencesOf(mapped, raw(), undefined, () => {}, 'digest-1')
    expect(rows.map((r) => [r.cve, r.record_digest, r.record_rows])).toEqual([
      ['CVE-2024-0001', 'digest-1', 2],
      ['CVE-2024-0002', 'digest-1', 2],
    ])
    // one finding of the record cannot be used: the record keeps no digest, so it is mapped (and counted) every sync
    const unusable: InvalidFindingError[] = []
    const broken = [mapped[0]!, { ...mapped[1]!, package: { ...mapped[1]!.package, purl: 'not a package URL' } }]
    const kept = occurrencesOf(broken, raw(), undefined, (e) => unusable.push(e), 'digest-1')
    expect(unusable).toHaveLength(1)
    expect(kept.map((r) => [r.cve, r.record_digest])).toEqual([['CVE-2024-0001', null]])
  })
})
