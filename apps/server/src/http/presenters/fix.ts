import type { FixPlan as ApiFixPlan, FixPullRequest } from '@vulnsync/api'
import type { FixPlan } from '@vulnsync/core'
import type { FixPrRow } from '@vulnsync/db'
import { iso, isoRequired } from './time.ts'

export const presentFixPlan = (p: FixPlan): ApiFixPlan => ({
  target: p.targetKey,
  package: { purl: p.package.key, name: p.package.name, ecosystem: p.package.ecosystem },
  manifest: p.manifest ? { path: p.manifest.path, editable: p.manifest.kind !== null } : null,
  installedVersion: p.installedVersion,
  fixVersion: p.fixVersion,
  fixes: p.fixes,
  remaining: p.remaining,
  majorBump: p.majorBump,
  strategy: p.strategy,
  versionSource: p.versionSource,
  command: p.command,
  explanation: p.explanation,
  issueIds: p.issueIds,
})

export const presentFixPr = (r: FixPrRow): FixPullRequest => ({
  id: String(r.id),
  repositoryId: String(r.repository_id),
  repository: r.repository,
  provider: r.provider,
  url: r.url,
  number: r.number,
  branch: r.branch,
  baseBranch: r.base_branch,
  state: r.state,
  title: r.title,
  manifestDir: r.manifest_dir,
  issueIds: r.issue_ids.map(String),
  createdBy: r.created_by,
  createdAt: isoRequired(r.created_at),
  updatedAt: isoRequired(r.updated_at),
  mergedAt: iso(r.merged_at),
  closedAt: iso(r.closed_at),
  refreshedAt: iso(r.refreshed_at),
})
