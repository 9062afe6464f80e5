import type { Queryable } from './driver.ts'

/**
 * The queue's free text over the table of distinct search terms (migration 0015, ADR 0013): each workspace's CVEs,
 * package names, target names and aliases once each, with one trigram index; the issues holding a matching term are
 * then found through equality indexes on issues. A term no issue holds any more matches no issue, so terms are only
 * ever added, in the transaction that inserts an issue or changes its aliases.
 */

/**
 * Adds the aliases of these issues to the terms, set-based, those the table does not hold yet: what a recompute
 * changes. In one order, as the trigger adds them (migration 0017), so concurrent writers never wait in a cycle. A
 * new issue's terms are added as it is inserted (the statement trigger issues_search_terms, migration 0015, over the
 * statement's new rows), whoever inserts it: the engine, the demo's history, a test or a benchmark.
 */
export const addAliasSearchTerms = async (db: Queryable, issueIds: number[]): Promise<void> => {
  if (issueIds.length === 0) return
  await db.query(
    `INSERT INTO issue_search_terms (workspace_id, field, term)
     SELECT DISTINCT i.workspace_id, 'alias', a.term
       FROM issues i CROSS JOIN LATERAL jsonb_array_elements_text(i.aliases) a(term)
      WHERE i.id = ANY($1::bigint[])
      ORDER BY 1, 3
     ON CONFLICT (workspace_id, field, md5(term)) DO NOTHING`,
    [issueIds],
  )
}

export const SEARCH_FIELDS = ['cve', 'package', 'target', 'alias'] as const
export type SearchField = (typeof SEARCH_FIELDS)[number]

/** The terms a text matched, by field, looked up before the query that reads the issues (withSearchTerms). */
export interface SearchTermMatch {
  /** the ILIKE pattern they match */
  like: string
  /** by field; the target names lower-cased */
  terms: Record<SearchField, string[]>
}

/**
 * Above this many matching terms the text is broad (most issues hold one): the terms are not passed to the query as
 * values; it looks them up itself (searchTextCondition), and the planner walks the sort index checking each issue.
 */
export const MAX_LISTED_TERMS = 2000

/** The terms of workspace `ws` matching `like` (of `field` only, when given), or null when there are more than `max`. */
export const matchSearchTerms = async (
  db: Queryable,
  ws: string,
  like: string,
  o: { field?: SearchField; max?: number } = {},
): Promise<SearchTermMatch | null> => {
  const max = o.max ?? MAX_LISTED_TERMS
  // a target name is compared lower-cased (issues_target_name), so its term comes lower-cased as the database does it
  const { rows } = await db.query<{ field: SearchField; term: string }>(
    `SELECT t.field, CASE WHEN t.field = 'target' THEN lower(t.term) ELSE t.term END AS term FROM issue_search_terms t
      WHERE t.workspace_id = $1 AND t.term ILIKE $2 ${o.field ? 'AND t.field = $3' : ''} LIMIT ${max + 1}`,
    o.field ? [ws, like, o.field] : [ws, like],
  )
  if (rows.length > max) return null
  const terms = { cve: [], package: [], target: [], alias: [] } as Record<SearchField, string[]>
  for (const r of rows) terms[r.field].push(r.term)
  return { like, terms }
}

/**
 * The condition "issue `i` holds one of these terms in its field": each field by its index (issues_cve,
 * issues_package_name, issues_target_name, issues_aliases), the terms as values, so the planner estimates the
 * matches from each term's statistics (a rare match is read through the indexes, a common one by walking the sort
 * index). A name equal to a term but for case matches the same pattern (ILIKE compares lower-cased text).
 * `p` adds a parameter and gives its placeholder.
 */
export const listedTermsCondition = (m: SearchTermMatch, p: (v: unknown) => string): string => {
  const { cve, package: pkg, target, alias } = m.terms
  const ors = [
    cve.length ? `i.cve = ANY(${p(cve)}::text[])` : null,
    pkg.length ? `i.package_name = ANY(${p(pkg)}::text[])` : null,
    target.length ? `lower(i.target_name) = ANY(${p(target)}::text[])` : null,
    alias.length ? `i.aliases ?| ${p(alias)}::text[]` : null,
  ].filter((x) => x !== null)
  return ors.length ? `(${ors.join(' OR ')})` : 'false'
}

/** the terms of one field of workspace `ws` that match the ILIKE pattern `like` (placeholders) */
const termsOf = (field: SearchField, ws: string, like: string) =>
  `SELECT t.term FROM issue_search_terms t WHERE t.workspace_id = ${ws} AND t.field = '${field}' AND t.term ILIKE ${like}`

/**
 * The same condition with the terms looked up in the query (a broad text, or a reader that did not look them up
 * first): each field against the matching terms, hashed once.
 */
export const searchTextCondition = (ws: string, like: string) =>
  `(i.cve IN (${termsOf('cve', ws, like)}) OR i.package_name IN (${termsOf('package', ws, like)})
    OR lower(i.target_name) IN (SELECT lower(s.term) FROM (${termsOf('target', ws, like)}) s)
    OR i.aliases ?| ARRAY(${termsOf('alias', ws, like)}))`

/** The condition "issue `i`'s package name matches the ILIKE pattern `like`", through the package terms. */
export const packageNameCondition = (ws: string, like: string) => `i.package_name IN (${termsOf('package', ws, like)})`
