import { createHash, hash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type MappedFinding, matchKeys, normaliseRepoPath, packageKey, parsePurl, RawJson } from '@vulnsync/core'
import type { OccurrenceInput } from '@vulnsync/db'

/** What decides whether an occurrence changed: everything but the raw record and the times vulnsync saw it. */
const contentOf = (f: MappedFinding) => [
  f.aliases,
  f.package,
  f.target,
  f.scope ?? '',
  f.severity,
  f.vendorSeverity,
  f.cvss ?? null,
  f.detectedAt ? f.detectedAt.toISOString() : null,
  f.fixedVersions,
  f.manifestPath ?? null,
  f.affectedRanges ?? null,
  f.signals,
  f.vendorFactors,
  f.evidence,
  f.vendorState ?? 'open',
  f.title ?? null,
  f.link ?? null,
  // only when given, so findings without them keep the hash they had before ownership existed
  ...(f.manifestPath ? [{ manifestPath: f.manifestPath }] : []),
  ...(f.ownership ? [{ ownership: f.ownership }] : []),
]

export class InvalidFindingError extends Error {}

/**
 * A mapped finding → the row the ingest store writes (pure). `raw` is the vendor's record it came from (see
 * occurrencesOf). Throws InvalidFindingError for unusable findings.
 */
export const toOccurrenceInput = (f: MappedFinding, raw: unknown, scope: string | undefined): OccurrenceInput => {
  let pkgKey: string
  try {
    pkgKey = packageKey(f.package.purl)
  } catch (err) {
    throw new InvalidFindingError(`invalid package URL ${JSON.stringify(f.package.purl)}: ${(err as Error).message}`)
  }
  if (!f.sourceKey) throw new InvalidFindingError('finding has no source key')
  const version = f.package.version ?? parsePurl(f.package.purl).version ?? null
  const keys = matchKeys(f.target)
  if (f.detectedAt && Number.isNaN(f.detectedAt.getTime()))
    throw new InvalidFindingError('finding has an invalid detection time')
  return {
    source_key: f.sourceKey,
    cve: f.cve.toUpperCase(),
    aliases: f.aliases,
    package_purl: f.package.purl,
    package_key: pkgKey,
    package_name: f.package.name,
    ecosystem: f.package.ecosystem,
    package_version: version,
    target: f.target,
    target_kind: f.target.kind,
    target_name: f.target.name,
    target_version: f.target.kind === 'repository' ? null : (f.target.version ?? null),
    match_key: keys.matchKey,
    match_display: keys.display,
    ext_provider: f.target.externalId?.provider.toLowerCase() ?? null,
    ext_id: f.target.externalId?.id ?? null,
    url_key: keys.urlKey,
    name_key: keys.nameKey,
    scope: f.scope ?? scope ?? '',
    severity: f.severity,
    vendor_severity: f.vendorSeverity,
    cvss: f.cvss ?? null,
    detected_at: f.detectedAt ? f.detectedAt.toISOString() : null,
    fixed_versions: f.fixedVersions,
    manifest_path: f.manifestPath ? normaliseRepoPath(f.manifestPath) || null : null,
    affected_ranges: f.affectedRanges ?? null,
    signals: f.signals,
    vendor_factors: f.vendorFactors,
    evidence: f.evidence,
    vendor_state: f.vendorState ?? 'open',
    title: f.title ?? null,
    link: f.link ?? null,
    ownership: f.ownership ?? null,
    raw,
    // one-shot hash: no Hash object per row (half the time of createHash on rows this size)
    content_hash: hash('sha1', JSON.stringify(contentOf(f)), 'base64'),
    // set by occurrencesOf once the record's findings are all known
    record_digest: null,
    record_rows: 0,
  }
}

/**
 * What the code that turns a record into occurrences is, as a digest of its source: the connectors, the core they map
 * with, this file, and the locked dependencies. Part of every record digest, so any change to that code (an upgrade,
 * a developer's edit) makes every stored digest differ and each record is mapped once again at its connection's next
 * sync (migration 0019): no record is ever kept unmapped by a digest that older code made. Read once, when the first
 * record is digested (about 300 files, a few milliseconds).
 */
let mappingCode: string | undefined
const mappingCodeDigest = (): string => {
  if (mappingCode !== undefined) return mappingCode
  const root = fileURLToPath(new URL('../../../../', import.meta.url))
  const h = createHash('sha1')
  for (const dir of ['packages/connectors/src', 'packages/core/src']) {
    const files = existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
          .sort()
      : []
    for (const f of files) h.update(`${dir}/${f}\u0000`).update(readFileSync(join(root, dir, f)))
  }
  h.update(readFileSync(fileURLToPath(import.meta.url)))
  const lock = join(root, 'package-lock.json')
  if (existsSync(lock)) h.update(readFileSync(lock))
  mappingCode = h.digest('base64')
  return mappingCode
}

/**
 * What a record is mapped from, as a digest (pure but for the code it names): the code that maps (mappingCodeDigest),
 * the connector kind, the scope it was read in and its text (a connector's `map` is a function of the record alone:
 * the connector contract proves it). A record read again with the digest it was stored with is marked seen without
 * being mapped (read.ts).
 */
export const recordDigest = (kind: string, scope: string | undefined, text: string): string =>
  hash('sha1', `${mappingCodeDigest()}\u0000${kind}\u0000${scope ?? ''}\u0000${text}`, 'base64')

/** A scanner record as the engine keeps it: the raw record it stores, and its digest (recordDigest). */
export interface DigestedRecord {
  /** the text the digest is made of: the one the connector read the record as, or the record's JSON, made once */
  record: RawJson
  digest: string
}

/** A record event → what the engine stores of it and its digest; the engine's read and the benchmarks digest here. */
export const digestRecord = (kind: string, ev: { raw: unknown; scope?: string; text?: string }): DigestedRecord => {
  const text = ev.text ?? JSON.stringify(ev.raw)
  return { record: new RawJson(text), digest: recordDigest(kind, ev.scope, text) }
}

/**
 * A record's mapped findings → their rows (pure), each carrying the record (the engine gives its text, a `RawJson`),
 * which source_records keeps (a record with several CVEs is several occurrences sharing it), and the record's
 * `digest` with how many rows it gave, unless one of its findings could not be used. A finding that cannot be used
 * goes to `unusable` and is left out; any other error is thrown. The engine's read and the benchmarks prepare records
 * here.
 */
export const occurrencesOf = (
  findings: MappedFinding[],
  record: unknown,
  scope: string | undefined,
  unusable: (err: InvalidFindingError) => void,
  digest: string | null = null,
): OccurrenceInput[] => {
  const rows: OccurrenceInput[] = []
  let usable = true
  for (const f of findings) {
    try {
      rows.push(toOccurrenceInput(f, record, scope))
    } catch (err) {
      if (!(err instanceof InvalidFindingError)) throw err
      usable = false
      unusable(err)
    }
  }
  // a record with a finding that cannot be used keeps no digest: it is mapped (and its skip counted) at every sync
  if (digest !== null && usable)
    for (const r of rows) {
      r.record_digest = digest
      r.record_rows = rows.length
    }
  return rows
}
