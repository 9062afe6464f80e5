-- PGlite (the embedded database) has no autovacuum. The server vacuums what a sync or a feed refresh changed after
-- each, and the whole database once a day for the rest (the job queue's rows, sessions, runs, outbound state): the
-- scheduler's minute claims the day's run here, so a restart neither repeats it nor puts it off (ADR 0016).
CREATE TABLE maintenance_tasks (
  task     text PRIMARY KEY,
  last_at  timestamptz
);
INSERT INTO maintenance_tasks (task) VALUES ('vacuum_database');

-- Until now each EPSS refresh on PGlite left the day before's scores behind (about 16 MB a day at 250,000 scores):
-- the scores are rewritten once, compact (0.65 s for six days of them). The staging tables and the feed's list of
-- changes hold no rows between loads: their indexes are built again from none (a VACUUM never shrinks an index
-- file), and the first VACUUM, the day's in the first minute after the upgrade, truncates their tables.
CLUSTER epss_scores USING epss_scores_pkey;
REINDEX TABLE epss_staging;
REINDEX TABLE kev_staging;
REINDEX TABLE feed_changes;
