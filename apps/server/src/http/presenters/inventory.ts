import type { Mapping, Repository, UnmatchedTarget } from '@vulnsync/api'
import type { RepositoryListRow, UnmatchedRow } from '@vulnsync/db'
import { iso, isoRequired } from './time.ts'

export const presentRepository = (x: RepositoryListRow): Repository => ({
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
})

export const presentUnmatched = (x: UnmatchedRow): UnmatchedTarget => ({
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
})

export const presentMapping = (m: {
  match_key: string
  repository_id: number
  full_name: string
  created_by: string | null
  created_at: Date
}): Mapping => ({
  key: m.match_key,
  repositoryId: String(m.repository_id),
  repository: m.full_name,
  createdBy: m.created_by,
  createdAt: isoRequired(m.created_at),
})
