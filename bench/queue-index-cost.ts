/**
 * What each index the queue's filters added costs the writes (migration 0011, and 0015: the search terms' trigger and
 * the two indexes from a term to its issues), measured in SQL where the engine's noise (connector, mapping,
 * occurrences) is out of the way: on a migrated database holding a base of issues, 50,000 new issues are inserted and
 * then re-prioritised (an UPDATE of priority_rank, which no update can do in place since the sort indexes hold it),
 * inside a transaction that is rolled back; once with every index, once with each of them dropped (in the same
 * transaction) or the trigger disabled, once with the four indexes dropped. Rounds alternate the variants; medians
 * are printed. By default each new issue has a CVE and an alias of its own: two new search terms each, the worst
 * case for the terms (`known`: none).
 *
 *   node apps/server/bin/run-ts.mjs bench/queue-index-cost.ts [base issues=200000] [drivers=pglite,postgres] [rounds=3] [terms=new|known]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Db } from '@vulnsync/db'
import { startEmbeddedPostgres } from '@vulnsync/db/embedded-postgres'
import { openBenchDb, rolledBack } from './support.ts'

const base = Number(process.argv[2] ?? 200_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')
const rounds = Number(process.argv[4] ?? 3)
/**
 * `new` (the default): each inserted issue has a CVE and an alias of its own (as bench:ingest's findings), the worst
 * case for the search terms; `known`: the CVEs, aliases, packages and repositories of the base issues again (a tenant
 * whose vulnerabilities are already known, which is most of a real import), so the issues bring no new terms.
 */
const terms = process.argv[5] ?? 'new'
if (terms !== 'new' && terms !== 'known') throw new Error('terms: new or known')
const NEW = ['issues_package_name', 'issues_aliases', 'issues_target_name', 'issues_package_key']
/** the statement trigger that adds new issues' search terms (migration 0015), a variant of its own */
const TERMS_TRIGGER = 'trigger issues_search_terms'
const ROWS = 50_000

// known: 20,000 CVEs (each with its alias) and 20,011 packages, paired so that no two issues share a key
const cve = terms === 'new' ? 'g' : 'g % 20000'
const pkg = terms === 'new' ? 'g % 20000' : '(g * 7) % 20011'
const insert = (db: Pick<Db, 'query'>, ws: string, from: number, n: number) =>
  db.query(
    `INSERT INTO issues (workspace_id, target_key, package_key, cve, repository_id, target_kind, target_name,
                         package_name, ecosystem, aliases, severity, severity_rank, priority, priority_rank, status,
                         detected_at, first_seen_at, last_seen_at, factors, explanation)
     SELECT $1, 'repo:' || (g % 5000), 'pkg:npm/package-' || (${pkg}), 'CVE-2024-' || (100000 + ${cve}), g % 5000,
            'repository', 'bench-org/repo-' || (g % 5000), 'package-' || (${pkg}), 'npm',
            jsonb_build_array('GHSA-' || to_hex(${cve}) || '-aaaa-bbbb'), 'high', 3, 'high', 3, 'open',
            timestamptz '2024-01-01' + make_interval(days => g % 500), now(), now(),
            '[{"code":"cvss","effect":"none","levels":0,"text":"CVSS 7.5 from the vendor"}]',
            'High: the vendor says high, and nothing moves it.'
       FROM generate_series($2::int, $3::int) g`,
    [ws, from, from + n - 1],
  )

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!

const measure = async (driver: string, url: string | undefined) => {
  const tmp = mkdtempSync(join(tmpdir(), 'vulnsync-bench-index-cost-'))
  const db = await openBenchDb(driver, url, join(tmp, 'pgdata'))
  const ws = (await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ('bench') RETURNING id`)).rows[0]!.id
  for (let k = 0; k < base; k += 100_000) await insert(db, ws, k, Math.min(100_000, base - k))
  await db.exec('VACUUM ANALYZE issues')
  const variants: [string, string[]][] = [
    ['every index', []],
    ...NEW.map((n): [string, string[]] => [`without ${n}`, [n]]),
    [`without ${TERMS_TRIGGER}`, [TERMS_TRIGGER]],
    ['without all four', NEW],
  ]
  const times: Record<string, { insert: number[]; update: number[] }> = {}
  for (let r = 0; r < rounds; r++)
    for (const [name, drop] of variants) {
      times[name] ??= { insert: [], update: [] }
      const t = times[name]
      await rolledBack(db, async (tx) => {
        for (const d of drop)
          await tx.exec(
            d === TERMS_TRIGGER ? 'ALTER TABLE issues DISABLE TRIGGER issues_search_terms' : `DROP INDEX ${d}`,
          )
        const t0 = performance.now()
        await insert(tx, ws, base, ROWS)
        const t1 = performance.now()
        await tx.query(`UPDATE issues SET priority_rank = 4, priority = 'critical' WHERE id > $1`, [base])
        t.insert.push(t1 - t0)
        t.update.push(performance.now() - t1)
      })
      process.stderr.write(`  ${driver} round ${r + 1}: ${name}\n`)
    }
  await db.close()
  rmSync(tmp, { recursive: true, force: true })
  return { driver, times }
}

let stop = async () => {}
let url = process.env.BENCH_DATABASE_URL
if (drivers.includes('postgres') && !url) {
  const pg = await startEmbeddedPostgres({
    user: 'bench',
    password: 'bench',
    database: 'bench',
    settings: { shared_buffers: '512MB', max_wal_size: '4GB', synchronous_commit: 'off' },
  })
  url = pg.url
  stop = pg.stop
}
try {
  for (const d of drivers) {
    const { times } = await measure(d, url)
    const all = times['every index']!
    console.log(
      `\n${d}: ${ROWS.toLocaleString('en')} issues inserted (${terms} terms), then re-prioritised, over ${base.toLocaleString('en')} (medians of ${rounds})`,
    )
    console.log(
      'variant                          insert (ms)  rows/s    update (ms)  rows/s   index share of insert+update',
    )
    for (const [name, t] of Object.entries(times)) {
      const i = median(t.insert)
      const u = median(t.update)
      const share =
        name === 'every index'
          ? ''
          : `${((100 * (median(all.insert) + median(all.update) - i - u)) / (median(all.insert) + median(all.update))).toFixed(0)} %`
      console.log(
        `${name.padEnd(32)} ${i.toFixed(0).padStart(11)}  ${String(Math.round((ROWS * 1000) / i)).padStart(7)}  ${u.toFixed(0).padStart(11)}  ${String(Math.round((ROWS * 1000) / u)).padStart(7)}   ${share}`,
      )
    }
  }
} finally {
  await stop()
}
