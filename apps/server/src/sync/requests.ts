import { type ConnectionRow, createRun, type Db, findQueuedRun, type RunRow, type RunTrigger } from '@vulnsync/db'
import { type JobSystem, PRIORITY } from '../jobs.ts'

export interface RequestDeps {
  db: Db
  jobs: Pick<JobSystem, 'enqueueRun'>
}

/** Queues a run of a connection. A manual request while a run is queued upgrades that run instead of adding one. */
export const requestRun = async (d: RequestDeps, c: ConnectionRow, trigger: RunTrigger): Promise<RunRow> => {
  const queued = await findQueuedRun(d.db, c.id)
  if (queued) {
    if (trigger === 'manual' && queued.trigger !== 'manual') {
      await d.db.query(`UPDATE sync_runs SET trigger = 'manual' WHERE id = $1`, [queued.id])
      await d.jobs.enqueueRun(queued.id, PRIORITY.manual)
      return { ...queued, trigger: 'manual' }
    }
    return queued
  }
  const run = await createRun(d.db, { workspaceId: c.workspace_id, connectionId: c.id, trigger })
  const jobId = await d.jobs.enqueueRun(run.id, PRIORITY[trigger])
  if (jobId) await d.db.query(`UPDATE sync_runs SET job_id = $2 WHERE id = $1`, [run.id, jobId])
  return run
}
