import { createEndorDataset } from '@vulnsync/simulators/endor/index.ts'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { EndorFinding, EndorProject } from '../endor/raw.ts'
import { compileShapeCheck } from './shape-check.ts'

describe('compileShapeCheck', () => {
  const isFinding = compileShapeCheck(EndorFinding)
  const ds = createEndorDataset({ findings: 1500, projects: 40 })
  const findings = Array.from({ length: ds.findingCount }, (_, i) => JSON.parse(JSON.stringify(ds.finding(i))))

  it('accepts the records zod accepts unchanged, and zod gives them back equal', () => {
    for (const f of findings) {
      expect(isFinding(f)).toBe(true)
      const parsed = EndorFinding.safeParse(f)
      expect(parsed.success).toBe(true)
      expect(parsed.data).toEqual(f)
    }
    const isProject = compileShapeCheck(EndorProject)
    for (let i = 0; i < ds.projectCount; i++) expect(isProject(JSON.parse(JSON.stringify(ds.project(i))))).toBe(true)
  })

  it('leaves to zod what zod would refuse or change', () => {
    const f = findings.find((x) => x.spec.finding_metadata?.vulnerability?.spec?.cvss_v3_severity)!
    const variants: unknown[] = [
      null,
      [],
      'x',
      { ...f, uuid: '' },
      { ...f, uuid: 42 },
      { ...f, spec: undefined },
      { ...f, spec: { ...f.spec, finding_tags: ['A', 1] } },
      { ...f, spec: { ...f.spec, dismiss: 'false' } },
      { ...f, spec: { ...f.spec, location_urls: { a: 1 } } },
      // a score sent as a string: zod turns it into a number, so the record is not handed back as it is
      {
        ...f,
        spec: {
          ...f.spec,
          finding_metadata: {
            vulnerability: {
              ...f.spec.finding_metadata.vulnerability,
              spec: { ...f.spec.finding_metadata.vulnerability.spec, cvss_v3_severity: { score: '7.5' } },
            },
          },
        },
      },
    ]
    for (const v of variants) expect(isFinding(v)).toBe(false)
    // a record zod turns around still parses through zod
    expect(EndorFinding.safeParse(variants.at(-1)).success).toBe(true)
  })

  it('answers false for schemas it cannot vouch for', () => {
    expect(compileShapeCheck(z.object({ a: z.string() }))({ a: 'x' })).toBe(false)
    expect(compileShapeCheck(z.looseObject({ a: z.string().email() }))({ a: 'x@y.z' })).toBe(false)
    expect(compileShapeCheck(z.looseObject({ a: z.date() }))({ a: new Date() })).toBe(false)
    expect(compileShapeCheck(z.looseObject({ a: z.string().min(2) }))({ a: 'xy' })).toBe(true)
    expect(compileShapeCheck(z.looseObject({ a: z.string().min(2) }))({ a: 'x' })).toBe(false)
  })
})
