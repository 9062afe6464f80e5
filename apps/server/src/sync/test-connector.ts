import {
  type MappedFinding,
  type MapResult,
  normaliseSeverity,
  type ScannerConnector,
  splitVulnIds,
} from '@vulnsync/core'
import { z } from 'zod'

/**
 * A connector defined for tests and benchmarks of the engine: it "reads" a generated dataset in pages, with
 * switches to fail mid-stream, so every engine rule can be proved without a vendor.
 */
export interface TestRaw {
  id: string
  ids: string[]
  purl: string
  repo?: string
  image?: string
  severity: string
  detectedAt?: string | null
  scope?: string
  epss?: number
  kev?: boolean
  reachable?: 'reachable' | 'unreachable'
  bad?: boolean
  /** the manifest the finding comes from */
  manifest?: string
  /** what the scanner says about owners: handles, emails or names; an application; tags */
  owners?: string[]
  app?: { key: string; name: string; priority?: number }
  tags?: string[]
}

export interface TestDataset {
  size: number
  record(i: number): TestRaw | null
}

export interface TestConnectorOptions {
  pageSize?: number
  /** throw this error after yielding this many records */
  failAfter?: { records: number; error: Error }
  /** yield an `incomplete` event for these scopes */
  incompleteScopes?: string[]
  /** emit `scope-complete` for these scopes (with resolvesByScope) */
  completeScopes?: string[]
  /** yield each record's JSON text with it (as `text`, indented), as a connector that splits its pages does */
  asText?: boolean
  /** called before each page (lets a test abort or assert streaming) */
  onPage?: (page: number) => void | Promise<void>
}

export const arrayDataset = (rows: TestRaw[]): TestDataset => ({ size: rows.length, record: (i) => rows[i] ?? null })

export const testMap = (raw: TestRaw): MapResult => {
  if (raw.bad) throw new Error('corrupt record')
  const { cves, aliases } = splitVulnIds(raw.ids)
  if (cves.length === 0) return { skip: 'no_cve' }
  const severity = normaliseSeverity(raw.severity)
  if (!severity) return { skip: 'invalid_record', detail: `unknown severity ${raw.severity}` }
  const name = raw.purl.replace(/^pkg:[^/]+\//, '').replace(/@.*$/, '')
  return cves.map<MappedFinding>((cve) => ({
    sourceKey: raw.id,
    cve,
    aliases,
    package: { purl: raw.purl, name, ecosystem: raw.purl.slice(4, raw.purl.indexOf('/')) },
    target: raw.image
      ? { kind: 'image', name: raw.image, sourceRepoUrl: raw.repo }
      : { kind: 'repository', name: raw.repo ?? 'unknown', url: raw.repo },
    scope: raw.scope,
    severity,
    vendorSeverity: raw.severity,
    detectedAt: raw.detectedAt ? new Date(raw.detectedAt) : null,
    fixedVersions: [],
    signals: {
      ...(raw.epss !== undefined ? { epss: { score: raw.epss } } : {}),
      ...(raw.kev !== undefined ? { kev: { listed: raw.kev } } : {}),
      ...(raw.reachable ? { reachability: { function: raw.reachable } } : {}),
    },
    vendorFactors: [],
    evidence: { id: raw.id, ...(raw.manifest ? { manifest: raw.manifest } : {}) },
    manifestPath: raw.manifest,
    ownership:
      raw.owners || raw.app || raw.tags
        ? {
            label: 'Test scanner',
            owners: raw.owners,
            tags: raw.tags,
            application: raw.app
              ? { key: raw.app.key, name: raw.app.name, businessPriority: raw.app.priority }
              : undefined,
          }
        : undefined,
  }))
}

export const createTestConnector = (
  data: () => TestDataset,
  o: TestConnectorOptions = {},
): ScannerConnector<'test', { label?: string }, { token: string }, TestRaw, { next: number }> => ({
  kind: 'test',
  role: 'scanner',
  title: 'Test scanner',
  logoLetters: 'TS',
  description: 'A scanner defined in the tests',
  help: 'Any token works except "bad".',
  configSchema: z.object({ label: z.string().optional() }),
  secretsSchema: z.object({ token: z.string().min(1) }),
  resolvesByScope: o.completeScopes !== undefined,
  baseUrl: () => 'https://scanner.test.invalid',
  check: async (ctx) =>
    ctx.secrets.token === 'bad'
      ? {
          ok: false,
          code: 'auth',
          message: 'the API token was rejected (HTTP 401): verify it is correct and has not expired',
        }
      : { ok: true, message: 'connected' },
  async *read(_ctx, input) {
    const ds = data()
    const pageSize = o.pageSize ?? 500
    let i = input.cursor?.next ?? 0
    let yielded = 0
    let page = 0
    for (const scope of o.incompleteScopes ?? []) yield { type: 'incomplete', scope, reason: 'test' }
    for (const scope of o.completeScopes ?? []) yield { type: 'scope-complete', scope }
    while (i < ds.size) {
      await o.onPage?.(page++)
      const end = Math.min(ds.size, i + pageSize)
      for (; i < end; i++) {
        if (o.failAfter && yielded >= o.failAfter.records) throw o.failAfter.error
        const raw = ds.record(i)
        if (raw) {
          yielded++
          yield {
            type: 'record',
            raw,
            scope: raw.scope,
            text: o.asText ? JSON.stringify({ ...raw }, null, 1) : undefined,
          }
        }
      }
      yield { type: 'checkpoint', cursor: { next: i } }
    }
  },
  map: (raw) => testMap(raw),
})
