-- An issue no longer stores the EPSS value it was prioritised with. The daily file moves nearly every score a little,
-- and an issue that quoted its score (in its epss column, its factor text and its sentence) had to be rewritten every
-- day. What decides the priority is only which side of the policy's thresholds the score is on, and that stays stored
-- (the code of the EPSS factor: epss_high, epss, epss_low); the score, percentile and date are joined from
-- epss_scores when the issue is read, and the factor text and the sentence hold a mark in their place.

-- the CVEs an issue is looked up by in the feeds: its own and every CVE among its aliases, upper case (as feedKeys in
-- packages/core does); used to join epss_scores when an issue is read and by the queue's epssMin filter
CREATE FUNCTION issue_feed_keys(cve text, aliases jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN aliases IS NULL OR aliases::text NOT ILIKE '%cve-%' THEN ARRAY[upper(btrim(cve))]
    ELSE ARRAY[upper(btrim(cve))] || ARRAY(
      SELECT upper(btrim(a)) FROM jsonb_array_elements_text(aliases) a
       WHERE a ~* '^\s*cve-[0-9]{4}-[0-9]{4,}\s*$')
  END
$$;

ALTER TABLE issues DROP COLUMN epss;

-- the issues computed before this version quote the value in their factors and sentence: the next EPSS refresh
-- recomputes every issue once, storing the mark instead
INSERT INTO feed_changes (feed, cve)
SELECT 'epss', '*' FROM feeds WHERE name = 'epss' AND loaded_at IS NOT NULL
ON CONFLICT DO NOTHING;
