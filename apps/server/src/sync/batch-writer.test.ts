import { type Db, emptyCounts } from '@vulnsync/db'
import { createTestDb } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BatchWriter } from './batch-writer.ts'
import type { ConnectionForRun } from './engine.ts'
import { occurrencesOf } from './prepare.ts'
import type { RunState } from './run-state.ts'
import { type TestRaw, testMap } from './test-connector.ts'
import { newRun, seedConnection, seedRepositories, seedWorkspace } from './test-support.ts'

const finding = (i: number, more: Partial<TestRaw> = {}) => {
  const raw: TestRaw = {
    id: `b-${i}`,
    ids: [`CVE-2025-${10000 + i}`],
    purl: `pkg:npm/lib-${i % 5}@1.0.0`,
    repo: 'https://github.com/acme/api',
    severity: 'high',
    detectedAt: '2025-01-01T00:00:00Z',
    ...more,
  }
  return occurrencesOf(testMap(raw) as any[], raw, undefined, (err) => {
    throw err
  })[0]!
}

/** the part of RunState the writer uses, recording the checkpoints it stores */
const recordingState = () => {
  const stored: unknown[] = []
  const state = {
    counts: emptyCounts(),
    msSinceWrite: () => 0,
    checkpoint: async (cursor: unknown) => {
      stored.push(cursor)
    },
    write: async () => {},
  }
  return { stored, state: state as unknown as RunState }
}

/** the database, but the first transaction waits until `open()` */
const gatedFirst = (db: Db) => {
  let open: () => void = () => {}
  const gate = new Promise<void>((r) => {
    open = r
  })
  let calls = 0
  const gated: Db = {
    ...db,
    query: db.query.bind(db),
    transaction: async (fn) => {
      if (++calls === 1) await gate
      return db.transaction(fn)
    },
  }
  return { gated, open }
}

/**
 * The database, but the first transaction that writes occurrences waits at its commit until `open()`; `statements`
 * lists what the transactions ran.
 */
const heldAtCommit = (db: Db) => {
  const statements: string[] = []
  let open: () => void = () => {}
  const gate = new Promise<void>((r) => {
    open = r
  })
  let held = false
  const wrapped: Db = {
    ...db,
    query: db.query.bind(db),
    transaction: (fn) =>
      db.transaction(async (tx) => {
        let writes = false
        const spy = new Proxy(tx, {
          get: (t, k) => {
            const v = Reflect.get(t, k)
            if (k === 'query')
              return (sql: string, params?: unknown[]) => {
                statements.push(sql)
                if (sql.includes('INSERT INTO occurrences')) writes = true
                return t.query(sql, params)
              }
            return typeof v === 'function' ? v.bind(t) : v
          },
        })
        const r = await fn(spy)
        if (writes && !held) {
          held = true
          await gate
        }
        return r
      }),
  }
  return { wrapped, open, statements }
}

describe('BatchWriter with two batches in flight on postgres', () => {
  let db: Db
  let conn: ConnectionForRun
  let runId: string
  beforeAll(async () => {
    db = await createTestDb('postgres')
    const ws = await seedWorkspace(db)
    await seedRepositories(db, ws, [{ fullName: 'acme/api', externalId: 'api-1' }])
    conn = await seedConnection(db, ws)
    runId = await newRun(db, conn)
  })
  afterAll(() => db?.close())

  it('stores a checkpoint only once every batch before it is written, even when a later batch finishes first', async () => {
    const { gated, open } = gatedFirst(db)
    const { stored, state } = recordingState()
    const writer = new BatchWriter(gated, conn, runId, state, () => new Date(), 10, 2)
    for (let i = 0; i < 5; i++) writer.addOccurrence(finding(i))
    await writer.checkpoint({ next: 5 })
    for (let i = 5; i < 10; i++) writer.addOccurrence(finding(i))
    await writer.checkpoint({ next: 10 })
    // the second batch is written: its occurrences are there, but its checkpoint waits for the first batch
    await expect
      .poll(
        async () =>
          (await db.query(`SELECT count(*)::int AS n FROM occurrences WHERE connection_id = $1`, [conn.id])).rows[0].n,
      )
      .toBe(5)
    await new Promise((r) => setTimeout(r, 100))
    expect(stored).toEqual([])
    open()
    await writer.drain()
    expect(stored).toEqual([{ next: 5 }, { next: 10 }])
    expect(state.counts.created).toBe(10)
  })

  it('writes a record read twice in the order it was read: the later version last', async () => {
    // the first batch would be written last if the second did not wait for it
    const { gated, open } = gatedFirst(db)
    setTimeout(open, 300)
    const { state } = recordingState()
    const writer = new BatchWriter(gated, conn, runId, state, () => new Date(), 4, 2)
    const first = finding(100)
    writer.addOccurrence({ ...first, severity: 'low', content_hash: 'v1' })
    writer.addOccurrence(finding(101))
    await writer.startFlush()
    writer.addOccurrence({ ...first, severity: 'critical', content_hash: 'v2' })
    await writer.startFlush()
    await writer.drain()
    const { rows } = await db.query<{ severity: string }>(
      `SELECT severity FROM occurrences WHERE connection_id = $1 AND source_key = $2`,
      [conn.id, first.source_key],
    )
    expect(rows).toEqual([{ severity: 'critical' }])
  })

  it('writes a batch while the batch before it, whose new ownership contexts it shares, has not committed yet', async () => {
    const { state } = recordingState()
    // the target's and the packages' search terms exist already: this test is about the contexts
    const warm = new BatchWriter(db, conn, runId, state, () => new Date(), 100, 2)
    for (let i = 300; i < 305; i++) warm.addOccurrence(finding(i))
    await warm.flushAll()
    const { wrapped, open, statements } = heldAtCommit(db)
    const writer = new BatchWriter(wrapped, conn, runId, state, () => new Date(), 10, 2)
    // a manifest path and scanner ownership no finding had: one new context, wanted by both batches
    const owned = (i: number) =>
      finding(i, { manifest: 'services/pay/package.json', owners: ['@acme/payments', 'dev@acme.test'], tags: ['pci'] })
    for (let i = 200; i < 205; i++) writer.addOccurrence(owned(i))
    await writer.startFlush()
    for (let i = 205; i < 210; i++) writer.addOccurrence(owned(i))
    await writer.startFlush()
    // the second batch commits while the first waits at its commit (it waited for the whole first batch before)
    try {
      await expect
        .poll(
          async () =>
            (
              await db.query(
                `SELECT count(*)::int AS n FROM occurrences WHERE connection_id = $1 AND source_key = ANY($2::text[])`,
                [conn.id, ['b-205', 'b-206', 'b-207', 'b-208', 'b-209']],
              )
            ).rows[0].n,
          { timeout: 5_000 },
        )
        .toBe(5)
    } finally {
      open()
    }
    await writer.drain()
    // every issue of both batches in the one context their findings name, created once
    const { rows } = await db.query<{ contexts: number; issues: number; scanner: boolean }>(
      `SELECT count(DISTINCT c.id)::int AS contexts, count(*)::int AS issues, bool_and(c.scanner_key <> '') AS scanner
         FROM issues i JOIN owner_contexts c ON c.id = i.owner_context_id
        WHERE i.cve = ANY($1::text[])`,
      [Array.from({ length: 10 }, (_, k) => `CVE-2025-${10200 + k}`)],
    )
    expect(rows).toEqual([{ contexts: 1, issues: 10, scanner: true }])
    const { rows: made } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM owner_contexts WHERE manifest_path = 'services/pay/package.json'`,
    )
    expect(made).toEqual([{ n: 1 }])
    // and each new issue was inserted in it: no second write of the issues to move them there
    expect(statements.filter((q) => /UPDATE issues i SET owner_context_id/.test(q))).toEqual([])
  })

  it('a batch whose owner contexts exist reads them and inserts none: no insert, no context id used up, no repository lookup', async () => {
    const { state } = recordingState()
    const inWeb = (i: number) => finding(i, { manifest: 'apps/web/package.json', owners: ['@acme/web'] })
    const first = new BatchWriter(db, conn, runId, state, () => new Date(), 100, 2)
    for (let i = 400; i < 405; i++) first.addOccurrence(inWeb(i))
    await first.flushAll()
    const lastId = async () =>
      (
        await db.query<{ v: number }>(
          `SELECT last_value::int AS v FROM pg_sequences WHERE sequencename = 'owner_contexts_id_seq'`,
        )
      ).rows[0]!.v
    const before = await lastId()
    const { wrapped, open, statements } = heldAtCommit(db)
    open()
    // new issues (new CVEs) in the context the first batch made
    const second = new BatchWriter(wrapped, conn, runId, state, () => new Date(), 10, 2)
    for (let i = 405; i < 410; i++) second.addOccurrence(inWeb(i))
    await second.flushAll()
    const { rows } = await db.query<{ contexts: number; issues: number }>(
      `SELECT count(DISTINCT i.owner_context_id)::int AS contexts, count(*)::int AS issues FROM issues i
        WHERE i.cve = ANY($1::text[])`,
      [Array.from({ length: 10 }, (_, k) => `CVE-2025-${10400 + k}`)],
    )
    expect(rows).toEqual([{ contexts: 1, issues: 10 }])
    expect(statements.filter((q) => /INSERT INTO owner_contexts/.test(q))).toEqual([])
    // ON CONFLICT DO NOTHING takes an identity value for every row it does not insert
    expect(await lastId()).toBe(before)
    // the run's matcher names the repository
    expect(statements.filter((q) => /SELECT id, full_name FROM repositories/.test(q))).toEqual([])
  })
})
