import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from './driver.ts'
import { lockCursor, saveCursor, timelineAfter } from './outbound-store.ts'
import { createTestDb } from './testing.ts'
import { insertIssueEvents } from './workflow-store.ts'

/**
 * The outbox cursor on PostgreSQL, where transactions run side by side: a timeline entry whose transaction commits
 * after a later one is still read, in (transaction, id) order, and never twice.
 */
describe('the outbox cursor on postgres', () => {
  let db: Db
  let ws = ''
  beforeAll(async () => {
    db = await createTestDb('postgres')
    ws = (await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ('w') RETURNING id`)).rows[0]!.id
  })
  afterAll(() => db?.close())

  const event = (tx: Parameters<typeof insertIssueEvents>[0], issue: number) =>
    insertIssueEvents(tx, [{ issue_id: issue, workspace_id: ws, type: 'comment', detail: { n: issue } }], {
      name: 't',
      kind: 'system',
    })
  /** one reader pass: what it reads, then the cursor moves past it */
  const pass = async () =>
    db.transaction(async (tx) => {
      const c = await lockCursor(tx, 'test', new Date())
      const rows = await timelineAfter(tx, c, 100)
      const last = rows.at(-1)
      if (last) await saveCursor(tx, { ...c, event_tx: last.tx, event_id: last.id })
      return rows.map((r) => r.issue_id)
    })

  it('reads an entry a slow transaction commits after a faster, later one', async () => {
    expect(await pass()).toEqual([])
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    let started!: () => void
    const inside = new Promise<void>((r) => {
      started = r
    })
    // A: takes its transaction id first, writes, and waits before committing
    const slow = db.transaction(async (tx) => {
      await tx.query('SELECT pg_current_xact_id()')
      await event(tx, 1)
      started()
      await gate
    })
    await inside
    // B: starts later, commits first
    await db.transaction(async (tx) => event(tx, 2))
    // while A is open, neither is read: B's transaction is not below the oldest running one
    expect(await pass()).toEqual([])
    release()
    await slow
    expect(await pass()).toEqual([1, 2])
    expect(await pass()).toEqual([])
  })
})
