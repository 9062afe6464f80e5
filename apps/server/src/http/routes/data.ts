import { Readable } from 'node:stream'
import { audit, rematchUnmatched } from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import type { createRouter } from '../route.ts'
import { DbId, DbIdParams } from '../schemas.ts'
import { type IssueRow, issueView } from '../views.ts'
import {
  ISSUE_COLUMNS,
  listVulnerabilities,
  openCsvExport,
  summarize,
  VulnFilterSchema,
  VulnListSchema,
} from '../vulnerabilities.ts'

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)

export const dataRoutes = (rt: Runtime, r: ReturnType<typeof createRouter>) => {
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities',
    access: 'viewer',
    summary:
      'The deduplicated queue: filter by source tool, severity, priority, status, repository, CVE, package, free text; cursor paging',
    tags: ['vulnerabilities'],
    query: VulnListSchema,
    handler: async ({ query }) => listVulnerabilities(rt.db, rt.workspaceId, query),
  })
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/summary',
    access: 'viewer',
    summary: 'Counts per severity and priority for the same filters',
    tags: ['vulnerabilities'],
    query: VulnFilterSchema,
    handler: async ({ query }) => summarize(rt.db, rt.workspaceId, query),
  })
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/export.csv',
    access: 'viewer',
    summary: 'The current view as CSV',
    tags: ['vulnerabilities'],
    query: VulnListSchema,
    handler: async ({ query, reply }) => {
      const rows = await openCsvExport(rt.db, rt.workspaceId, query)
      reply.header('content-type', 'text/csv; charset=utf-8')
      reply.header(
        'content-disposition',
        `attachment; filename="vulnsync-${new Date().toISOString().slice(0, 10)}.csv"`,
      )
      return reply.send(Readable.from(rows))
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/:id',
    access: 'viewer',
    summary:
      'One issue with every source occurrence (vendor severity, detection time, evidence, fixed versions, link, raw record) and its severity factors',
    tags: ['vulnerabilities'],
    params: DbIdParams,
    handler: async ({ params }) => {
      const { rows } = await rt.db.query<IssueRow>(
        `SELECT ${ISSUE_COLUMNS}, i.factors, i.explanation FROM issues i WHERE i.workspace_id = $1 AND i.id = $2`,
        [rt.workspaceId, params.id],
      )
      const issue = rows[0]
      if (!issue) throw new ApiError(404, 'not_found', `vulnerability ${params.id} does not exist`)
      const { rows: occ } = await rt.db.query<any>(
        `SELECT o.id, o.connection_id, c.name AS connection_name, c.kind, o.source_key, o.severity, o.vendor_severity, o.cvss,
                o.detected_at, o.detected_at_source, o.first_seen_at, o.last_seen_at, o.absent_since, o.state, o.evidence,
                o.fixed_versions, o.link, o.package_purl, o.package_version, o.signals, o.vendor_factors, o.vendor_state,
                o.title, o.match_display, s.raw
           FROM occurrences o JOIN connections c ON c.id = o.connection_id
           LEFT JOIN source_records s ON s.connection_id = o.connection_id AND s.source_key = o.source_key
          WHERE o.issue_id = $1 ORDER BY c.kind, o.id`,
        [issue.id],
      )
      return {
        ...issueView(issue),
        explanation: issue.explanation,
        factors: issue.factors,
        occurrences: occ.map((o) => ({
          id: String(o.id),
          connectionId: o.connection_id,
          connectionName: o.connection_name,
          kind: o.kind,
          sourceKey: o.source_key,
          severity: o.severity,
          vendorSeverity: o.vendor_severity,
          cvss: o.cvss,
          detectedAt: iso(o.detected_at),
          detectedAtSource: o.detected_at_source,
          firstSeenAt: iso(o.first_seen_at),
          lastSeenAt: iso(o.last_seen_at),
          absentSince: iso(o.absent_since),
          state: o.state,
          vendorState: o.vendor_state,
          title: o.title,
          packagePurl: o.package_purl,
          packageVersion: o.package_version,
          target: o.match_display,
          evidence: o.evidence,
          signals: o.signals,
          vendorFactors: o.vendor_factors,
          fixedVersions: o.fixed_versions,
          link: o.link,
          raw: o.raw,
        })),
      }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/repositories',
    access: 'viewer',
    summary: 'The repository inventory from connected source control',
    tags: ['repositories'],
    query: z.object({
      q: z.string().max(200).optional(),
      includeRemoved: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: DbId.optional(),
    }),
    handler: async ({ query }) => {
      const like = query.q ? `%${query.q.replace(/[%_\\]/g, '\\$&')}%` : null
      const removed = query.includeRemoved === 'true'
      const { rows } = await rt.db.query<any>(
        `SELECT r.*, c.name AS connection_name,
                (SELECT count(*)::int FROM issues i WHERE i.repository_id = r.id AND i.status = 'open') AS open_issues
           FROM repositories r JOIN connections c ON c.id = r.connection_id
          WHERE r.workspace_id = $1 AND ($2::text IS NULL OR r.full_name ILIKE $2) AND ($3::boolean OR r.removed_at IS NULL)
            AND r.id > $4 ORDER BY r.id LIMIT $5`,
        [rt.workspaceId, like, removed, query.cursor ?? '0', query.limit + 1],
      )
      const total = (
        await rt.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM repositories r WHERE r.workspace_id = $1 AND ($2::text IS NULL OR r.full_name ILIKE $2) AND ($3::boolean OR r.removed_at IS NULL)`,
          [rt.workspaceId, like, removed],
        )
      ).rows[0]!.n
      const page = rows.slice(0, query.limit)
      return {
        items: page.map((x) => ({
          id: String(x.id),
          provider: x.provider,
          externalId: x.external_id,
          fullName: x.full_name,
          webUrl: x.web_url,
          cloneUrl: x.clone_url,
          sshUrl: x.ssh_url,
          defaultBranch: x.default_branch,
          archived: x.archived,
          visibility: x.visibility,
          connectionId: x.connection_id,
          connectionName: x.connection_name,
          openIssues: x.open_issues,
          firstSeenAt: iso(x.first_seen_at),
          lastSeenAt: iso(x.last_seen_at),
          removedAt: iso(x.removed_at),
        })),
        nextCursor: rows.length > query.limit ? String(page.at(-1)!.id) : null,
        total,
      }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/unmatched',
    access: 'viewer',
    summary:
      'Findings waiting for a repository: each target as the scanner named it, its source, and how many findings wait on it',
    tags: ['repositories'],
    query: z.object({ q: z.string().max(200).optional() }),
    handler: async ({ query }) => {
      const like = query.q ? `%${query.q.replace(/[%_\\]/g, '\\$&')}%` : null
      const { rows } = await rt.db.query<any>(
        `SELECT o.match_key, o.connection_id, c.kind, c.name AS connection_name, min(o.target_kind) AS target_kind,
                min(o.match_display) AS display, min(o.target_name) AS target_name, count(*)::int AS findings,
                count(DISTINCT o.cve)::int AS cves, max(o.last_seen_at) AS last_seen_at
           FROM occurrences o JOIN connections c ON c.id = o.connection_id
          WHERE o.workspace_id = $1 AND o.repository_id IS NULL AND o.state = 'present'
            AND ($2::text IS NULL OR o.match_display ILIKE $2 OR o.target_name ILIKE $2)
          GROUP BY o.match_key, o.connection_id, c.kind, c.name
          ORDER BY count(*) DESC, o.match_key LIMIT 1000`,
        [rt.workspaceId, like],
      )
      return {
        items: rows.map((x) => ({
          key: x.match_key,
          kind: x.kind,
          connectionId: x.connection_id,
          connectionName: x.connection_name,
          targetKind: x.target_kind,
          display: x.display,
          name: x.target_name,
          findings: x.findings,
          cves: x.cves,
          lastSeenAt: iso(x.last_seen_at),
        })),
      }
    },
  })

  r.add({
    method: 'PUT',
    url: '/api/v1/unmatched/:key/mapping',
    access: 'member',
    summary: 'Map an unmatched target to a repository; its waiting findings join the queue at once',
    tags: ['repositories'],
    params: z.object({ key: z.string().min(1).max(1000) }),
    body: z.object({ repositoryId: DbId }),
    handler: async ({ params, body, principal }) => {
      const repoId = body.repositoryId
      // only a key vulnsync issued (a target some finding waits on, or one mapped before) can be mapped
      const known = await rt.db.query(
        `SELECT 1 FROM occurrences WHERE workspace_id = $1 AND match_key = $2 AND repository_id IS NULL
          UNION ALL SELECT 1 FROM repo_mappings WHERE workspace_id = $1 AND match_key = $2 LIMIT 1`,
        [rt.workspaceId, params.key],
      )
      if (known.rows.length === 0)
        throw new ApiError(
          404,
          'not_found',
          `no finding waits on the target key ${JSON.stringify(params.key.slice(0, 200))}`,
          'use a key from GET /api/v1/unmatched',
        )
      const repo = (
        await rt.db.query(
          `SELECT id, full_name FROM repositories WHERE workspace_id = $1 AND id = $2 AND removed_at IS NULL`,
          [rt.workspaceId, repoId],
        )
      ).rows[0]
      if (!repo)
        throw new ApiError(
          422,
          'invalid_request',
          `repository ${repoId} does not exist`,
          'pick one from GET /api/v1/repositories',
        )
      await rt.db.query(
        `INSERT INTO repo_mappings (workspace_id, match_key, repository_id, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id, match_key) DO UPDATE SET repository_id = excluded.repository_id, created_by = excluded.created_by, created_at = now()`,
        [rt.workspaceId, params.key, repoId, principal.username ?? 'token'],
      )
      const joined = await rematchUnmatched(rt.db, rt.workspaceId, rt.now(), { matchKey: params.key })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: principal.username ?? 'token',
        action: 'mapping.save',
        target: params.key,
        detail: { repositoryId: repoId, joined },
      })
      return { key: params.key, repositoryId: repoId, repository: repo.full_name, joined }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/mappings',
    access: 'viewer',
    summary: 'Saved manual repository mappings',
    tags: ['repositories'],
    handler: async () => {
      const { rows } = await rt.db.query<any>(
        `SELECT m.match_key, m.repository_id, r.full_name, m.created_by, m.created_at FROM repo_mappings m JOIN repositories r ON r.id = m.repository_id
          WHERE m.workspace_id = $1 ORDER BY m.created_at DESC`,
        [rt.workspaceId],
      )
      return {
        items: rows.map((m) => ({
          key: m.match_key,
          repositoryId: String(m.repository_id),
          repository: m.full_name,
          createdBy: m.created_by,
          createdAt: iso(m.created_at),
        })),
      }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/audit',
    access: 'admin',
    summary: 'Audit events, newest first',
    tags: ['audit'],
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
    handler: async ({ query }) => {
      const { rows } = await rt.db.query<any>(
        `SELECT * FROM audit_events WHERE workspace_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
        [rt.workspaceId, query.limit],
      )
      return {
        items: rows.map((e) => ({
          id: String(e.id),
          actor: e.actor,
          action: e.action,
          target: e.target,
          detail: e.detail,
          at: iso(e.at),
        })),
      }
    },
  })
}
