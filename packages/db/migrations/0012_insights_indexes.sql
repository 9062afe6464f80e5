-- Insights at a million issues (issue 17, ADR 0011 "Measured"): each measure reads what its window holds through an
-- index, not the whole issues table. Chosen from EXPLAIN (ANALYZE, BUFFERS) of bench/insights.ts at 1,000,000 issues,
-- where every measure was a sequential scan of the issues (headline, time to fix, SLA) or a join of every status
-- event of the window to its issue (new versus fixed).

-- Issues verified fixed, by the day of the fix (time to fix, SLA compliance, the headline's median and count): the
-- window's fixed issues with every column those measures group or filter on, so the planner reads the index only.
CREATE INDEX issues_fixed ON issues (workspace_id, fixed_at)
  INCLUDE (detected_at, sla_due_at, priority_rank, owner_team_id, application_id) WHERE status = 'fixed';

-- Open issues by priority (the headline's open critical): a count of one rank of the open issues.
CREATE INDEX issues_open_rank ON issues (workspace_id, priority_rank)
  INCLUDE (owner_team_id, application_id) WHERE status = 'open';

-- Breached and due soon (the headline, SLA) with a team or application filter, from the index alone.
DROP INDEX issues_sla_open;
CREATE INDEX issues_sla_open ON issues (workspace_id, sla_due_at)
  INCLUDE (priority_rank, owner_team_id, application_id) WHERE status = 'open' AND sla_due_at IS NOT NULL;

-- New detections of a window (new versus fixed, scanner overlap) with the filters the dashboard offers and the
-- target and ecosystem scanner overlap groups by.
DROP INDEX issues_detected;
CREATE INDEX issues_detected ON issues (workspace_id, detected_at, id)
  INCLUDE (priority_rank, owner_team_id, application_id, target_key, ecosystem);

-- The status changes of a window (new versus fixed, fixed this week): counted from the index alone when no filter
-- asks for the issue.
CREATE INDEX issue_events_status ON issue_events (workspace_id, at) INCLUDE (issue_id, detail) WHERE type = 'status';

-- A level of the window's snapshot days from the index alone.
DROP INDEX insight_snapshots_day;
CREATE INDEX insight_snapshots_day ON insight_snapshots (workspace_id, day)
  INCLUDE (priority, team_id, application_id, sla_state, sources, open);

-- Decided issues (the decisions measure: accepted risk by expiry, false positives by source), from the index alone:
-- the decision's issues with their status and the dimensions the dashboard filters on.
DROP INDEX issues_decision;
CREATE INDEX issues_decision ON issues (decision_id) INCLUDE (id, workspace_id, status, priority_rank, owner_team_id, application_id)
  WHERE decision_id IS NOT NULL;

-- Scanner overlap: which connections report anything on each target and ecosystem (what each scanner "could see").
-- Read from all of a target's issues and their sources this was a join over every issue of the covered targets for
-- any window; kept here instead, per connection, rebuilt at the end of each of its syncs (refreshCoverage).
CREATE TABLE issue_coverage (
  workspace_id   uuid NOT NULL,
  connection_id  uuid NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  target_key     text NOT NULL,
  ecosystem      text NOT NULL,
  PRIMARY KEY (connection_id, target_key, ecosystem)
);
CREATE INDEX issue_coverage_target ON issue_coverage (workspace_id, target_key, ecosystem);
INSERT INTO issue_coverage (workspace_id, connection_id, target_key, ecosystem)
SELECT DISTINCT i.workspace_id, s.connection_id, i.target_key, i.ecosystem
  FROM issue_sources s JOIN issues i ON i.id = s.issue_id;

-- Each scanner's own first detection of the window's issues (scanner overlap), from the index alone.
DROP INDEX occurrences_issue;
CREATE INDEX occurrences_issue ON occurrences (issue_id) INCLUDE (connection_id, detected_at);

ANALYZE issues;
ANALYZE issue_events;
ANALYZE insight_snapshots;
ANALYZE issue_coverage;
