import { randomUUID } from 'node:crypto'
import {
  cyclonedxAnalysis,
  type DecisionKind,
  type IssueStatus,
  openvexStatus,
  type Stage,
  targetIri,
  type VexIssue,
  versionedPurl,
} from '@vulnsync/core'
import { InputError, type IssueRow, listIssues, type Queryable, type QueueFilter } from '@vulnsync/db'

/** An export larger than this is refused: narrow the filter (a repository, a status) and export in parts. */
export const MAX_VEX_ISSUES = 50_000

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null)

export const vexIssueOf = (r: IssueRow): VexIssue => ({
  id: String(r.id),
  cve: r.cve,
  aliases: r.aliases ?? [],
  packageKey: r.package_key,
  packageName: r.package_name,
  versions: r.versions ?? [],
  fixedVersions: r.fixed_versions ?? [],
  targetName: r.target_name,
  targetUrl: r.target_url,
  status: r.status as IssueStatus,
  stage: r.stage as Stage,
  decision: r.decision
    ? {
        kind: r.decision.kind as DecisionKind,
        reason: r.decision.reason,
        justification: r.decision.justification,
        expiresAt: iso(r.decision.expires_at),
      }
    : null,
  detectedAt: iso(r.detected_at)!,
  closedAt: iso(r.closed_at),
})

/** Every issue a queue filter matches, page by page (never more than MAX_VEX_ISSUES). */
export const issuesForVex = async (db: Queryable, workspaceId: string, f: QueueFilter): Promise<VexIssue[]> => {
  const out: VexIssue[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await listIssues(db, workspaceId, f, { sort: 'cve', limit: 500, cursor }, { total: false })
    out.push(...page.rows.map(vexIssueOf))
    if (out.length > MAX_VEX_ISSUES)
      throw new InputError(
        'too_large',
        `the filter matches more than ${MAX_VEX_ISSUES.toLocaleString('en')} issues: a VEX document that large helps nobody`,
        'narrow the filter (repository, status, priority) and export in parts',
        422,
      )
    if (!page.nextCursor) return out
    cursor = page.nextCursor
  }
}

const unique = (xs: string[]) => [...new Set(xs)]

/** A CycloneDX 1.6 BOM whose `vulnerabilities[]` carry vulnsync's analysis (VEX), one entry per issue. */
export const cyclonedxVex = (issues: VexIssue[], o: { now: Date; version: string; publicUrl: string }) => {
  const components = new Map<string, Record<string, unknown>>()
  const vulnerabilities: Record<string, unknown>[] = []
  for (const i of issues) {
    const analysis = cyclonedxAnalysis(i)
    if (!analysis) continue
    const versions = i.versions.length > 0 ? i.versions : [undefined]
    const refs = versions.map((v) => {
      const purl = versionedPurl(i.packageKey, v)
      const ref = `${i.targetName}|${purl}`
      if (!components.has(ref))
        components.set(ref, {
          type: 'library',
          'bom-ref': ref,
          name: i.packageName,
          ...(v ? { version: v } : {}),
          purl,
          properties: [{ name: 'vulnsync:target', value: i.targetName }],
        })
      return ref
    })
    vulnerabilities.push({
      'bom-ref': `vulnsync-issue-${i.id}`,
      id: i.cve,
      source: i.cve.startsWith('CVE-')
        ? { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${i.cve}` }
        : { name: 'vulnsync' },
      ...(i.aliases.length > 0
        ? {
            references: unique(i.aliases)
              .filter((a) => a !== i.cve)
              .map((a) => ({ id: a, source: { name: a.startsWith('GHSA-') ? 'GitHub' : 'vulnsync' } })),
          }
        : {}),
      ...(i.fixedVersions.length > 0
        ? { recommendation: `Upgrade to ${i.fixedVersions.slice(0, 3).join(' or ')}` }
        : {}),
      analysis: { ...analysis, firstIssued: i.detectedAt, lastUpdated: i.closedAt ?? o.now.toISOString() },
      affects: refs.map((ref) => ({ ref })),
      properties: [
        { name: 'vulnsync:issue', value: `${o.publicUrl}/vulnerabilities/${i.id}` },
        { name: 'vulnsync:status', value: i.status },
        ...(i.decision?.expiresAt ? [{ name: 'vulnsync:decision_expires', value: i.decision.expiresAt }] : []),
        ...(i.decision?.justification ? [{ name: 'vulnsync:justification', value: i.decision.justification }] : []),
      ],
    })
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: o.now.toISOString(),
      tools: { components: [{ type: 'application', name: 'vulnsync', version: o.version }] },
      component: { type: 'application', 'bom-ref': 'vulnsync-workspace', name: 'vulnsync workspace' },
    },
    components: [...components.values()],
    vulnerabilities,
  }
}

/** An OpenVEX 0.2.0 document: one statement per issue, the product being the target and the package its part. */
export const openVex = (issues: VexIssue[], o: { now: Date; version: string; publicUrl: string }) => {
  const statements: Record<string, unknown>[] = []
  for (const i of issues) {
    const st = openvexStatus(i)
    if (!st) continue
    const versions = i.versions.length > 0 ? i.versions : [undefined]
    statements.push({
      '@id': `${o.publicUrl}/vulnerabilities/${i.id}`,
      vulnerability: {
        name: i.cve,
        ...(i.aliases.filter((a) => a !== i.cve).length > 0
          ? { aliases: unique(i.aliases.filter((a) => a !== i.cve)) }
          : {}),
      },
      timestamp: i.closedAt ?? i.detectedAt,
      products: [
        {
          '@id': targetIri(i),
          subcomponents: unique(versions.map((v) => versionedPurl(i.packageKey, v))).map((purl) => ({
            '@id': purl,
            identifiers: { purl },
          })),
        },
      ],
      ...st,
      ...(st.action_statement ? { action_statement_timestamp: o.now.toISOString() } : {}),
    })
  }
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': `${o.publicUrl}/api/v1/exports/openvex/${randomUUID()}`,
    author: 'vulnsync',
    role: 'Document Creator',
    timestamp: o.now.toISOString(),
    version: 1,
    tooling: `vulnsync ${o.version}`,
    statements,
  }
}
