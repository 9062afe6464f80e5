-- Time to fix and scanner overlap over long windows (issue 17, ADR 0011 "Update, 2026-12-03: time to fix and
-- overlap rolled up"). Both read every issue of the window: two years at 1,000,000 issues took 1.0 s (time to fix, half
-- a million fixes sorted three ways) and 6.8 s (overlap, every issue's sources and every pair of scanners covering its
-- target). Rolled up with the flows' periods (rows exist for what the flows are rolled past): fix times by month,
-- overlap by day and month (a month of issues took 0.3 s to count: the rest of a window must be short), by the issue's priority
-- and team as they are now, by priority ('p'), by team ('t', fix times) and by both ('pt').

-- Days from detection to the verified fix of the issues fixed in the month: how many, and their values in order when
-- there are at most 101, otherwise 101 percentiles (the 0.5th to the 99.5th) that stand for n / 101 fixes each.
CREATE TABLE insight_fix_times (
  workspace_id   uuid NOT NULL,
  month          date NOT NULL,
  grain          text NOT NULL,
  priority_rank  smallint,
  team_id        uuid,
  n              int NOT NULL,
  days           float8[] NOT NULL
);
CREATE INDEX insight_fix_times_month ON insight_fix_times (workspace_id, month);

-- Scanner overlap of the issues detected on the day, per pair of scanner kinds covering the issue's target and
-- ecosystem: the counts, and the days ahead when one found it first (at least a day), summarised as fix times are,
-- by priority ('p') and by priority and team ('pt'); and the same of each complete month (span 'month', day its
-- first), merged from its days (two years of days held half a million lead values at 1,000,000 issues: 0.5 s to read
-- and merge).
CREATE TABLE insight_overlap (
  workspace_id   uuid NOT NULL,
  span           text NOT NULL,
  day            date NOT NULL,
  grain          text NOT NULL,
  priority_rank  smallint,
  team_id        uuid,
  kind_a         text NOT NULL,
  kind_b         text NOT NULL,
  visible        int NOT NULL,
  only_a         int NOT NULL,
  only_b         int NOT NULL,
  found_both     int NOT NULL,
  neither        int NOT NULL,
  a_first        int NOT NULL,
  b_first        int NOT NULL,
  same_day       int NOT NULL,
  a_lead         float8[] NOT NULL,
  b_lead         float8[] NOT NULL
);
-- a window reads one grain (and for a team its rows) of months or days
CREATE INDEX insight_overlap_read ON insight_overlap (workspace_id, span, grain, team_id, day);

-- False positives by scanner from the flows too: the status events that marked an issue a false positive, by period
-- (they probed every false positive's sources: 160–240 ms for two years at 1,000,000 issues, loaded).
ALTER TABLE insight_flows ADD COLUMN false_positive int NOT NULL DEFAULT 0;

-- the flows are rolled up again from the first detection by the next minute's roll, and these with them: a month or a
-- day is read from these tables once the flows are rolled past it
DELETE FROM insight_flows;
DELETE FROM insight_flow_state;
DROP INDEX insight_flows_period;
CREATE INDEX insight_flows_period ON insight_flows (workspace_id, period)
  INCLUDE (priority, team_id, application_id, sources, new, fixed, reopened, decided, fixed_due, fixed_within, false_positive);

-- Days of scanner overlap to count again at the next roll (every minute): those of the issues whose source rows got
-- their detection at the end of a sync (a scanner found the issue, or found it too), those of the issues on targets
-- whose coverage changed then, and all of them (day NULL) when a connection was disconnected.
CREATE TABLE insight_overlap_dirty (
  workspace_id  uuid NOT NULL,
  day           date
);
CREATE INDEX insight_overlap_dirty_ws ON insight_overlap_dirty (workspace_id);
