import type { Db } from './driver.ts'
import { backfillSnapshots, isoDay, rollFlows, takeSnapshot } from './insights-store.ts'
import { getSlaPolicy } from './workflow-store.ts'

/**
 * `vulnsync demo`'s past (issue 17): the simulators report what is open today, so the demo gives the dashboard six
 * months of history. About a third of today's open issues get a twin that was found and fixed earlier: in the same
 * target with the same owner, the CVE and package of another open issue of the same ecosystem (with its priority,
 * KEV and EPSS), detected 3 to 180 days ago and fixed some days later (sooner for higher priorities; some late for
 * their SLA), reported by the scanners of that target (no longer present), with a status event on its timeline
 * (actor `demo history`, `generated: true`). Nothing a scanner
 * reports is changed, so later syncs leave the twins fixed. Then the daily snapshots of the past are rebuilt from
 * the issue dates, as on the first day after an upgrade, and today's is taken. Deterministic (hashes of the ids).
 */
export const generateDemoHistory = async (
  db: Db,
  workspaceId: string,
  o: { now: Date; days?: number; sharePercent?: number },
): Promise<{ issues: number; snapshotDays: number }> => {
  const days = o.days ?? 182
  const share = o.sharePercent ?? 35
  const policy = await getSlaPolicy(db, workspaceId)
  const out = await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(727017, hashtext($1::text))`, [workspaceId])
    const r = (x: string) => `(abs(hashtext(s.id::text || '${x}')) % 1000) / 1000.0`
    const inserted = await tx.query<{ id: number }>(
      `WITH src AS (
         SELECT i.*, row_number() OVER (PARTITION BY i.ecosystem ORDER BY i.id) AS rn,
                count(*) OVER (PARTITION BY i.ecosystem) AS n
           FROM issues i WHERE i.workspace_id = $1 AND i.status = 'open'),
       pick AS (
         SELECT s.id, s.workspace_id, s.target_key, s.repository_id, s.target_kind, s.target_name, s.target_url,
                s.ecosystem, s.stage, s.owner_context_id, s.owner_team_id, s.application_id, s.target_versions,
                o.cve, o.package_key, o.package_name, o.aliases, o.versions, o.fixed_versions, o.severity,
                o.severity_rank, o.priority, o.priority_rank, o.factors, o.explanation, o.kev,
                $2::timestamptz - make_interval(days => 3 + floor(${r(':d')} * ($3::int - 3))::int,
                                                hours => floor(${r(':h')} * 24)::int) AS det,
                make_interval(hours => floor(24 * CASE o.priority
                  WHEN 'critical' THEN 1 + ${r(':f')} * 12 WHEN 'high' THEN 3 + ${r(':f')} * 45
                  WHEN 'medium' THEN 7 + ${r(':f')} * 110 ELSE 10 + ${r(':f')} * 200 END)::int) AS fix_after
           FROM src s JOIN src o ON o.ecosystem = s.ecosystem AND o.rn = (s.rn % s.n) + 1
          WHERE abs(hashtext(s.id::text)) % 100 < $4 AND o.target_key <> s.target_key
            -- a CVE the EPSS feed does not score is left out (the demo's issues are all scored)
            AND (o.cve NOT LIKE 'CVE-%'
                 OR EXISTS (SELECT 1 FROM epss_scores e WHERE e.cve = ANY(issue_feed_keys(o.cve, o.aliases)))))
       INSERT INTO issues (workspace_id, target_key, package_key, cve, repository_id, target_kind, target_name, target_url,
         package_name, ecosystem, aliases, versions, fixed_versions, severity, severity_rank, priority, priority_rank,
         factors, explanation, status, stage, detected_at, first_seen_at, last_seen_at, fixed_at, closed_at, sla_due_at,
         owner_context_id, owner_team_id, application_id, target_versions, kev, created_at, updated_at)
       SELECT p.workspace_id, p.target_key, p.package_key, p.cve, p.repository_id, p.target_kind, p.target_name,
              p.target_url, p.package_name, p.ecosystem, p.aliases, p.versions, p.fixed_versions, p.severity,
              p.severity_rank, p.priority, p.priority_rank, p.factors, p.explanation, 'fixed', p.stage, p.det, p.det,
              p.det + p.fix_after, p.det + p.fix_after, p.det + p.fix_after,
              p.det + make_interval(days => CASE p.priority WHEN 'critical' THEN $5::int WHEN 'high' THEN $6::int
                                         WHEN 'medium' THEN $7::int WHEN 'low' THEN $8::int END),
              p.owner_context_id, p.owner_team_id, p.application_id, p.target_versions, p.kev, p.det,
              p.det + p.fix_after
         FROM pick p
        WHERE p.det + p.fix_after < $2::timestamptz - interval '1 hour'
       ON CONFLICT (workspace_id, target_key, package_key, cve) DO NOTHING
       RETURNING id`,
      [
        workspaceId,
        o.now,
        days,
        share,
        policy.days.critical ?? null,
        policy.days.high ?? null,
        policy.days.medium ?? null,
        policy.days.low ?? null,
      ],
    )
    const ids = inserted.rows.map((x) => x.id)
    if (ids.length) {
      // the twins' sources: the connections reporting open issues of the same target, no longer present
      await tx.query(
        `INSERT INTO issue_sources (issue_id, connection_id, kind, present)
         SELECT DISTINCT t.id, s.connection_id, s.kind, false
           FROM issues t JOIN issues i ON i.workspace_id = t.workspace_id AND i.target_key = t.target_key
                                      AND i.ecosystem = t.ecosystem AND i.status = 'open'
           JOIN issue_sources s ON s.issue_id = i.id
          WHERE t.id = ANY($1::bigint[])
         ON CONFLICT DO NOTHING`,
        [ids],
      )
      await tx.query(
        `INSERT INTO issue_events (workspace_id, issue_id, at, actor, actor_kind, type, detail)
         SELECT workspace_id, id, fixed_at, 'demo history', 'system', 'status',
                jsonb_build_object('from', 'open', 'to', 'fixed', 'reason', 'fixed', 'generated', true)
           FROM issues WHERE id = ANY($1::bigint[])`,
        [ids],
      )
    }
    // the levels of the past from the issue dates; today's snapshot as the daily job takes it
    await tx.query(`DELETE FROM insight_snapshots WHERE workspace_id = $1`, [workspaceId])
    // the generated issues carry their past as created_at too (the end of a sync finds late detections by it): the
    // flows are rolled up again from the start below
    await tx.query(`DELETE FROM insight_flows WHERE workspace_id = $1`, [workspaceId])
    await tx.query(`DELETE FROM insight_flow_state WHERE workspace_id = $1`, [workspaceId])
    await tx.query(`DELETE FROM insight_fix_times WHERE workspace_id = $1`, [workspaceId])
    await tx.query(`DELETE FROM insight_overlap WHERE workspace_id = $1`, [workspaceId])
    await tx.query(`DELETE FROM insight_snapshot_days WHERE workspace_id = $1`, [workspaceId])

    const from = isoDay(new Date(o.now.getTime() - (days - 1) * 86_400_000))
    const yesterday = isoDay(new Date(o.now.getTime() - 86_400_000))
    const b = await backfillSnapshots(tx, workspaceId, { from, to: yesterday, dueSoonDays: policy.dueSoonDays })
    await tx.query(`UPDATE insight_snapshot_days SET origin = 'generated' WHERE workspace_id = $1`, [workspaceId])
    return { issues: ids.length, snapshotDays: b.days }
  })
  await takeSnapshot(db, workspaceId, { now: o.now, dueSoonDays: policy.dueSoonDays, origin: 'daily' })
  // the flows of the past, the generated one with it, rolled up as the daily job's first run does
  await rollFlows(db, workspaceId, { now: o.now })
  return { issues: out.issues, snapshotDays: out.snapshotDays + 1 }
}
