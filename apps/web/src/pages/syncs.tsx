import { useEffect, useState } from 'react'
import { api, type Connection, errorText, isRunning, qs, type Run } from '../api.ts'
import { useCan } from '../auth.tsx'
import { StatusBadge } from '../components/badges.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Icon } from '../components/icon.tsx'
import { KindIcon } from '../components/kind.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { RunProgress } from '../components/run-progress.tsx'
import { useToast } from '../components/toast.tsx'
import { useKindTitle } from '../connectors-cache.ts'
import { cap, fmtDateTime, fmtDuration, fmtNumber, fmtRelative, humanize, runDuration } from '../format.ts'
import { useInterval, useLoad, useNow } from '../hooks.ts'
import { Link } from '../router.tsx'

const TRIGGERS: Record<string, string> = { initial: 'Initial', scheduled: 'Scheduled', manual: 'Manual' }

export function SyncHistoryPage({ connectionId }: { connectionId: string }) {
  const kindTitle = useKindTitle()
  const toast = useToast()
  const canSync = useCan('member')
  const conn = useLoad(`conn-${connectionId}`, (s) =>
    api<Connection | { connection: Connection }>(
      'GET',
      `/connections/${encodeURIComponent(connectionId)}`,
      undefined,
      s,
    ),
  )
  const runs = useLoad(`runs-${connectionId}`, (s) =>
    api<{ items: Run[] }>('GET', `/syncs${qs({ connectionId, limit: 50 })}`, undefined, s),
  )
  const [busy, setBusy] = useState(false)
  const connection: Connection | undefined = conn.data
    ? 'connection' in conn.data
      ? conn.data.connection
      : conn.data
    : undefined
  const items = runs.data?.items ?? []
  const active = items.some(isRunning)
  useInterval(runs.reload, 1500, active)
  const now = useNow(1000, active)

  useEffect(() => {
    document.title = `Sync history${connection ? ` · ${connection.name}` : ''} · vulnsync`
  }, [connection])

  const syncNow = async () => {
    setBusy(true)
    try {
      await api('POST', `/connections/${encodeURIComponent(connectionId)}/syncs`)
      toast('Sync started', 'ok')
      runs.reload()
    } catch (e) {
      toast(`Could not start a sync: ${errorText(e)}`, 'bad')
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <p className="back">
        <Link to="/integrations">← Integrations</Link>
      </p>
      <PageHeader
        title={
          <span className="detail-title">
            {connection ? <KindIcon kind={connection.kind} /> : null}
            <span>Sync history{connection ? `: ${connection.name}` : ''}</span>
          </span>
        }
        subtitle={
          connection
            ? `${kindTitle(connection.kind)} · ${connection.scheduleCron ? `schedule ${connection.scheduleCron}` : 'every 6 hours'} · next sync ${connection.nextSyncAt ? fmtRelative(connection.nextSyncAt) : 'not scheduled'}`
            : undefined
        }
        actions={
          canSync ? (
            <button type="button" className="btn btn-primary" onClick={syncNow} disabled={busy || active}>
              <Icon name="sync" />
              {active ? 'Syncing…' : 'Sync now'}
            </button>
          ) : null
        }
      />
      <ErrorBox error={conn.error ?? runs.error} />
      {runs.loading && !runs.data ? <Spinner label="Loading sync runs" /> : null}
      {runs.data && items.length === 0 ? <Empty title="No sync has run yet." /> : null}
      <ol className="runs" aria-label="Sync runs, newest first">
        {items.map((r, i) => (
          <RunCard key={r.id} run={r} now={now} latest={i === 0} onChanged={runs.reload} />
        ))}
      </ol>
    </>
  )
}

const COUNT_KEYS: {
  key: 'fetched' | 'created' | 'updated' | 'unchanged' | 'reopened' | 'resolved' | 'unmatched'
  label: string
}[] = [
  { key: 'fetched', label: 'Fetched' },
  { key: 'created', label: 'New' },
  { key: 'updated', label: 'Updated' },
  { key: 'unchanged', label: 'Unchanged' },
  { key: 'reopened', label: 'Reopened' },
  { key: 'resolved', label: 'Resolved' },
  { key: 'unmatched', label: 'Unmatched' },
]

const SKIP_TEXT: Record<string, string> = {
  not_vulnerability: 'not a vulnerability (secrets, IaC, code issues…)',
  no_cve: 'no CVE id',
  out_of_scope: 'out of scope (not SCA or container)',
  dismissed: 'dismissed in the scanner',
  non_main_context: 'not the main branch context',
  not_indexed: 'not indexed by the scanner',
  invalid_record: 'record the scanner sent in an unexpected shape',
  no_package: 'no package',
  unsupported: 'unsupported',
}

function RunCard({ run, now, latest, onChanged }: { run: Run; now: number; latest: boolean; onChanged: () => void }) {
  const isAdmin = useCan('admin')
  const toast = useToast()
  const [confirming, setConfirming] = useState(false)
  const running = isRunning(run)
  const incomplete = (run.incompleteScopes ?? []) as (string | { scope: string; reason: string })[]
  const confirmHeld = async () => {
    setConfirming(true)
    try {
      await api('POST', `/syncs/${encodeURIComponent(run.id)}/confirm`)
      toast('Held run confirmed: its resolutions are applied', 'ok')
      onChanged()
    } catch (e) {
      toast(`Not confirmed: ${errorText(e)}`, 'bad')
    } finally {
      setConfirming(false)
    }
  }
  const c = run.counts ?? {}
  const skipped = Object.entries(c.skipped ?? {}).filter(([, n]) => n > 0)
  const totalSkipped = skipped.reduce((a, [, n]) => a + n, 0)
  return (
    <li className={`card run run-${run.status}`} data-run-id={run.id} data-status={run.status}>
      <div className="run-head">
        <StatusBadge status={run.status} />
        <span className="chip">{TRIGGERS[run.trigger] ?? cap(run.trigger)}</span>
        <span title={fmtDateTime(run.startedAt ?? run.queuedAt)}>
          {run.startedAt ? `Started ${fmtDateTime(run.startedAt)}` : `Queued ${fmtRelative(run.queuedAt)}`}
        </span>
        <span className="muted">
          ·{' '}
          {running
            ? run.startedAt
              ? `running for ${fmtDuration(runDuration(run, now))}`
              : 'waiting to start'
            : `took ${fmtDuration(run.durationMs ?? runDuration(run))}`}
        </span>
      </div>
      {running ? (
        <div className="run-progress">
          <RunProgress run={run} now={now} />
        </div>
      ) : null}
      {run.error ? (
        <div className="alert alert-error" role="alert">
          <Icon name="alert" />
          <div>
            <span>{run.error.message}</span>
            {run.error.hint ? <div className="alert-hint">{run.error.hint}</div> : null}
          </div>
        </div>
      ) : null}
      {run.status === 'held' ? (
        <p className="muted small">
          Held: the upstream suddenly returned far fewer findings than before, so nothing was marked fixed. Check the
          integration and run the sync again.
        </p>
      ) : null}
      {run.status === 'held' && latest && isAdmin ? (
        <div>
          <button type="button" className="btn btn-secondary btn-sm" onClick={confirmHeld} disabled={confirming}>
            The drop is real: confirm and mark the missing findings fixed
          </button>
        </div>
      ) : null}
      {incomplete.length ? (
        <details className="skips">
          <summary>
            {incomplete.length} location{incomplete.length === 1 ? ' was' : 's were'} not read completely: their
            findings were not resolved
          </summary>
          <ul>
            {incomplete.slice(0, 50).map((x) => {
              const scope = typeof x === 'string' ? x : x.scope
              const reason = typeof x === 'string' ? '' : x.reason
              return (
                <li key={scope}>
                  <code>{scope}</code> {reason ? <span className="muted">{reason}</span> : null}
                </li>
              )
            })}
          </ul>
        </details>
      ) : null}
      <dl className="counts">
        {COUNT_KEYS.map(({ key, label }) => (
          <div key={key} className={c[key] ? '' : 'count-zero'}>
            <dt>{label}</dt>
            <dd>{fmtNumber(c[key] ?? 0)}</dd>
          </div>
        ))}
        <div className={totalSkipped ? '' : 'count-zero'}>
          <dt>Skipped</dt>
          <dd>{fmtNumber(totalSkipped)}</dd>
        </div>
      </dl>
      {skipped.length ? (
        <details className="skips">
          <summary>Why {fmtNumber(totalSkipped)} records were skipped</summary>
          <ul>
            {skipped
              .sort((a, b) => b[1] - a[1])
              .map(([reason, n]) => (
                <li key={reason}>
                  <strong>{fmtNumber(n)}</strong> {SKIP_TEXT[reason] ?? humanize(reason)}{' '}
                  <code className="muted small">{reason}</code>
                </li>
              ))}
          </ul>
        </details>
      ) : null}
    </li>
  )
}
