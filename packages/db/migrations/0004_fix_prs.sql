-- Fix plans and fix pull requests (issue 13).

-- what a plan needs from each occurrence: the manifest a source names, and the affected ranges it gives (Endor)
ALTER TABLE occurrences ADD COLUMN manifest_path text;
ALTER TABLE occurrences ADD COLUMN affected_ranges jsonb;

-- a fix pull request (merge request) vulnsync opened: one per repository and manifest directory while it is open
CREATE TABLE fix_prs (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  repository_id  bigint NOT NULL REFERENCES repositories(id),
  connection_id  uuid NOT NULL,
  provider       text NOT NULL,
  manifest_dir   text NOT NULL,
  branch         text NOT NULL,
  base_branch    text NOT NULL,
  number         int NOT NULL,
  url            text NOT NULL,
  state          text NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
  title          text NOT NULL,
  body           text NOT NULL,
  -- [{path, diff}] as committed; [{name, from, to, strategy, detail, cves}] as applied
  changes        jsonb NOT NULL DEFAULT '[]',
  packages       jsonb NOT NULL DEFAULT '[]',
  head_sha       text,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  merged_at      timestamptz,
  closed_at      timestamptz,
  refreshed_at   timestamptz
);
CREATE UNIQUE INDEX fix_prs_one_open ON fix_prs (repository_id, manifest_dir) WHERE state = 'open';
CREATE UNIQUE INDEX fix_prs_number ON fix_prs (repository_id, number);
CREATE INDEX fix_prs_workspace ON fix_prs (workspace_id, id DESC);

-- the issues a fix pull request covers
CREATE TABLE fix_pr_issues (
  fix_pr_id  bigint NOT NULL REFERENCES fix_prs(id) ON DELETE CASCADE,
  issue_id   bigint NOT NULL,
  PRIMARY KEY (fix_pr_id, issue_id)
);
CREATE INDEX fix_pr_issues_issue ON fix_pr_issues (issue_id);

-- {pullRequest: {id, number, url}}: a complete scanner sync after the merge no longer reported it
ALTER TABLE issues ADD COLUMN fixed_by jsonb;
-- {status: 'still_vulnerable', pullRequest, versions, sources, at}: a scan after the merge still reports it
ALTER TABLE issues ADD COLUMN fix_verification jsonb;
