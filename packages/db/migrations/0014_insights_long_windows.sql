-- Each source's own first detection of an issue, kept on the issue's source row (issue 17, ADR 0011 "Update,
-- 2026-12-03: long windows"). Scanner overlap read it from every occurrence of the window's issues: a sequential scan
-- of the occurrences (2.0 s of 2.9 s for 90 days at 1,000,000 issues). NULL until the end of the sync that wrote the row
-- (refreshCoverage fills it in); a source with no occurrence of its own (generated demo history) stays NULL and
-- counts from the issue's detection.
ALTER TABLE issue_sources ADD COLUMN detected_at timestamptz;
UPDATE issue_sources s SET detected_at = x.at
  FROM (SELECT issue_id, connection_id, min(detected_at) AS at FROM occurrences WHERE issue_id IS NOT NULL GROUP BY 1, 2) x
 WHERE s.issue_id = x.issue_id AND s.connection_id = x.connection_id;

-- The source rows of an issue with their kind and detection from the index alone: scanner overlap, false positives
-- by scanner and the snapshots' source sets probe it once per issue (they took up to seven probes of
-- issue_sources_kind and a heap fetch each).
ALTER TABLE issue_sources DROP CONSTRAINT issue_sources_pkey;
ALTER TABLE issue_sources ADD CONSTRAINT issue_sources_pkey PRIMARY KEY (issue_id, connection_id) INCLUDE (kind, detected_at);

ANALYZE issue_sources;

-- Flows by period (new versus fixed and SLA compliance over long windows): new detections, status changes (fixed,
-- reopened, decided) and the SLA of the fixes counted by period and by the snapshots' dimensions, so a two-year window sums about a hundred periods instead of a
-- million issues and their events. A period is a week (from Monday) cut at the first of a month: it never straddles
-- a week or a month, so both intervals add whole periods. Complete periods only; the state says how far.
CREATE TABLE insight_flows (
  workspace_id    uuid NOT NULL,
  period          date NOT NULL,
  priority        text NOT NULL,
  team_id         uuid,
  application_id  uuid,
  sources         text[] NOT NULL,
  new             int NOT NULL,
  fixed           int NOT NULL,
  reopened        int NOT NULL,
  decided         int NOT NULL,
  -- issues verified fixed now whose fix falls in the period and that had a due date, and of them fixed by it (SLA
  -- compliance); a reopened issue leaves its fix's period at the end of the sync that reopened it
  fixed_due       int NOT NULL,
  fixed_within    int NOT NULL
);
CREATE INDEX insight_flows_period ON insight_flows (workspace_id, period)
  INCLUDE (priority, team_id, application_id, sources, new, fixed, reopened, decided, fixed_due, fixed_within);

-- the periods before rolled_to are rolled up; rolled_at (the database's clock) is when, so the end of a sync can find
-- the issues created since with a detection in a rolled period
CREATE TABLE insight_flow_state (
  workspace_id  uuid PRIMARY KEY,
  rolled_to     date NOT NULL,
  rolled_at     timestamptz NOT NULL
);
