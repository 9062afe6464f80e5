-- Ownership: teams, applications, ownership rules, the repositories' CODEOWNERS, and who owns each issue and why.

CREATE TABLE teams (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id         uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name                 text NOT NULL,
  -- what `@org/<slug>` in CODEOWNERS names
  slug                 text NOT NULL,
  -- applied to new issues of the team that nobody is assigned to
  default_assignee_id  uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_slug ON teams (workspace_id, lower(slug));
CREATE UNIQUE INDEX teams_name ON teams (workspace_id, lower(name));

CREATE TABLE team_members (
  team_id  uuid NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- a named group of repositories and images with a business priority; made in vulnsync (origin user) or brought by
-- a scanner sync (origin scanner: an OX application, keyed by the connection and the scanner's id)
CREATE TABLE applications (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id       uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name               text NOT NULL,
  business_priority  real CHECK (business_priority BETWEEN 0 AND 100),
  origin             text NOT NULL CHECK (origin IN ('user', 'scanner')),
  connection_id      uuid REFERENCES connections(id) ON DELETE CASCADE,
  external_key       text,
  -- how the tool is named in reasons ("OX business priority 97")
  source_label       text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK ((origin = 'scanner') = (connection_id IS NOT NULL AND external_key IS NOT NULL))
);
CREATE UNIQUE INDEX applications_external ON applications (connection_id, external_key) WHERE connection_id IS NOT NULL;
CREATE UNIQUE INDEX applications_name ON applications (workspace_id, lower(name)) WHERE origin = 'user';

-- what an application groups: issue target keys (`repo:<id>`, `image:<name in lower case>`)
CREATE TABLE application_targets (
  application_id  uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  target_key      text NOT NULL,
  PRIMARY KEY (application_id, target_key)
);
CREATE INDEX application_targets_key ON application_targets (target_key);

-- manual rules, asked first, by position (1 = first); every given glob must match
CREATE TABLE ownership_rules (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id      uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  position          int NOT NULL CHECK (position >= 1),
  match_repository  text,
  match_image       text,
  match_path        text,
  team_id           uuid REFERENCES teams(id),
  application_id    uuid REFERENCES applications(id),
  created_by        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (team_id IS NOT NULL OR application_id IS NOT NULL),
  CHECK (match_repository IS NOT NULL OR match_image IS NOT NULL OR match_path IS NOT NULL)
);
CREATE INDEX ownership_rules_position ON ownership_rules (workspace_id, position);

ALTER TABLE repositories ADD COLUMN default_team_id uuid REFERENCES teams(id) ON DELETE SET NULL;

-- the CODEOWNERS file of a repository's default branch, as the last SCM sync read it, with its bad lines
CREATE TABLE repository_codeowners (
  repository_id  bigint PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  path           text NOT NULL,
  dialect        text NOT NULL CHECK (dialect IN ('github', 'gitlab')),
  content        text NOT NULL,
  content_hash   text NOT NULL,
  errors         jsonb NOT NULL DEFAULT '[]',
  read_at        timestamptz NOT NULL,
  changed_at     timestamptz NOT NULL
);

-- what a scanner says: the manifest the finding comes from, and who it says owns it (vendor-neutral JSON)
ALTER TABLE occurrences ADD COLUMN IF NOT EXISTS manifest_path text; -- 0004 (fix plans) adds it too
ALTER TABLE occurrences ADD COLUMN ownership jsonb;

-- everything an issue's ownership depends on, once per distinct combination (many issues share one manifest),
-- and the answer: recomputing ownership resolves each context once and moves its issues in one statement
CREATE TABLE owner_contexts (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id    uuid NOT NULL,
  target_key      text NOT NULL,
  repository_id   bigint,
  target_kind     text NOT NULL,
  target_name     text NOT NULL,
  manifest_path   text NOT NULL DEFAULT '',
  scanner_key     text NOT NULL DEFAULT '',
  -- {connectionId, data: ScannerOwnership} of the occurrence that speaks for the issue, or null
  scanner         jsonb,
  team_id         uuid,
  application_id  uuid,
  source          text CHECK (source IN ('rule', 'codeowners', 'scanner', 'default')),
  reason          text,
  resolved_at     timestamptz,
  UNIQUE (workspace_id, target_key, manifest_path, scanner_key)
);
CREATE INDEX owner_contexts_repository ON owner_contexts (repository_id);

-- no foreign keys on this hot table (ADR 0002): the ownership store keeps them consistent
ALTER TABLE issues ADD COLUMN owner_context_id bigint;
ALTER TABLE issues ADD COLUMN owner_team_id uuid;
ALTER TABLE issues ADD COLUMN application_id uuid;
CREATE INDEX issues_owner_context ON issues (owner_context_id);
-- issues still without a context (imported before ownership existed): a full recompute looks for them first
CREATE INDEX issues_without_owner_context ON issues (workspace_id, id) WHERE owner_context_id IS NULL;
-- the queue filtered by team (or `none`), in priority order
CREATE INDEX issues_owner_team ON issues (workspace_id, owner_team_id, priority_rank DESC, severity_rank DESC, id DESC);
CREATE INDEX issues_application ON issues (application_id, priority_rank DESC, severity_rank DESC, id DESC)
  WHERE application_id IS NOT NULL;
