import type { RepoMatcher, RepositoryRecord } from '@vulnsync/core'
import {
  type Db,
  knowsRecordDigests,
  loadRepoMatcher,
  markSeenRecords,
  type OccurrenceInput,
  refreshFullStatistics,
  refreshIngestStatistics,
  type SeenRecords,
  saveCodeowners,
  writeOccurrenceBatch,
  writeRepositoryBatch,
} from '@vulnsync/db'
import { recomputeAfterChange } from '../ownership/ownership.ts'
import type { ConnectionForRun } from './engine.ts'
import type { RunState } from './run-state.ts'

/** A batch being written: settled once it and every batch before it are written and its checkpoint is stored. */
interface InFlight {
  done: Promise<void>
  /** the source keys of its occurrences */
  keys: Set<string>
}

/**
 * Buffers what a run reads and writes it in batches, one transaction each, while the next batch is read and mapped
 * (network and database overlap). Up to `writesInFlight` occurrence batches are written at once, each on its own
 * connection (PostgreSQL: one batch's statements run while the other's JavaScript prepares them, on both cores);
 * batches that hold the same source record, and repository batches, are written one after another. A checkpoint is
 * stored only once every record read before it is written, so a resumed run never skips a record.
 */
export class BatchWriter {
  private occurrences: OccurrenceInput[] = []
  // the source keys of the occurrences buffered
  private keys = new Set<string>()
  private repositories: RepositoryRecord[] = []
  // the workspace's repositories, loaded once per run; repositories that appear later re-match waiting findings
  private matcher: Promise<RepoMatcher> | undefined
  // the cursor of the latest checkpoint whose records are not all written yet
  private pendingCursor: { cursor: unknown } | undefined
  // oldest first
  private inflight: InFlight[] = []
  // the tables this run's batches analysed coarsely (refreshIngestStatistics), analysed in full when it ends
  private coarse = new Set<string>()

  constructor(
    private readonly db: Db,
    private readonly connection: ConnectionForRun,
    private readonly runId: string,
    private readonly state: RunState,
    private readonly now: () => Date,
    readonly batchSize: number,
    readonly writesInFlight = 1,
  ) {}

  addOccurrence(row: OccurrenceInput) {
    this.occurrences.push(row)
    this.keys.add(row.source_key)
  }

  /** whether occurrences of this source record are buffered or being written */
  holds(sourceKey: string) {
    return this.keys.has(sourceKey) || this.inflight.some((b) => b.keys.has(sourceKey))
  }

  /** whether the connection has records stored with their digests (none before its first sync) */
  knowsDigests() {
    return knowsRecordDigests(this.db, this.connection.id)
  }

  /** marks seen the records stored with these digests; returns those confirmed (markSeenRecords) */
  markSeen(digests: string[]): Promise<SeenRecords> {
    return markSeenRecords(this.db, {
      connectionId: this.connection.id,
      runId: this.runId,
      now: this.now(),
      digests,
    })
  }

  addRepository(row: RepositoryRecord) {
    this.repositories.push(row)
  }

  /** a full batch is waiting */
  get full() {
    return this.occurrences.length >= this.batchSize || this.repositories.length >= this.batchSize
  }

  /** every record before `cursor` is buffered or written; the cursor is stored once they are all written */
  async checkpoint(cursor: unknown) {
    this.pendingCursor = { cursor }
    const half = this.batchSize / 2
    if (this.occurrences.length >= half || this.repositories.length >= half || this.state.msSinceWrite() > 5_000)
      await this.startFlush()
  }

  /** waits for every batch being written; the first error, if any, surfaces here */
  async drain() {
    const all = this.inflight
    this.inflight = []
    // every one settles first: no batch is still writing once the run is told how it ended
    const failed = (await Promise.allSettled(all.map((b) => b.done))).find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /** starts writing the buffered batch; the checkpoint read before it is stored once it and every earlier batch are written */
  async startFlush() {
    // an SCM's repository batches (CODEOWNERS, then the ownership of their issues) are written one at a time
    const limit = this.repositories.length > 0 ? 1 : Math.max(1, this.writesInFlight)
    const keys = this.keys
    this.keys = new Set()
    // a record read twice (a page the upstream repeated) is written in the order it was read: its later version last
    if (limit > 1 && this.inflight.some((b) => [...keys].some((k) => b.keys.has(k)))) await this.drain()
    // each batch settles after the one before it, so waiting for the newest waits for all that are older
    while (this.inflight.length >= limit) await this.inflight.shift()!.done
    const cursor = this.pendingCursor
    this.pendingCursor = undefined
    const before = this.inflight.at(-1)?.done
    const write = this.flush()
    const done = (async () => {
      await write
      if (before) await before
      if (cursor) await this.state.checkpoint(cursor.cursor)
      else await this.state.write()
    })()
    // an error surfaces at the next drain; keep it from being reported as unhandled meanwhile
    done.catch(() => {})
    this.inflight.push({ done, keys })
  }

  /** writes everything buffered and the last checkpoint, and waits for it */
  async flushAll() {
    await this.startFlush()
    await this.drain()
    await this.finishStatistics()
  }

  /** the full statistics of the tables the batches analysed coarsely: the queue's plans read them */
  async finishStatistics() {
    const tables = [...this.coarse]
    this.coarse.clear()
    await refreshFullStatistics(this.db, tables)
  }

  /** writes what is buffered now, without a checkpoint (a failing run keeps what it read) */
  async flush() {
    const { counts } = this.state
    if (this.occurrences.length > 0) {
      const rows = this.occurrences
      this.occurrences = []
      this.matcher ??= loadRepoMatcher(this.db, this.connection.workspaceId)
      const matcher = await this.matcher
      const r = await writeOccurrenceBatch(this.db, {
        workspaceId: this.connection.workspaceId,
        connectionId: this.connection.id,
        connectionKind: this.connection.kind,
        runId: this.runId,
        now: this.now(),
        rows,
        matcher,
        concurrent: this.writesInFlight > 1,
      })
      counts.created += r.created
      counts.updated += r.updated
      counts.unchanged += r.unchanged
      counts.reopened += r.reopened
      counts.unmatched += r.unmatched
      counts.issuesCreated = (counts.issuesCreated ?? 0) + r.issuesCreated
      // the statistics of the tables that grow: PGlite has no autovacuum, and PostgreSQL's comes a minute late for
      // a table that grew from empty during this run (its plans then read every occurrence of the connection)
      for (const t of await refreshIngestStatistics(this.db)) this.coarse.add(t)
    }
    if (this.repositories.length > 0) {
      const rows = this.repositories
      this.repositories = []
      const r = await writeRepositoryBatch(this.db, {
        workspaceId: this.connection.workspaceId,
        connectionId: this.connection.id,
        runId: this.runId,
        now: this.now(),
        rows,
      })
      counts.created += r.created
      counts.updated += r.updated
      counts.unchanged += r.unchanged
      await this.saveCodeowners(rows)
    }
  }

  /**
   * The CODEOWNERS files the SCM connector read with the repositories: stored (bad lines reported on the repository,
   * never failing the sync), and the ownership of the issues of repositories whose file changed resolved again.
   */
  private async saveCodeowners(rows: RepositoryRecord[]) {
    const read = rows.filter((r) => r.codeowners !== undefined)
    if (read.length === 0) return
    const now = this.now()
    const { workspaceId } = this.connection
    const changed = await saveCodeowners(this.db, {
      workspaceId,
      connectionId: this.connection.id,
      now,
      rows: read.map((r) => ({ externalId: r.externalId, codeowners: r.codeowners ?? null })),
    })
    if (changed.length > 0)
      await this.db.transaction((tx) =>
        recomputeAfterChange(tx, workspaceId, now, { scope: { repositoryIds: changed } }),
      )
  }
}
