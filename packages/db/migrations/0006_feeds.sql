-- Prioritisation feeds: the CISA KEV catalog and FIRST EPSS scores (public data, shared by every workspace), the
-- feed values each issue was last prioritised with, and the CVEs whose values changed and wait for a recompute.

-- one row per feed: where it comes from and how its last refresh went
CREATE TABLE feeds (
  name             text PRIMARY KEY CHECK (name IN ('kev', 'epss')),
  -- null: the configured URL (VULNSYNC_KEV_URL / VULNSYNC_EPSS_URL); else set with PATCH /api/v1/feeds/{name}
  url              text,
  -- disabled: no download (the daily one nor on demand); what is loaded stays in use (air-gapped: import files)
  enabled          boolean NOT NULL DEFAULT true,
  entries          int NOT NULL DEFAULT 0,
  -- KEV: the date part of dateReleased; EPSS: score_date
  feed_date        date,
  -- KEV: catalogVersion; EPSS: model_version
  version          text,
  -- the URL or file the loaded data came from, and when it was loaded
  loaded_from      text,
  loaded_at        timestamptz,
  -- the last refresh, successful or not: its request, start, end, error (null when it succeeded) and outcome
  requested_at     timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz,
  last_error       jsonb,
  last_outcome     jsonb,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  updated_by       text
);
INSERT INTO feeds (name) VALUES ('kev'), ('epss');

CREATE TABLE kev_entries (
  cve               text PRIMARY KEY,
  date_added        date NOT NULL,
  due_date          date,
  known_ransomware  boolean NOT NULL,
  vendor_project    text NOT NULL,
  product           text NOT NULL,
  name              text NOT NULL
);

-- scored_on: the score date of the file that gave this score (an unchanged score keeps the date it was first seen)
CREATE TABLE epss_scores (
  cve         text PRIMARY KEY,
  score       double precision NOT NULL,
  percentile  double precision NOT NULL,
  scored_on   date NOT NULL
);

-- a download is read into staging (batch by batch, outside any transaction), judged, and only then merged: a failed
-- or implausible one never touches the data in use
CREATE TABLE kev_staging (
  load_id           uuid NOT NULL,
  cve               text NOT NULL,
  date_added        date NOT NULL,
  due_date          date,
  known_ransomware  boolean NOT NULL,
  vendor_project    text NOT NULL,
  product           text NOT NULL,
  name              text NOT NULL
);
CREATE INDEX kev_staging_load ON kev_staging (load_id, cve);
CREATE TABLE epss_staging (
  load_id     uuid NOT NULL,
  cve         text NOT NULL,
  score       double precision NOT NULL,
  percentile  double precision NOT NULL
);
CREATE INDEX epss_staging_load ON epss_staging (load_id, cve);

-- CVEs whose feed values changed and whose issues are not recomputed yet: the merge writes them in its transaction,
-- the recompute deletes them when done; a refresh that dies in between leaves them to the next. cve '*' means every
-- issue (the first load of a feed).
CREATE TABLE feed_changes (
  feed  text NOT NULL,
  cve   text NOT NULL,
  PRIMARY KEY (feed, cve)
);

-- the feed values an issue's priority was computed with (null: not listed / not scored); shown with the issue and
-- filtered on (kev=true, epssMin)
ALTER TABLE issues ADD COLUMN kev jsonb;
ALTER TABLE issues ADD COLUMN epss jsonb;

-- a feed refresh rewrites the feed values (and the factors) of every issue of a changed CVE, leaving the indexed
-- columns alone unless the priority moves: room on each page lets PostgreSQL update such a row in place (a HOT
-- update) instead of adding an entry to each of the issue indexes
ALTER TABLE issues SET (fillfactor = 80);
