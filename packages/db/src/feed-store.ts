import {
  DEFAULT_PRIORITY_POLICY,
  type EpssValue,
  type FeedName,
  type KevValue,
  type PriorityPolicy,
  priorityPolicyOf,
} from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'
import { PRIORITY_POLICY } from './workflow-store.ts'

/**
 * The prioritisation feeds' SQL: each feed's settings and last refresh, the staging a download is read into, the
 * merge that swaps staged data in and records which CVEs changed, and the lookup prioritisation uses.
 *
 * Locking: the merge takes `FEED_LOCK` exclusively; every transaction that reads feed values to prioritise (the ingest)
 * takes it shared first (`lookupFeeds`), so none computes with values the merge is replacing.
 */
export const FEED_LOCK = 727010

export interface FeedRow {
  name: FeedName
  url: string | null
  enabled: boolean
  entries: number
  feed_date: string | null
  version: string | null
  loaded_from: string | null
  loaded_at: Date | null
  requested_at: Date | null
  started_at: Date | null
  finished_at: Date | null
  last_error: { code: string; message: string } | null
  last_outcome: Record<string, unknown> | null
  updated_at: Date
  updated_by: string | null
}

const COLUMNS = `name, url, enabled, entries, feed_date::text AS feed_date, version, loaded_from, loaded_at, requested_at,
  started_at, finished_at, last_error, last_outcome, updated_at, updated_by`

export const listFeeds = async (db: Queryable): Promise<FeedRow[]> =>
  (await db.query<FeedRow>(`SELECT ${COLUMNS} FROM feeds ORDER BY name`)).rows

export const getFeed = async (db: Queryable, name: FeedName): Promise<FeedRow> =>
  (await db.query<FeedRow>(`SELECT ${COLUMNS} FROM feeds WHERE name = $1`, [name])).rows[0]!

/** Changes where a feed comes from (null: the configured URL) and whether it is downloaded. */
export const updateFeedSettings = async (
  db: Queryable,
  name: FeedName,
  change: { url?: string | null | undefined; enabled?: boolean | undefined },
  by: string,
): Promise<FeedRow> =>
  (
    await db.query<FeedRow>(
      `UPDATE feeds SET url = CASE WHEN $2 THEN $3 ELSE url END, enabled = COALESCE($4, enabled), updated_at = now(),
         updated_by = $5
       WHERE name = $1 RETURNING ${COLUMNS}`,
      [name, change.url !== undefined, change.url ?? null, change.enabled ?? null, by],
    )
  ).rows[0]!

/** A refresh was asked for (it runs as a job). */
export const markFeedRequested = (db: Queryable, name: FeedName, at: Date) =>
  db.query(`UPDATE feeds SET requested_at = $2 WHERE name = $1`, [name, at])

/** A refresh that started and did not finish this long ago is taken for dead (its process stopped). */
export const FEED_CLAIM_STALE_MS = 2 * 3600_000

/**
 * Claims the feed for one refresh (a download, or a file import): false while another one runs. Refreshes of a feed
 * never overlap, so the changes one records are the ones it recomputes.
 */
export const claimFeed = async (db: Queryable, name: FeedName, at: Date): Promise<boolean> =>
  (
    await db.query(
      `UPDATE feeds SET started_at = $2
        WHERE name = $1 AND (started_at IS NULL OR finished_at >= started_at OR started_at < $3)
        RETURNING name`,
      [name, at, new Date(at.getTime() - FEED_CLAIM_STALE_MS)],
    )
  ).rowCount > 0

/** How a refresh ended: with the data it loaded, or with the error that kept the previous data. */
export const markFeedFinished = async (
  db: Queryable,
  name: FeedName,
  o: {
    at: Date
    error: { code: string; message: string } | null
    outcome: Record<string, unknown>
    loaded?: { entries: number; feedDate: string | null; version: string | null; from: string } | undefined
  },
) =>
  db.query(
    `UPDATE feeds SET finished_at = $2, last_error = $3, last_outcome = $4,
       entries = COALESCE($5, entries), feed_date = CASE WHEN $5::int IS NULL THEN feed_date ELSE $6::date END,
       version = CASE WHEN $5::int IS NULL THEN version ELSE $7 END,
       loaded_from = COALESCE($8, loaded_from), loaded_at = CASE WHEN $5::int IS NULL THEN loaded_at ELSE $2 END
     WHERE name = $1`,
    [
      name,
      o.at,
      o.error === null ? null : JSON.stringify(o.error),
      JSON.stringify(o.outcome),
      o.loaded?.entries ?? null,
      o.loaded?.feedDate ?? null,
      o.loaded?.version ?? null,
      o.loaded?.from ?? null,
    ],
  )

// ------------------------------------------------------------------ staging and merge

export interface StagedKev {
  cve: string
  dateAdded: string
  dueDate: string | null
  knownRansomware: boolean
  vendorProject: string
  product: string
  name: string
}

export interface StagedEpss {
  cve: string
  score: number
  percentile: number
}

export const stageKev = (db: Queryable, loadId: string, rows: StagedKev[]) =>
  db.query(
    `INSERT INTO kev_staging (load_id, cve, date_added, due_date, known_ransomware, vendor_project, product, name)
     SELECT $1, x."cve", x."dateAdded", x."dueDate", x."knownRansomware", x."vendorProject", x."product", x."name"
       FROM json_to_recordset($2::json) AS x("cve" text, "dateAdded" date, "dueDate" date, "knownRansomware" boolean,
         "vendorProject" text, "product" text, "name" text)`,
    [loadId, JSON.stringify(rows)],
  )

export const stageEpss = (db: Queryable, loadId: string, rows: StagedEpss[]) =>
  db.query(
    `INSERT INTO epss_staging (load_id, cve, score, percentile)
     SELECT $1, x.c, x.s, x.p FROM json_to_recordset($2::json) AS x(c text, s double precision, p double precision)`,
    [loadId, JSON.stringify(rows.map((r) => ({ c: r.cve, s: r.score, p: r.percentile })))],
  )

export const dropStaged = async (db: Queryable, name: FeedName, loadId: string) => {
  await db.query(`DELETE FROM ${name === 'kev' ? 'kev_staging' : 'epss_staging'} WHERE load_id = $1`, [loadId])
}

/** The distinct CVEs a load staged. */
export const stagedCount = async (db: Queryable, name: FeedName, loadId: string): Promise<number> =>
  (
    await db.query<{ n: number }>(
      `SELECT count(DISTINCT cve)::int AS n FROM ${name === 'kev' ? 'kev_staging' : 'epss_staging'} WHERE load_id = $1`,
      [loadId],
    )
  ).rows[0]!.n

/**
 * The EPSS thresholds of every workspace's priority policy (the defaults' among them): the scores at which a priority
 * can move. A score that moves without crossing one of them changes no issue.
 */
export const epssThresholdsInUse = async (db: Queryable): Promise<number[]> => {
  const { rows } = await db.query<{ body: Partial<PriorityPolicy> }>(`SELECT body FROM policies WHERE name = $1`, [
    PRIORITY_POLICY,
  ])
  const out = new Set<number>()
  for (const p of [DEFAULT_PRIORITY_POLICY, ...rows.map((r) => priorityPolicyOf(r.body))]) {
    if (Number.isFinite(p.epss.high)) out.add(p.epss.high)
    if (Number.isFinite(p.epss.low)) out.add(p.epss.low)
  }
  return [...out].sort((a, b) => a - b)
}

/**
 * Swaps a staged load in, in one transaction under the exclusive feed lock: entries are upserted where their values
 * changed, entries no longer in the feed are removed, and the CVEs whose change can move a priority are recorded in
 * `feed_changes` for the recompute (or `*`, every issue, on the feed's first load: a KEV catalog that now exists
 * changes what a scanner's own KEV claim is contrasted with). For KEV that is every changed entry (the issue shows
 * and stores its listing); for EPSS a CVE that appears or leaves, or whose score crosses a threshold of some
 * workspace's policy (`epssThresholdsInUse`): a score that moves within its band is updated here and shown when an
 * issue is read, and no issue is rewritten for it. A duplicate CVE in a file counts once (the last row). Returns how
 * many entries changed and how many CVEs were recorded for the recompute.
 */
export const mergeStaged = async (
  db: Db,
  name: FeedName,
  loadId: string,
  o: { feedDate: string; firstLoad: boolean },
): Promise<{ changed: number; recorded: number }> =>
  db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${FEED_LOCK})`)
    const { rows } =
      name === 'kev'
        ? await tx.query<{ changed: number; recorded: number }>(
            `WITH s AS (SELECT DISTINCT ON (cve) * FROM kev_staging WHERE load_id = $1 ORDER BY cve, ctid DESC),
             up AS (
               INSERT INTO kev_entries AS k (cve, date_added, due_date, known_ransomware, vendor_project, product, name)
               SELECT cve, date_added, due_date, known_ransomware, vendor_project, product, name FROM s
               ON CONFLICT (cve) DO UPDATE SET date_added = excluded.date_added, due_date = excluded.due_date,
                 known_ransomware = excluded.known_ransomware, vendor_project = excluded.vendor_project,
                 product = excluded.product, name = excluded.name
               WHERE (k.date_added, k.due_date, k.known_ransomware) IS DISTINCT FROM
                     (excluded.date_added, excluded.due_date, excluded.known_ransomware)
                  OR (k.vendor_project, k.product, k.name) IS DISTINCT FROM (excluded.vendor_project, excluded.product, excluded.name)
               RETURNING cve),
             gone AS (DELETE FROM kev_entries k WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.cve = k.cve) RETURNING cve),
             rec AS (
               INSERT INTO feed_changes (feed, cve) SELECT 'kev', cve FROM up UNION SELECT 'kev', cve FROM gone
               ON CONFLICT DO NOTHING RETURNING cve)
             SELECT (SELECT count(*) FROM up)::int + (SELECT count(*) FROM gone)::int AS changed,
                    (SELECT count(*) FROM rec)::int AS recorded`,
            [loadId],
          )
        : await tx.query<{ changed: number; recorded: number }>(
            // d: what changed, with the score it had (the CTEs all read the table as it was before this statement)
            `WITH s AS (SELECT DISTINCT ON (cve) * FROM epss_staging WHERE load_id = $1 ORDER BY cve, ctid DESC),
             d AS (
               SELECT s.cve, s.score, s.percentile, e.score AS was
                 FROM s LEFT JOIN epss_scores e ON e.cve = s.cve
                WHERE e.cve IS NULL OR (e.score, e.percentile) IS DISTINCT FROM (s.score, s.percentile)),
             up AS (
               INSERT INTO epss_scores AS e (cve, score, percentile, scored_on)
               SELECT cve, score, percentile, $2::date FROM d
               ON CONFLICT (cve) DO UPDATE SET score = excluded.score, percentile = excluded.percentile,
                 scored_on = excluded.scored_on
               RETURNING cve),
             gone AS (DELETE FROM epss_scores e WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.cve = e.cve) RETURNING cve),
             rec AS (
               INSERT INTO feed_changes (feed, cve)
               SELECT 'epss', cve FROM d
                WHERE d.was IS NULL
                   OR EXISTS (SELECT 1 FROM unnest($3::float8[]) t WHERE (d.was >= t) <> (d.score >= t))
               UNION SELECT 'epss', cve FROM gone
               ON CONFLICT DO NOTHING RETURNING cve)
             SELECT (SELECT count(*) FROM up)::int + (SELECT count(*) FROM gone)::int AS changed,
                    (SELECT count(*) FROM rec)::int AS recorded`,
            [loadId, o.feedDate, await epssThresholdsInUse(tx)],
          )
    if (o.firstLoad)
      await tx.query(`INSERT INTO feed_changes (feed, cve) VALUES ($1, '*') ON CONFLICT DO NOTHING`, [name])
    return { changed: rows[0]!.changed, recorded: rows[0]!.recorded }
  })

/** How many CVEs of a feed wait for their issues' recompute (`*` counts as every issue). */
export const pendingFeedChanges = async (db: Queryable, name: FeedName): Promise<{ cves: number; all: boolean }> => {
  const { rows } = await db.query<{ n: number; all: boolean }>(
    `SELECT count(*)::int AS n, bool_or(cve = '*') AS all FROM feed_changes WHERE feed = $1`,
    [name],
  )
  return { cves: rows[0]?.n ?? 0, all: rows[0]?.all === true }
}

/**
 * The issues whose feed values may have changed: those whose CVE, or a CVE among whose aliases, is in
 * `feed_changes` (every issue when `*` is). In id order.
 */
export const issuesOfFeedChanges = async (db: Queryable, name: FeedName): Promise<number[]> => {
  const { all } = await pendingFeedChanges(db, name)
  const { rows } = all
    ? await db.query<{ id: number }>(`SELECT id FROM issues ORDER BY id`)
    : // by CVE through the (workspace_id, cve) index, one probe per workspace and changed CVE; by alias, the issues
      // that have a CVE among their aliases
      await db.query<{ id: number }>(
        `SELECT i.id FROM feed_changes c CROSS JOIN workspaces w
           JOIN issues i ON i.workspace_id = w.id AND i.cve = c.cve
          WHERE c.feed = $1
         UNION
         SELECT i.id FROM issues i
          WHERE i.aliases::text ILIKE '%cve-%'
            AND issue_feed_keys(i.cve, i.aliases) && ARRAY(SELECT cve FROM feed_changes WHERE feed = $1)
         ORDER BY 1`,
        [name],
      )
  return rows.map((r) => r.id)
}

export const clearFeedChanges = (db: Queryable, name: FeedName) =>
  db.query(`DELETE FROM feed_changes WHERE feed = $1`, [name])

// ------------------------------------------------------------------ lookup for prioritisation

export interface FeedLookup {
  kev: Map<string, KevValue>
  epss: Map<string, EpssValue>
  kevLoaded: boolean
}

/**
 * The KEV and EPSS entries of these CVEs, in one round trip. Inside a transaction it first takes the feed lock
 * shared, so the values stay the ones in use until the transaction ends.
 */
export const lookupFeeds = async (db: Queryable, cves: Iterable<string>): Promise<FeedLookup> => {
  const keys = [...new Set(cves)]
  await db.query(`SELECT pg_advisory_xact_lock_shared(${FEED_LOCK})`)
  const { rows } = await db.query<{
    kev_loaded: boolean | null
    kev: { c: string; a: string; d: string | null; r: boolean }[] | null
    epss: { c: string; s: number; p: number; d: string }[] | null
  }>(
    `SELECT (SELECT loaded_at IS NOT NULL FROM feeds WHERE name = 'kev') AS kev_loaded,
       (SELECT json_agg(json_build_object('c', cve, 'a', date_added::text, 'd', due_date::text, 'r', known_ransomware))
          FROM kev_entries WHERE cve = ANY($1::text[])) AS kev,
       (SELECT json_agg(json_build_object('c', cve, 's', score, 'p', percentile, 'd', scored_on::text))
          FROM epss_scores WHERE cve = ANY($1::text[])) AS epss`,
    [keys],
  )
  const r = rows[0]!
  return {
    kevLoaded: r.kev_loaded === true,
    kev: new Map((r.kev ?? []).map((k) => [k.c, { dateAdded: k.a, dueDate: k.d, knownRansomware: k.r }])),
    epss: new Map((r.epss ?? []).map((e) => [e.c, { score: e.s, percentile: e.p, date: e.d }])),
  }
}
