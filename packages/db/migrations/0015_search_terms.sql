-- Free text over a table of distinct search terms (ADR 0013, "Update: free text over search terms"): the values free
-- text looks in (an issue's CVE, package name, target name and each of its aliases), once per workspace and field,
-- with one trigram index over them: tens of thousands of rows where the two trigram indexes of migration 0011 held
-- the trigrams of every issue, and were the costliest of the issue indexes to write.
--
-- A statement trigger adds the terms of the rows an INSERT into issues wrote (its transition table, once per statement,
-- set-based), whoever inserts them; the engine adds the aliases a recompute gives an issue (addAliasSearchTerms,
-- packages/db/src/search-terms.ts), the one change of a term after an issue is created. A term no issue holds any
-- more (its issues were removed) stays: it matches nothing, since issues are looked up by it, so it is harmless and
-- costs one small row.
CREATE TABLE issue_search_terms (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  field        text NOT NULL CHECK (field IN ('cve', 'package', 'target', 'alias')),
  term         text NOT NULL
);
-- unique by a digest: an alias is free text of any length, and a btree entry holds at most 2,704 bytes
CREATE UNIQUE INDEX issue_search_terms_key ON issue_search_terms (workspace_id, field, md5(term));
CREATE INDEX issue_search_terms_trgm ON issue_search_terms USING gin (term gin_trgm_ops);

-- an issue's terms, one row (field, term) each
CREATE FUNCTION issue_terms(cve text, package_name text, target_name text, aliases jsonb)
RETURNS TABLE (field text, term text) LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT 'cve', cve UNION ALL SELECT 'package', package_name UNION ALL SELECT 'target', target_name
  UNION ALL SELECT 'alias', a FROM jsonb_array_elements_text(aliases) a
$$;

CREATE FUNCTION issues_add_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO issue_search_terms (workspace_id, field, term)
  SELECT DISTINCT i.workspace_id, t.field, t.term
    FROM new_issues i CROSS JOIN LATERAL issue_terms(i.cve, i.package_name, i.target_name, i.aliases) t
  ON CONFLICT (workspace_id, field, md5(term)) DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER issues_search_terms AFTER INSERT ON issues REFERENCING NEW TABLE AS new_issues
  FOR EACH STATEMENT EXECUTE FUNCTION issues_add_search_terms();

-- the terms of the issues there are
INSERT INTO issue_search_terms (workspace_id, field, term)
SELECT DISTINCT i.workspace_id, t.field, t.term
  FROM issues i CROSS JOIN LATERAL issue_terms(i.cve, i.package_name, i.target_name, i.aliases) t
ON CONFLICT DO NOTHING;

-- The per-issue trigram indexes go. From a matching term to its issues: the CVE by issues_cve (workspace_id, cve), the target name by
-- issues_target_name (lower(target_name)), the package name and the aliases by these two (a package name is part of
-- the package key, which a btree index holds already, so it fits one too).
DROP INDEX issues_search;
DROP FUNCTION issue_search_text(text, text, text, jsonb);
DROP INDEX issues_package_name;
CREATE INDEX issues_package_name ON issues (workspace_id, package_name);
CREATE INDEX issues_aliases ON issues USING gin (aliases);

ANALYZE issues;
ANALYZE issue_search_terms;
