import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FeedsSimulator, startFeedsSimulator } from './index.ts'

let sim: FeedsSimulator
beforeAll(async () => {
  sim = await startFeedsSimulator({
    kev: { add: [{ cveID: 'CVE-2026-0001', dateAdded: '2026-11-30', knownRansomware: true }] },
    epss: { rows: 20_000, scores: { 'CVE-2026-0001': 0.43 } },
  })
})
afterAll(() => sim.close())

describe('feeds simulator', () => {
  it('serves the real KEV catalog as CISA does, with the added entries on top', async () => {
    const r = await fetch(sim.kevUrl)
    expect(r.status).toBe(200)
    const text = await r.text()
    // CISA's bytes: four-space indentation, slashes escaped
    expect(text).toContain('\n    "catalogVersion": "2025.08.25"')
    expect(text).toContain('"dateReleased": "2025-08-25T17:04:19.9796Z"')
    expect(text).toContain('https:\\/\\/nvd.nist.gov')
    const doc = JSON.parse(text)
    expect(doc.count).toBe(1405)
    expect(doc.vulnerabilities[0]).toMatchObject({ cveID: 'CVE-2026-0001', knownRansomwareCampaignUse: 'Known' })
    expect(doc.vulnerabilities.find((v: any) => v.cveID === 'CVE-2021-44228')).toMatchObject({
      dateAdded: '2021-12-10',
    })
  })

  it('serves an EPSS file in the real layout: comment line, header, five-decimal rows, percentiles as ranks', async () => {
    const r = await fetch(sim.epssUrl)
    expect(r.headers.get('content-type')).toBe('application/gzip')
    const lines = gunzipSync(Buffer.from(await r.arrayBuffer()))
      .toString('utf8')
      .trimEnd()
      .split('\n')
    expect(lines[0]).toBe('#model_version:v2025.03.14,score_date:2026-12-01T12:55:00Z')
    expect(lines[1]).toBe('cve,epss,percentile')
    expect(lines).toHaveLength(2 + 20_001)
    expect(lines.every((l, i) => i < 2 || /^CVE-\d{4}-\d{4,},\d\.\d{5},\d\.\d{5}$/.test(l))).toBe(true)
    expect(lines.find((l) => l.startsWith('CVE-2026-0001,'))).toMatch(/^CVE-2026-0001,0\.43000,0\.9\d{4}$/)
    const scores = lines.slice(2).map((l) => Number(l.split(',')[1]))
    const high = scores.filter((s) => s >= 0.1).length / scores.length
    expect(high).toBeGreaterThan(0.03)
    expect(high).toBeLessThan(0.12)
  })

  it('moves every generated score on the next day, and answers the faults', async () => {
    const before = sim.epss()
    const next = sim.setEpss({ rows: 20_000, scores: { 'CVE-2026-0001': 0.43 }, day: 1 })
    expect(next.scoreDate).toBe('2026-12-02')
    let moved = 0
    for (let k = 0; k < 1000; k++) {
      const cve = `CVE-${1999 + (k % 27)}-${1000 + Math.floor(k / 27)}`
      if (before.score(cve)!.score !== next.score(cve)!.score) moved++
    }
    expect(moved).toBeGreaterThan(900)
    sim.setFaults({ epssMissing: true })
    expect((await fetch(sim.epssUrl)).status).toBe(404)
    sim.setFaults({ epssTruncate: true })
    const cut = Buffer.from(await (await fetch(sim.epssUrl)).arrayBuffer())
    expect(cut.length).toBe(Math.floor(next.gzip.length / 2))
    expect(() => gunzipSync(cut)).toThrow(/unexpected end of file/)
    sim.setFaults({ epssTiny: 10, kevTiny: 3 })
    const tiny = gunzipSync(Buffer.from(await (await fetch(sim.epssUrl)).arrayBuffer())).toString('utf8')
    expect(tiny.trimEnd().split('\n')).toHaveLength(12)
    expect(JSON.parse(await (await fetch(sim.kevUrl)).text()).count).toBe(3)
    sim.setFaults({})
  })
})
