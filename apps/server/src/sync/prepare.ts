import { hash } from 'node:crypto'
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
  }
}

/** What a record event stores as its raw record: the text the connector read it as, when it has it, else the record. */
export const storedRecord = (ev: { raw: unknown; text?: string | undefined }): unknown =>
  ev.text === undefined ? ev.raw : new RawJson(ev.text)

/**
 * A record's mapped findings → their rows (pure), each carrying the record itself, which source_records keeps (a
 * record with several CVEs is several occurrences sharing it). The ingest store turns it into JSON text only for the
 * occurrences it writes: an unchanged re-run, the everyday sync, never needs the text. A finding that cannot be used
 * goes to `unusable` and is left out; any other error is thrown. The engine's read and the benchmarks prepare records
 * here.
 */
export const occurrencesOf = (
  findings: MappedFinding[],
  record: unknown,
  scope: string | undefined,
  unusable: (err: InvalidFindingError) => void,
): OccurrenceInput[] => {
  const rows: OccurrenceInput[] = []
  for (const f of findings) {
    try {
      rows.push(toOccurrenceInput(f, record, scope))
    } catch (err) {
      if (!(err instanceof InvalidFindingError)) throw err
      unusable(err)
    }
  }
  return rows
}
