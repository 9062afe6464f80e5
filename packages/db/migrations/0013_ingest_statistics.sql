-- The ingest analyses the tables it grows after each batch (ADR 0014), and autovacuum analyses them too: ANALYZE reads
-- a sample of up to 30,000 rows and computes statistics for every column, the wide JSON ones included (sorting
-- 30,000 jsonb values). No query filters, joins or groups on the columns below (they are only read back), so the
-- planner has no use for their statistics: they are not gathered. At 30,000 occurrences ANALYZE occurrences took
-- 586 ms with them and 310 ms without, ANALYZE issues 390 ms and 307 ms (ADR 0014, update of 2026-12-03).
ALTER TABLE occurrences
  ALTER COLUMN aliases SET STATISTICS 0,
  ALTER COLUMN package_purl SET STATISTICS 0,
  ALTER COLUMN package_version SET STATISTICS 0,
  ALTER COLUMN target SET STATISTICS 0,
  ALTER COLUMN target_version SET STATISTICS 0,
  ALTER COLUMN ext_key SET STATISTICS 0,
  ALTER COLUMN url_key SET STATISTICS 0,
  ALTER COLUMN name_key SET STATISTICS 0,
  ALTER COLUMN vendor_severity SET STATISTICS 0,
  ALTER COLUMN cvss SET STATISTICS 0,
  ALTER COLUMN detected_at_source SET STATISTICS 0,
  ALTER COLUMN fixed_versions SET STATISTICS 0,
  ALTER COLUMN signals SET STATISTICS 0,
  ALTER COLUMN vendor_factors SET STATISTICS 0,
  ALTER COLUMN evidence SET STATISTICS 0,
  ALTER COLUMN title SET STATISTICS 0,
  ALTER COLUMN link SET STATISTICS 0,
  ALTER COLUMN first_seen_at SET STATISTICS 0,
  ALTER COLUMN last_seen_at SET STATISTICS 0,
  ALTER COLUMN absent_since SET STATISTICS 0,
  ALTER COLUMN affected_ranges SET STATISTICS 0;
ALTER TABLE issues
  ALTER COLUMN target_url SET STATISTICS 0,
  ALTER COLUMN versions SET STATISTICS 0,
  ALTER COLUMN fixed_versions SET STATISTICS 0,
  ALTER COLUMN factors SET STATISTICS 0,
  ALTER COLUMN explanation SET STATISTICS 0,
  ALTER COLUMN target_versions SET STATISTICS 0;
ALTER TABLE source_records ALTER COLUMN raw SET STATISTICS 0;
