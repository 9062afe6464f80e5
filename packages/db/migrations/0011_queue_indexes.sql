-- The queue at a million issues (ADR 0013): indexes chosen from EXPLAIN (ANALYZE, BUFFERS) on 1,000,000 issues.

-- The default sort is (priority_rank DESC, severity_rank DESC, id DESC), and the severity sort the same with the first
-- two swapped. The old indexes stopped after the first rank, so every page read the whole first group (all critical
-- issues, 70,000 at a million) into an incremental sort. With every sort column in the index a page is 51 index
-- entries, the cursor is a row comparison on the same columns (an index condition), and a filter on the other rank
-- (severity=…, priority=…) is a skip scan of the same index (PostgreSQL 18, and PGlite 0.5 is PostgreSQL 18).
DROP INDEX issues_queue;
CREATE INDEX issues_queue ON issues (workspace_id, priority_rank DESC, severity_rank DESC, id DESC);
DROP INDEX issues_severity;
CREATE INDEX issues_severity ON issues (workspace_id, severity_rank DESC, priority_rank DESC, id DESC);

-- The repository filter by name (what the queue's "Repository or image" box sends): an exact, case-blind match on the
-- issue's target name, one of 5,000 repositories.
CREATE INDEX issues_target_name ON issues (lower(target_name));

-- The package filter by purl: one package of thousands.
CREATE INDEX issues_package_key ON issues (workspace_id, package_key);

-- Free text: one trigram index over the fields the text is looked for in, joined by newlines (a text without a
-- newline found in the joined text is found in one field); a package name fragment: trigrams of the name.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX issues_package_name ON issues USING gin (package_name gin_trgm_ops);
CREATE FUNCTION issue_search_text(cve text, package_name text, target_name text, aliases jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT cve || E'\n' || package_name || E'\n' || target_name || E'\n' || aliases::text $$;
CREATE INDEX issues_search ON issues USING gin (issue_search_text(cve, package_name, target_name, aliases) gin_trgm_ops);

-- statistics for the new expression indexes (the planner's choice between them and a walk of issues_queue depends
-- on them; PGlite has no autovacuum to gather them later)
ANALYZE issues;
