import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { UpstreamError } from '@vulnsync/core'
import { epssFile, type FeedsSimulator, realKevText, startFeedsSimulator } from '@vulnsync/simulators/feeds/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient } from '../kit/http.ts'
import { FeedFormatError } from './bytes.ts'
import { type EpssRow, readEpss } from './epss.ts'
import { downloadFeed, FEEDS } from './index.ts'
import { type KevRow, readKev } from './kev.ts'

/** Bytes as a stream of chunks of a given size, as a download delivers them. */
async function* chunks(b: Buffer | string, size = 64 * 1024): AsyncIterable<Uint8Array> {
  const buf = typeof b === 'string' ? Buffer.from(b) : b
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size)
}

const collect = <R>() => {
  const rows: R[] = []
  let largestBatch = 0
  return {
    rows,
    get largestBatch() {
      return largestBatch
    },
    onBatch: async (b: R[]) => {
      largestBatch = Math.max(largestBatch, b.length)
      rows.push(...b)
    },
  }
}

describe('the KEV catalog', () => {
  it('reads the real catalog of 2025-08-25, four-digit fractions, escaped slashes and all', async () => {
    const got = collect<KevRow>()
    const read = await readKev(chunks(realKevText(), 4096), got.onBatch)
    expect(read).toEqual({
      entries: 1404,
      skipped: 0,
      skippedExamples: [],
      feedDate: '2025-08-25',
      version: '2025.08.25',
    })
    expect(got.rows.filter((r) => r.knownRansomware)).toHaveLength(293)
    expect(got.rows.find((r) => r.cve === 'CVE-2021-44228')).toEqual({
      cve: 'CVE-2021-44228',
      dateAdded: '2021-12-10',
      dueDate: '2021-12-24',
      knownRansomware: true,
      vendorProject: 'Apache',
      product: 'Log4j2',
      name: 'Apache Log4j2 Remote Code Execution Vulnerability',
    })
    // the vendor name with a trailing space is kept as published
    expect(got.rows.some((r) => r.vendorProject === 'SimpleHelp ')).toBe(true)
  })

  it('reads the same catalog gzipped (a mirror or an air-gapped copy)', async () => {
    const file = readFileSync(
      new URL(
        '../../../simulators/src/feeds/fixtures/known_exploited_vulnerabilities-2025-08-25.json.gz',
        import.meta.url,
      ),
    )
    const got = collect<KevRow>()
    expect((await readKev(chunks(file, 1000), got.onBatch)).entries).toBe(1404)
  })

  it('skips and counts a bad entry, and refuses what is not a catalog', async () => {
    const doc = JSON.parse(realKevText())
    doc.vulnerabilities[3].cveID = 'GHSA-xxxx-yyyy-zzzz'
    delete doc.vulnerabilities[7].dateAdded
    doc.vulnerabilities[9].dateAdded = '2025-02-30'
    const got = collect<KevRow>()
    const read = await readKev(chunks(JSON.stringify(doc)), got.onBatch)
    expect(read.entries).toBe(1401)
    expect(read.skipped).toBe(3)
    expect(read.skippedExamples[0]).toMatch(
      /^vulnerabilities\[3\] \(GHSA-xxxx-yyyy-zzzz\): cveID cveID is not a CVE id/,
    )
    expect(read.skippedExamples[2]).toMatch(/vulnerabilities\[9\].*dateAdded not a date/)
    const refuse = (body: string) => readKev(chunks(body), collect<KevRow>().onBatch)
    await expect(refuse(realKevText().slice(0, 50_000))).rejects.toMatchObject({ code: 'not_json' })
    await expect(refuse('{"vulnerabilities": []}')).rejects.toMatchObject({ code: 'not_kev' })
    await expect(refuse('<html>maintenance</html>')).rejects.toMatchObject({ code: 'not_json' })
    await expect(refuse('')).rejects.toMatchObject({ code: 'empty' })
  })
})

describe('the EPSS daily file', () => {
  it('streams a full-size file (250,000 rows) one batch at a time', async () => {
    const file = epssFile({ rows: 250_000, scores: { 'CVE-2024-3094': 0.84 } })
    const got = collect<EpssRow>()
    const read = await readEpss(chunks(file.gzip), got.onBatch)
    expect(read).toMatchObject({ entries: 250_000, skipped: 0, feedDate: '2026-12-01', version: 'v2025.03.14' })
    expect(got.largestBatch).toBe(5000)
    expect(got.rows.find((r) => r.cve === 'CVE-2024-3094')).toEqual({
      cve: 'CVE-2024-3094',
      score: 0.84,
      percentile: file.score('CVE-2024-3094')!.percentile,
    })
  })

  it('reads the comment line in each form it is published in, plain or gzip, with CRLF line ends', async () => {
    const forms = [
      ['#model_version:v2025.03.14,score_date:2025-09-24T12:55:00Z', '2025-09-24'],
      ['#model_version:v2025.03.14,score_date:2026-05-15T00:00:00+0000', '2026-05-15'],
      ['#model_version:v2023.03.01,score_date:2026-07-15', '2026-07-15'],
    ]
    for (const [comment, date] of forms) {
      const csv = `${comment}\r\ncve,epss,percentile\r\nCVE-2024-1234,0.97231,0.99821\r\nCVE-2023-5555,0.00012,0.21340\r\n`
      for (const body of [csv, gzipSync(csv)]) {
        const got = collect<EpssRow>()
        const read = await readEpss(chunks(body, 7), got.onBatch)
        expect(read.feedDate).toBe(date)
        expect(read.version).toBe(/v\d{4}\.\d{2}\.\d{2}/.exec(comment!)![0])
        expect(got.rows).toEqual([
          { cve: 'CVE-2024-1234', score: 0.97231, percentile: 0.99821 },
          { cve: 'CVE-2023-5555', score: 0.00012, percentile: 0.2134 },
        ])
      }
    }
  })

  it('skips and counts rows that are not a CVE with two probabilities', async () => {
    const csv = [
      '#model_version:v2025.03.14,score_date:2026-12-01T12:55:00Z',
      'cve,epss,percentile',
      'CVE-2024-0001,0.5,0.9',
      'CVE-2024-0002,1.5,0.9',
      'CVE-2024-0003,,0.9',
      'CVE-2024-0004,0.1',
      'not-a-cve,0.1,0.2',
      'cve-2024-0005,1e-05,0.01',
      '',
    ].join('\n')
    const got = collect<EpssRow>()
    const read = await readEpss(chunks(csv), got.onBatch)
    expect(got.rows.map((r) => r.cve)).toEqual(['CVE-2024-0001', 'CVE-2024-0005'])
    expect(read.skipped).toBe(4)
    expect(read.skippedExamples).toEqual([
      'line 4: epss Too big: expected number to be <=1',
      'line 5: epss not a number',
      'line 6: 2 columns, not 3',
      'line 7: cve not a CVE id',
    ])
  })

  it('refuses a truncated gzip, a file without the header, and an empty file', async () => {
    const gz = epssFile({ rows: 30_000 }).gzip
    await expect(readEpss(chunks(gz.subarray(0, gz.length >> 1)), collect<EpssRow>().onBatch)).rejects.toMatchObject({
      code: 'truncated',
    })
    await expect(
      readEpss(chunks('<html><body>Service Unavailable</body></html>\n'), collect<EpssRow>().onBatch),
    ).rejects.toMatchObject({ code: 'not_epss' })
    await expect(readEpss(chunks(''), collect<EpssRow>().onBatch)).rejects.toBeInstanceOf(FeedFormatError)
  })
})

describe('downloads through the guarded client', () => {
  let sim: FeedsSimulator
  beforeAll(async () => {
    sim = await startFeedsSimulator({ epss: { rows: 5000 } })
  })
  afterAll(() => sim.close())

  it('streams the file from its URL into the reader', async () => {
    const http = createHttpClient({ allowPrivateNetworks: true, backoffMs: 1 })
    const got = collect<EpssRow>()
    const read = await FEEDS.epss.read(await downloadFeed(http, sim.epssUrl), got.onBatch)
    expect(read.entries).toBe(5000)
  })

  it('a 404 is an upstream error in words, and the SSRF guard refuses a private address', async () => {
    sim.setFaults({ epssMissing: true })
    const http = createHttpClient({ allowPrivateNetworks: true, backoffMs: 1 })
    await expect(downloadFeed(http, sim.epssUrl)).rejects.toMatchObject({ kind: 'not_found', status: 404 })
    sim.setFaults({})
    const guarded = createHttpClient({ backoffMs: 1 })
    const err = await downloadFeed(guarded, sim.epssUrl).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('blocked')
  })
})
