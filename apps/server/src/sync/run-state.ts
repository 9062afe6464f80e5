import type { ProgressUpdate } from '@vulnsync/core'
import { type Db, emptyCounts, type RunCounts, type RunRow, saveRunState } from '@vulnsync/db'

/**
 * What a run knows about itself while it runs: counts, progress, the locations read completely or not, and when it
 * last wrote them. One place writes them (throttled), stores checkpoints, and keeps the heartbeat that tells other
 * processes the run is alive.
 */
export class RunState {
  readonly counts: RunCounts
  readonly progress: Record<string, unknown>
  readonly incomplete: Set<string>
  readonly complete: Set<string>
  private lastWrite = 0
  private heartbeat: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly now: () => Date,
    run: RunRow,
  ) {
    this.counts = { ...emptyCounts(), ...run.counts, skipped: { ...(run.counts?.skipped ?? {}) } }
    this.incomplete = new Set(run.incomplete_scopes ?? [])
    this.complete = new Set(run.complete_scopes ?? [])
    this.progress = { pages: 0, records: this.counts.fetched, ...(run.progress ?? {}), pausedUntil: null }
  }

  skip(reason: string, n = 1) {
    this.counts.skipped[reason] = (this.counts.skipped[reason] ?? 0) + n
  }

  /** progress reported by the connector (pages, totals, a rate-limit pause) */
  onProgress = (p: ProgressUpdate) => {
    if (p.pages !== undefined) this.progress.pages = p.pages
    if (p.total !== undefined) this.progress.total = p.total
    if (p.message !== undefined) this.progress.message = p.message
    if (p.pausedUntil !== undefined) this.progress.pausedUntil = p.pausedUntil ? p.pausedUntil.toISOString() : null
    void this.write(p.pausedUntil !== undefined).catch(() => {})
  }

  /** writes counts and progress at most once a second unless forced */
  async write(force = false) {
    const t = Date.now()
    if (!force && t - this.lastWrite < 1000) return
    this.lastWrite = t
    await saveRunState(this.db, this.runId, { counts: this.counts, progress: this.progress, now: this.now() })
  }

  /** stores a checkpoint: every record read before `cursor` is written */
  async checkpoint(cursor: unknown) {
    await saveRunState(this.db, this.runId, {
      counts: this.counts,
      progress: this.progress,
      cursor,
      incompleteScopes: [...this.incomplete],
      completeScopes: [...this.complete],
      now: this.now(),
    })
    this.lastWrite = Date.now()
  }

  /** the scopes, counts and progress as they stand (a run interrupted to resume later) */
  async saveScopes(progress: Record<string, unknown>) {
    await saveRunState(this.db, this.runId, {
      counts: this.counts,
      progress,
      incompleteScopes: [...this.incomplete],
      completeScopes: [...this.complete],
      now: this.now(),
    })
  }

  msSinceWrite() {
    return Date.now() - this.lastWrite
  }

  /** a heartbeat while the connector waits (a rate-limit window can last an hour): a run without one is presumed dead */
  startHeartbeat(everyMs = 30_000) {
    this.heartbeat = setInterval(
      () => void saveRunState(this.db, this.runId, { progress: this.progress, now: this.now() }).catch(() => {}),
      everyMs,
    )
    this.heartbeat.unref?.()
  }

  stopHeartbeat() {
    clearInterval(this.heartbeat)
  }
}
