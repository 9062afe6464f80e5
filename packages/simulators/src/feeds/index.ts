/**
 * The public prioritisation feeds, served as their publishers serve them (shared/upstream/remediation-and-outbound.md
 * §4–5): CISA's KEV catalog and the EPSS daily file.
 *
 * ```ts
 * const sim = await startFeedsSimulator({
 *   kev: { add: [{ cveID: 'CVE-2024-0001', dateAdded: '2026-11-30', knownRansomware: true }] },  // real catalog + these
 *   epss: { rows: 250_000, scores: { 'CVE-2024-0001': 0.43 }, day: 0 },  // generated, real layout
 * })
 * sim.kevUrl   // http://127.0.0.1:PORT/sites/default/files/feeds/known_exploited_vulnerabilities.json
 * sim.epssUrl  // http://127.0.0.1:PORT/epss_scores-current.csv.gz
 * sim.setEpss({ ...o, day: 1 })  // the next day's file: every score moves a little
 * ```
 *
 * Feed fault switches (sim.setFaults or POST /__sim/faults), besides the kit's (serverErrorNext, latencyMs …):
 * - `kevMissing` / `epssMissing`: the file answers 404 (a moved or mistyped URL).
 * - `kevTruncate` / `epssTruncate`: the first half of the file's bytes only (a cut download; for EPSS a truncated
 *   gzip stream).
 * - `kevTiny: n` / `epssTiny: n`: a well-formed file with only n entries (an implausible drop).
 */
import { type Faults, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
import { type EpssFile, type EpssOptions, epssFile, type KevOptions, kevFile } from './dataset.ts'

export type { EpssOptions, KevAddition, KevOptions } from './dataset.ts'
export { epssFile, kevCatalog, kevFile, kevJson, realKevCatalog, realKevText, universeCve } from './dataset.ts'

export const KEV_PATH = '/sites/default/files/feeds/known_exploited_vulnerabilities.json'
export const EPSS_PATH = '/epss_scores-current.csv.gz'

export interface FeedsSimulatorOptions {
  kev?: KevOptions
  epss?: EpssOptions
  faults?: Faults
  port?: number
}

export interface FeedsSimulator extends Simulator {
  kevUrl: string
  epssUrl: string
  /** publish another catalog (the next download serves it) */
  setKev(o: KevOptions): void
  /** publish another day's EPSS file */
  setEpss(o: EpssOptions): EpssFile
  /** the EPSS file now served */
  epss(): EpssFile
}

const half = (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))

export const startFeedsSimulator = async (o: FeedsSimulatorOptions = {}): Promise<FeedsSimulator> => {
  let kevOptions = o.kev ?? {}
  let kevBody = Buffer.from(kevFile(kevOptions))
  let epssOptions = o.epss ?? {}
  let epss = epssFile(epssOptions)
  const tiny = new Map<string, Buffer>()

  const sim = await startSimulator({
    name: 'feeds',
    faults: o.faults,
    port: o.port,
    errorBody: (status, message) => `<html><body><h1>${status}</h1><p>${message}</p></body></html>`,
    routes: [
      {
        method: 'GET',
        path: KEV_PATH,
        handler: (): SimResponse => {
          const f = sim.faults
          if (f.kevMissing) return { status: 404, body: '<html><body><h1>Page Not Found</h1></body></html>' }
          let body: Buffer = kevBody
          if (typeof f.kevTiny === 'number') {
            const key = `kev:${f.kevTiny}`
            if (!tiny.has(key)) tiny.set(key, Buffer.from(kevFile({ ...kevOptions, only: f.kevTiny })))
            body = tiny.get(key)!
          }
          if (f.kevTruncate) body = half(body)
          return { body, headers: { 'content-type': 'application/json' } }
        },
      },
      {
        method: 'GET',
        path: EPSS_PATH,
        handler: (): SimResponse => {
          const f = sim.faults
          if (f.epssMissing) return { status: 404, body: '<html><body><h1>Not Found</h1></body></html>' }
          let body: Buffer = epss.gzip
          if (typeof f.epssTiny === 'number') {
            const key = `epss:${f.epssTiny}`
            if (!tiny.has(key)) tiny.set(key, epssFile({ ...epssOptions, rows: f.epssTiny, cves: [], scores: {} }).gzip)
            body = tiny.get(key)!
          }
          if (f.epssTruncate) body = half(body)
          return { body, headers: { 'content-type': 'application/gzip' } }
        },
      },
    ],
  })
  return Object.assign(sim, {
    kevUrl: `${sim.url}${KEV_PATH}`,
    epssUrl: `${sim.url}${EPSS_PATH}`,
    setKev: (k: KevOptions) => {
      kevOptions = k
      kevBody = Buffer.from(kevFile(k))
      tiny.clear()
    },
    setEpss: (e: EpssOptions) => {
      epssOptions = e
      epss = epssFile(e)
      tiny.clear()
      return epss
    },
    epss: () => epss,
  })
}
