-- The search terms a statement adds, in one order (workspace, field, term): two transactions that add overlapping
-- terms take the unique index's entries in the same order, so neither waits on the other in a cycle. Since ADR 0015,
-- two batches of one sync are written at once on PostgreSQL, and syncs of several connections always could be.
CREATE OR REPLACE FUNCTION issues_add_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO issue_search_terms (workspace_id, field, term)
  SELECT DISTINCT i.workspace_id, t.field, t.term
    FROM new_issues i CROSS JOIN LATERAL issue_terms(i.cve, i.package_name, i.target_name, i.aliases) t
   ORDER BY 1, 2, 3
  ON CONFLICT (workspace_id, field, md5(term)) DO NOTHING;
  RETURN NULL;
END
$$;
