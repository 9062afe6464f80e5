-- vulnsync schema, version 1. Forward-only: never edit a released migration, add the next number.

CREATE TABLE workspaces (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  username       text NOT NULL,
  password_hash  text,
  role           text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  disabled_at    timestamptz
);
CREATE UNIQUE INDEX users_username ON users (workspace_id, lower(username));

CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id       uuid REFERENCES users(id) ON DELETE CASCADE,
  name          text NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  prefix        text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  expires_at    timestamptz,
  revoked_at    timestamptz
);

CREATE TABLE sessions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash   text NOT NULL UNIQUE,
  user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);

CREATE TABLE connections (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind           text NOT NULL,
  name           text NOT NULL,
  config         jsonb NOT NULL,
  secrets_enc    text NOT NULL,
  locations      jsonb,            -- null: everything the credentials can see; else an array of location ids
  schedule_cron  text NOT NULL DEFAULT '0 */6 * * *',
  next_sync_at   timestamptz,
  status         text NOT NULL DEFAULT 'active',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz
);
CREATE UNIQUE INDEX connections_name ON connections (workspace_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX connections_due ON connections (next_sync_at) WHERE deleted_at IS NULL;

CREATE TABLE repositories (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id    uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  connection_id   uuid NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  provider        text NOT NULL,
  external_id     text NOT NULL,
  full_name       text NOT NULL,
  url_key         text,
  clone_url       text,
  ssh_url         text,
  web_url         text NOT NULL,
  default_branch  text,
  archived        boolean NOT NULL DEFAULT false,
  visibility      text,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_run_id uuid,
  removed_at      timestamptz,
  UNIQUE (connection_id, external_id)
);
CREATE INDEX repositories_url_key ON repositories (workspace_id, url_key);
CREATE INDEX repositories_external ON repositories (workspace_id, provider, external_id);
CREATE INDEX repositories_name ON repositories (workspace_id, lower(full_name));

CREATE TABLE sync_runs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  connection_id  uuid NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  trigger        text NOT NULL CHECK (trigger IN ('initial', 'scheduled', 'manual', 'rematch')),
  status         text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'partial', 'cancelled', 'held')),
  queued_at      timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  heartbeat_at   timestamptz,
  attempts       int NOT NULL DEFAULT 0,
  progress       jsonb NOT NULL DEFAULT '{}',
  counts         jsonb NOT NULL DEFAULT '{}',
  cursor         jsonb,
  job_id         text,
  error          jsonb,
  incomplete_scopes jsonb NOT NULL DEFAULT '[]',
  complete_scopes jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, queued_at DESC);
CREATE UNIQUE INDEX sync_runs_one_active ON sync_runs (connection_id) WHERE status = 'running';

CREATE TABLE occurrences (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id       uuid NOT NULL,
  -- no foreign keys on this hot table: connections are soft-deleted and repositories never deleted (ADR 0002)
  connection_id      uuid NOT NULL,
  source_key         text NOT NULL,
  cve                text NOT NULL,
  aliases            jsonb NOT NULL DEFAULT '[]',
  package_purl       text NOT NULL,
  package_key        text NOT NULL,
  package_name       text NOT NULL,
  ecosystem          text NOT NULL,
  package_version    text,
  target             json NOT NULL,
  target_kind        text NOT NULL,
  target_name        text NOT NULL,
  match_key          text NOT NULL,
  match_display      text NOT NULL,
  ext_key            text,
  url_key            text,
  name_key           text,
  repository_id      bigint,
  issue_id           bigint,
  scope              text NOT NULL DEFAULT '',
  severity           text NOT NULL,
  vendor_severity    text NOT NULL,
  cvss               json,
  detected_at        timestamptz NOT NULL,
  detected_at_source text NOT NULL CHECK (detected_at_source IN ('vendor', 'first_seen')),
  fixed_versions     jsonb NOT NULL DEFAULT '[]',
  signals            jsonb NOT NULL DEFAULT '{}',
  vendor_factors     jsonb NOT NULL DEFAULT '[]',
  evidence           json NOT NULL DEFAULT '{}',
  vendor_state       text NOT NULL DEFAULT 'open',
  title              text,
  link               text,
  content_hash       text NOT NULL,
  -- excluded: its location is no longer selected on the connection; neither open nor verified fixed
  state              text NOT NULL CHECK (state IN ('present', 'absent', 'excluded')),
  first_seen_at      timestamptz NOT NULL,
  last_seen_at       timestamptz NOT NULL,
  last_seen_run_id   uuid NOT NULL,
  absent_since       timestamptz,
  UNIQUE (connection_id, source_key, cve)
);
CREATE INDEX occurrences_issue ON occurrences (issue_id);

-- the vendor's raw record, once per source record: one OX issue or Xray issue fans out to one occurrence per CVE
CREATE TABLE source_records (
  connection_id  uuid NOT NULL,
  source_key     text NOT NULL,
  raw            json,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, source_key)
);
CREATE INDEX occurrences_unmatched ON occurrences (workspace_id, match_key) WHERE repository_id IS NULL;

-- issues and issue_sources are written in bulk by the ingest engine: no foreign keys (their row triggers cost
-- more than the rest of the insert); the engine keeps them consistent (ADR 0002)
CREATE TABLE issues (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id    uuid NOT NULL,
  target_key      text NOT NULL,
  package_key     text NOT NULL,
  cve             text NOT NULL,
  repository_id   bigint,
  target_kind     text NOT NULL,
  target_name     text NOT NULL,
  target_url      text,
  package_name    text NOT NULL,
  ecosystem       text NOT NULL,
  aliases         jsonb NOT NULL DEFAULT '[]',
  versions        jsonb NOT NULL DEFAULT '[]',
  fixed_versions  jsonb NOT NULL DEFAULT '[]',
  severity        text NOT NULL,
  severity_rank   smallint NOT NULL,
  priority        text NOT NULL,
  priority_rank   smallint NOT NULL,
  factors         json NOT NULL DEFAULT '[]',
  explanation     text NOT NULL DEFAULT '',
  status          text NOT NULL CHECK (status IN ('open', 'fixed', 'excluded')),
  detected_at     timestamptz NOT NULL,
  first_seen_at   timestamptz NOT NULL,
  last_seen_at    timestamptz NOT NULL,
  fixed_at        timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, target_key, package_key, cve)
);
CREATE INDEX issues_queue ON issues (workspace_id, priority_rank DESC, id DESC);
CREATE INDEX issues_severity ON issues (workspace_id, severity_rank DESC, id DESC);
CREATE INDEX issues_detected ON issues (workspace_id, detected_at, id);
CREATE INDEX issues_cve ON issues (workspace_id, cve);
CREATE INDEX issues_repository ON issues (repository_id);

-- one row per (issue, connection) reporting it: the "sources" of an issue, and the source-tool filter
CREATE TABLE issue_sources (
  issue_id       bigint NOT NULL,
  connection_id  uuid NOT NULL,
  kind           text NOT NULL,
  present        boolean NOT NULL,
  PRIMARY KEY (issue_id, connection_id)
);
CREATE INDEX issue_sources_kind ON issue_sources (kind, issue_id);

CREATE TABLE repo_mappings (
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  match_key      text NOT NULL,
  repository_id  bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, match_key)
);

CREATE TABLE audit_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  actor         text NOT NULL,
  action        text NOT NULL,
  target        text,
  detail        jsonb NOT NULL DEFAULT '{}',
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_at ON audit_events (workspace_id, at DESC);
