// One connection on its connector's card: status, last and next sync, and what the user's role may do with it.
import { useState } from 'react'
import { api, type Connection, type ConnectorInfo, errorText, isRunning, type Run } from '../../api.ts'
import { useCan } from '../../auth.tsx'
import { StatusBadge } from '../../components/badges.tsx'
import { Icon } from '../../components/icon.tsx'
import { RunProgress } from '../../components/run-progress.tsx'
import { useToast } from '../../components/toast.tsx'
import { fmtDateTime, fmtNumber, fmtRelative } from '../../format.ts'
import { useNow } from '../../hooks.ts'
import { Link } from '../../router.tsx'
import type { Modal } from './modal.ts'

function runSummary(r: Run): string {
  const c = r.counts
  if (!c) return ''
  const parts: string[] = []
  if (c.fetched != null) parts.push(`${fmtNumber(c.fetched)} fetched`)
  if (c.created) parts.push(`${fmtNumber(c.created)} new`)
  if (c.updated) parts.push(`${fmtNumber(c.updated)} updated`)
  if (c.resolved) parts.push(`${fmtNumber(c.resolved)} resolved`)
  if (c.reopened) parts.push(`${fmtNumber(c.reopened)} reopened`)
  if (c.unmatched) parts.push(`${fmtNumber(c.unmatched)} unmatched`)
  const skipped = Object.values(c.skipped ?? {}).reduce((a, b) => a + b, 0)
  if (skipped) parts.push(`${fmtNumber(skipped)} skipped`)
  return parts.join(' · ')
}

export function ConnectionRow({
  connection: c,
  connector,
  onModal,
  onChanged,
}: {
  connection: Connection
  connector: ConnectorInfo
  onModal: (m: Modal) => void
  onChanged: () => void
}) {
  const isAdmin = useCan('admin')
  const canSync = useCan('member')
  // a ticket tracker has no locations; Jira calls its webhook URL
  const tracker = connector.role === 'tracker'
  const toast = useToast()
  const [busy, setBusy] = useState(false)
  const running = isRunning(c.lastRun)
  const now = useNow(1000, running)
  const run = c.lastRun
  const syncNow = async () => {
    setBusy(true)
    try {
      await api('POST', `/connections/${encodeURIComponent(c.id)}/syncs`)
      toast(`Sync of ${c.name} started`, 'ok')
      onChanged()
    } catch (e) {
      toast(`Could not start a sync of ${c.name}: ${errorText(e)}`, 'bad')
    } finally {
      setBusy(false)
    }
  }
  return (
    <li className="connection" data-connection-id={c.id}>
      <div className="connection-main">
        <div className="connection-name">
          <StatusBadge
            status={c.status}
            label={c.status === 'active' ? 'Active' : c.status === 'error' ? 'Error' : undefined}
          />
          <strong>{c.name}</strong>
          {tracker ? null : c.locations ? (
            <span className="chip" title="Only the chosen locations are synced">
              {c.locations.length} location{c.locations.length === 1 ? '' : 's'}
            </span>
          ) : (
            <span className="chip">All locations</span>
          )}
        </div>
        <dl className="connection-facts">
          {tracker ? (
            <div>
              <dt>Webhook URL</dt>
              <dd>
                <span className="mono break" data-testid="tracker-webhook-url">
                  {`${window.location.origin}/api/v1/hooks/${c.id}`}
                </span>
                <span className="muted small">
                  {c.secretFields.includes('webhookSecret')
                    ? " · put the webhook secret in Jira's Secret field"
                    : ' · no webhook secret set: Jira changes arrive through the reconciliation only'}
                </span>
              </dd>
            </div>
          ) : null}
          <div>
            <dt>{tracker ? 'Last reconciliation' : 'Last sync'}</dt>
            <dd>
              {run ? (
                running ? (
                  <RunProgress run={run} now={now} />
                ) : (
                  <>
                    <StatusBadge status={run.status} /> {fmtRelative(run.finishedAt ?? run.startedAt)}
                    {runSummary(run) ? <span className="muted"> · {runSummary(run)}</span> : null}
                  </>
                )
              ) : (
                'Never'
              )}
            </dd>
          </div>
          {run?.error && !running ? (
            <div className="connection-error">
              <dt>Error</dt>
              <dd>
                {run.error.message}
                {run.error.hint ? <span className="muted"> {run.error.hint}</span> : null}
              </dd>
            </div>
          ) : null}
          {c.unmatched.findings > 0 ? (
            <div className="connection-unmatched">
              <dt>Waiting for a repository</dt>
              <dd>
                <Link to="/repositories/unmatched">
                  {fmtNumber(c.unmatched.findings)} finding{c.unmatched.findings === 1 ? '' : 's'} from{' '}
                  {fmtNumber(c.unmatched.targets)} target{c.unmatched.targets === 1 ? '' : 's'}
                </Link>
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Next sync</dt>
            <dd title={fmtDateTime(c.nextSyncAt)}>
              {c.nextSyncAt ? `${fmtRelative(c.nextSyncAt)} (${fmtDateTime(c.nextSyncAt)})` : 'Not scheduled'}
            </dd>
          </div>
        </dl>
      </div>
      <div className="connection-actions">
        {canSync ? (
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            onClick={syncNow}
            disabled={busy || running}
            aria-label={`Sync ${c.name} now`}
          >
            <Icon name="sync" />
            {running ? 'Syncing…' : 'Sync now'}
          </button>
        ) : null}
        <Link
          to={`/connections/${encodeURIComponent(c.id)}/syncs`}
          className="btn btn-ghost btn-sm"
          aria-label={`Sync history of ${c.name}`}
        >
          <Icon name="history" />
          History
        </Link>
        {isAdmin ? (
          <>
            <button
              type="button"
              className="btn btn-ghost btn-sm"
              onClick={() => onModal({ type: 'configure', connector, connection: c })}
              aria-label={`Configure ${c.name}`}
            >
              Configure
            </button>
            {tracker ? null : (
              <button
                type="button"
                className="btn-icon"
                onClick={() => onModal({ type: 'locations', connector, connection: c })}
                aria-label={`Choose what ${c.name} syncs`}
                title={connector.role === 'scm' ? 'Choose repositories' : 'Choose projects and repositories'}
              >
                <Icon name="gear" />
              </button>
            )}
            <button
              type="button"
              className="btn btn-ghost btn-sm"
              onClick={() => onModal({ type: 'reconnect', connector, connection: c })}
              aria-label={`Reconnect ${c.name} with new credentials`}
            >
              Reconnect
            </button>
            <button
              type="button"
              className="btn btn-danger-ghost btn-sm"
              onClick={() => onModal({ type: 'disconnect', connector, connection: c })}
              aria-label={`Disconnect ${c.name}`}
            >
              Disconnect
            </button>
          </>
        ) : null}
      </div>
    </li>
  )
}
