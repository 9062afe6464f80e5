-- Insights (issue 17, ADR 0011): the daily level of open issues, as counts by priority, owner, sources and SLA state.
-- Flows (new, fixed, reopened, decided) are read from issues and issue_events; nothing here copies an issue.

-- one row per day and combination of dimensions that has open issues; a day's rows are replaced as a whole
CREATE TABLE insight_snapshots (
  workspace_id    uuid NOT NULL,
  day             date NOT NULL,
  priority        text NOT NULL,
  team_id         uuid,
  application_id  uuid,
  sla_state       text NOT NULL CHECK (sla_state IN ('none', 'ok', 'due_soon', 'breached')),
  -- the connector kinds reporting the issues, sorted and distinct ('{}' when none)
  sources         text[] NOT NULL,
  open            int NOT NULL CHECK (open > 0)
);
CREATE INDEX insight_snapshots_day ON insight_snapshots (workspace_id, day);

-- the days that have a snapshot (a day with no open issue has no rows above, but a row here), and how it was taken
CREATE TABLE insight_snapshot_days (
  workspace_id  uuid NOT NULL,
  day           date NOT NULL,
  taken_at      timestamptz NOT NULL,
  origin        text NOT NULL CHECK (origin IN ('daily', 'sync', 'backfill', 'generated')),
  PRIMARY KEY (workspace_id, day)
);
