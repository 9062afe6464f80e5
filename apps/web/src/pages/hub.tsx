import { type FormEvent, type ReactNode, useEffect, useMemo, useState } from 'react'
import {
  ApiError,
  api,
  type Connection,
  type ConnectorInfo,
  errorText,
  isRunning,
  type LocationItem,
  type Run,
} from '../api.ts'
import { useCan } from '../auth.tsx'
import { fmtDateTime, fmtNumber, fmtRelative } from '../format.ts'
import { Link } from '../router.tsx'
import { type FormValues, initialValues, SchemaFields, toPayload } from '../schema-form.tsx'
import {
  Dialog,
  Empty,
  ErrorBox,
  Icon,
  KindIcon,
  PageHeader,
  Spinner,
  StatusBadge,
  useInterval,
  useLoad,
  useNow,
  useToast,
} from '../ui.tsx'

const KIND_ORDER = ['ox', 'endor', 'jfrog', 'github', 'gitlab']

const checkFailed = (e: unknown) => e instanceof ApiError && e.code === 'check_failed'

type Modal =
  | { type: 'connect'; connector: ConnectorInfo }
  | { type: 'configure'; connector: ConnectorInfo; connection: Connection }
  | { type: 'reconnect'; connector: ConnectorInfo; connection: Connection }
  | { type: 'locations'; connector: ConnectorInfo; connection: Connection }
  | { type: 'disconnect'; connector: ConnectorInfo; connection: Connection }

export function HubPage() {
  useEffect(() => {
    document.title = 'Integrations · vulnsync'
  }, [])
  const connectors = useLoad('connectors', (s) => api<{ items: ConnectorInfo[] }>('GET', '/connectors', undefined, s))
  const connections = useLoad('connections', (s) => api<{ items: Connection[] }>('GET', '/connections', undefined, s))
  const [modal, setModal] = useState<Modal | null>(null)
  const anyRunning = (connections.data?.items ?? []).some((c) => isRunning(c.lastRun))
  useInterval(connections.reload, anyRunning ? 2000 : 30000, true)

  const sorted = useMemo(
    () =>
      [...(connectors.data?.items ?? [])].sort((a, b) => {
        const ia = KIND_ORDER.indexOf(a.kind)
        const ib = KIND_ORDER.indexOf(b.kind)
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib)
      }),
    [connectors.data],
  )
  const scanners = sorted.filter((c) => c.role !== 'scm')
  const scms = sorted.filter((c) => c.role === 'scm')
  const byKind = (kind: string) => (connections.data?.items ?? []).filter((c) => c.kind === kind)

  const close = () => setModal(null)
  const done = () => {
    setModal(null)
    connections.reload()
  }

  return (
    <>
      <PageHeader
        title="Integrations"
        subtitle="Connect your scanners to import their vulnerabilities, and your source control to map them to repositories."
      />
      <ErrorBox error={connectors.error ?? connections.error} />
      {!connectors.data && connectors.loading ? <Spinner /> : null}
      {[
        { id: 'hub-scanners', title: 'Scanners', items: scanners },
        { id: 'hub-scm', title: 'Source control', items: scms },
      ].map((group) =>
        group.items.length ? (
          <section key={group.id} aria-labelledby={group.id}>
            <h2 id={group.id} className="section-title">
              {group.title}
            </h2>
            <div className="card-grid">
              {group.items.map((c) => (
                <ConnectorCard
                  key={c.kind}
                  connector={c}
                  connections={byKind(c.kind)}
                  onModal={setModal}
                  onChanged={connections.reload}
                />
              ))}
            </div>
          </section>
        ) : null,
      )}
      {modal?.type === 'connect' ? (
        <ConnectDialog
          connector={modal.connector}
          existing={byKind(modal.connector.kind)}
          onClose={close}
          onDone={done}
        />
      ) : null}
      {modal?.type === 'configure' ? (
        <ConfigureDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
      {modal?.type === 'reconnect' ? (
        <ReconnectDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
      {modal?.type === 'locations' ? (
        <LocationsDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
      {modal?.type === 'disconnect' ? (
        <DisconnectDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
    </>
  )
}

function ConnectorCard({
  connector,
  connections,
  onModal,
  onChanged,
}: {
  connector: ConnectorInfo
  connections: Connection[]
  onModal: (m: Modal) => void
  onChanged: () => void
}) {
  const isAdmin = useCan('admin')
  const headingId = `card-${connector.kind}`
  const errors = connections.filter((c) => c.status === 'error').length
  return (
    <article className="card connector-card" aria-labelledby={headingId} data-kind={connector.kind}>
      <div className="connector-head">
        <KindIcon kind={connector.kind} size="lg" />
        <div className="connector-title">
          <h3 id={headingId}>{connector.title}</h3>
          <p className="muted small">
            {connector.role === 'scm'
              ? 'Source control · repository inventory'
              : 'Scanner · SCA and container vulnerabilities'}
          </p>
        </div>
        <div className="connector-state">
          {connections.length === 0 ? (
            <StatusBadge status="cancelled" label="Not connected" />
          ) : errors ? (
            <StatusBadge status="error" label={errors === connections.length ? 'Error' : `${errors} with errors`} />
          ) : (
            <StatusBadge
              status="active"
              label={connections.length === 1 ? 'Connected' : `${connections.length} connections`}
            />
          )}
        </div>
      </div>
      <p className="connector-desc">{connector.description}</p>
      {connections.length ? (
        <ul className="connection-list" aria-label={`${connector.title} connections`}>
          {connections.map((c) => (
            <ConnectionRow key={c.id} connection={c} connector={connector} onModal={onModal} onChanged={onChanged} />
          ))}
        </ul>
      ) : null}
      {isAdmin ? (
        <div className="card-actions">
          <button
            type="button"
            className={connections.length ? 'btn btn-secondary' : 'btn btn-primary'}
            onClick={() => onModal({ type: 'connect', connector })}
          >
            <Icon name="plug" />
            {connections.length ? `Add another ${connector.title} connection` : 'Connect'}
          </button>
        </div>
      ) : null}
    </article>
  )
}

export function runSummary(r: Run): string {
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

export function RunProgress({ run, now }: { run: Run; now: number }) {
  const p = run.progress ?? {}
  const paused = p.pausedUntil ? new Date(p.pausedUntil).getTime() : 0
  if (run.status === 'queued' && !run.startedAt)
    return <span className="progress-text">Queued, waiting for a worker…</span>
  const total = typeof p.total === 'number' && p.total > 0 ? p.total : null
  const records = p.records ?? 0
  const isPaused = paused > now
  return (
    <span className="progress-block">
      <span className="progress-text" role="status">
        {isPaused ? (
          <span className="paused">
            <Icon name="pause" /> Paused for{' '}
            {!p.message || /rate|429|limit/i.test(p.message)
              ? "the scanner's rate limit"
              : 'a temporary upstream error'}
            , resuming in {Math.ceil((paused - now) / 1000)} s ·{' '}
          </span>
        ) : (
          <span className="pulse" aria-hidden="true" />
        )}
        Page {fmtNumber(p.pages ?? 0)} · {fmtNumber(records)}
        {total ? ` of ${fmtNumber(total)}` : ''} records
        {p.message && !isPaused ? ` · ${p.message}` : ''}
      </span>
      {total ? (
        <progress className="progress-bar" max={total} value={Math.min(records, total)} aria-label="Sync progress" />
      ) : null}
    </span>
  )
}

function ConnectionRow({
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
          {c.locations ? (
            <span className="chip" title="Only the chosen locations are synced">
              {c.locations.length} location{c.locations.length === 1 ? '' : 's'}
            </span>
          ) : (
            <span className="chip">All locations</span>
          )}
        </div>
        <dl className="connection-facts">
          <div>
            <dt>Last sync</dt>
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
            <button
              type="button"
              className="btn-icon"
              onClick={() => onModal({ type: 'locations', connector, connection: c })}
              aria-label={`Choose what ${c.name} syncs`}
              title={connector.role === 'scm' ? 'Choose repositories' : 'Choose projects and repositories'}
            >
              <Icon name="gear" />
            </button>
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

// ------------------------------------------------------------------ connect

function ConnectDialog({
  connector,
  existing,
  onClose,
  onDone,
}: {
  connector: ConnectorInfo
  existing: Connection[]
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const [name, setName] = useState(existing.length ? `${connector.title} ${existing.length + 1}` : connector.title)
  const [config, setConfig] = useState<FormValues>(() => initialValues(connector.configSchema))
  const [secrets, setSecrets] = useState<FormValues>(() => initialValues(connector.secretsSchema))
  const [schedule, setSchedule] = useState('')
  const submit = async () => {
    const body: Record<string, unknown> = {
      kind: connector.kind,
      name: name.trim(),
      config: toPayload(connector.configSchema, config, { omitEmpty: true }),
      secrets: toPayload(connector.secretsSchema, secrets, { omitEmpty: true }),
    }
    if (schedule.trim()) body.scheduleCron = schedule.trim()
    await api<{ connection: Connection; run?: Run }>('POST', '/connections', body)
    toast(`${name.trim()} connected: the first sync has started`, 'ok')
    onDone()
  }
  const formId = `connect-${connector.kind}`
  return (
    <FormDialog
      title={`Connect ${connector.title}`}
      formId={formId}
      submitLabel="Connect"
      busyLabel="Checking the connection…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={(error) => (checkFailed(error) ? 'The connection check failed' : 'Could not connect')}
    >
      {(busy) => (
        <>
          <p className="muted">{connector.description}</p>
          {connector.help ? <p className="help-box">{connector.help}</p> : null}
          <div className="field">
            <label htmlFor={`${formId}-name`}>Connection name</label>
            <input
              id={`${formId}-name`}
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-describedby={`${formId}-name-help`}
            />
            <p className="help" id={`${formId}-name-help`}>
              Shown on every finding this connection imports.
            </p>
          </div>
          <SchemaFields
            schema={connector.configSchema}
            values={config}
            onChange={setConfig}
            idPrefix={`${formId}-config`}
            disabled={busy}
          />
          <fieldset className="fieldset">
            <legend>Credentials</legend>
            <p className="help">Stored encrypted and never shown again. vulnsync only reads from {connector.title}.</p>
            <SchemaFields
              schema={connector.secretsSchema}
              values={secrets}
              onChange={setSecrets}
              idPrefix={`${formId}-secret`}
              disabled={busy}
            />
          </fieldset>
          <details className="advanced">
            <summary>Schedule</summary>
            <div className="field">
              <label htmlFor={`${formId}-cron`}>Sync schedule (cron)</label>
              <input
                id={`${formId}-cron`}
                placeholder="0 */6 * * *"
                value={schedule}
                onChange={(e) => setSchedule(e.target.value)}
                aria-describedby={`${formId}-cron-help`}
              />
              <p className="help" id={`${formId}-cron-help`}>
                Leave empty for the default: every 6 hours.
              </p>
            </div>
          </details>
        </>
      )}
    </FormDialog>
  )
}

/** A dialog around one form: Cancel and a submit button, busy state, and the error shown in place. */
function FormDialog({
  title,
  formId,
  submitLabel,
  busyLabel,
  onClose,
  onSubmit,
  errorTitle,
  children,
}: {
  title: string
  formId: string
  submitLabel: string
  busyLabel: string
  onClose: () => void
  onSubmit: () => Promise<void>
  errorTitle: (error: unknown) => string
  children: (busy: boolean) => ReactNode
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onSubmit()
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy}>
            {busy ? busyLabel : submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} aria-label={title}>
        {children(busy)}
        <div aria-live="assertive">{error ? <ErrorBox error={error} title={errorTitle(error)} /> : null}</div>
      </form>
    </Dialog>
  )
}

function ConfigureDialog({
  connector,
  connection,
  onClose,
  onDone,
}: {
  connector: ConnectorInfo
  connection: Connection
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const [name, setName] = useState(connection.name)
  const [config, setConfig] = useState<FormValues>(() => initialValues(connector.configSchema, connection.config))
  const [schedule, setSchedule] = useState(connection.scheduleCron ?? '')
  const formId = `configure-${connection.id}`
  const submit = async () => {
    // only what changed: a new configuration is re-checked against the vendor, a rename is not
    const next = toPayload(connector.configSchema, config, { omitEmpty: true })
    const configChanged = Object.entries(next).some(
      ([k, v]) => JSON.stringify(v) !== JSON.stringify(connection.config[k]),
    )
    const body: Record<string, unknown> = {}
    if (name.trim() !== connection.name) body.name = name.trim()
    if (configChanged) body.config = next
    if (schedule.trim() && schedule.trim() !== connection.scheduleCron) body.scheduleCron = schedule.trim()
    if (Object.keys(body).length) await api('PATCH', `/connections/${encodeURIComponent(connection.id)}`, body)
    toast(`${name.trim()} saved`, 'ok')
    onDone()
  }
  return (
    <FormDialog
      title={`Configure ${connection.name}`}
      formId={formId}
      submitLabel="Save"
      busyLabel="Saving…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={() => 'Not saved'}
    >
      {(busy) => (
        <>
          <div className="field">
            <label htmlFor={`${formId}-name`}>Connection name</label>
            <input id={`${formId}-name`} required value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <SchemaFields
            schema={connector.configSchema}
            values={config}
            onChange={setConfig}
            idPrefix={`${formId}-config`}
            disabled={busy}
          />
          <div className="field">
            <label htmlFor={`${formId}-cron`}>Sync schedule (cron)</label>
            <input
              id={`${formId}-cron`}
              placeholder="0 */6 * * *"
              value={schedule}
              onChange={(e) => setSchedule(e.target.value)}
              aria-describedby={`${formId}-cron-help`}
            />
            <p className="help" id={`${formId}-cron-help`}>
              Five-field cron, in UTC. Credentials are changed with Reconnect. Saving a new configuration runs the
              connection check first.
            </p>
          </div>
        </>
      )}
    </FormDialog>
  )
}

function ReconnectDialog({
  connector,
  connection,
  onClose,
  onDone,
}: {
  connector: ConnectorInfo
  connection: Connection
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const [secrets, setSecrets] = useState<FormValues>(() => initialValues(connector.secretsSchema))
  const formId = `reconnect-${connection.id}`
  const submit = async () => {
    // the server checks the new credentials before it stores them (422 check_failed otherwise)
    await api('PATCH', `/connections/${encodeURIComponent(connection.id)}`, {
      secrets: toPayload(connector.secretsSchema, secrets, { omitEmpty: true }),
    })
    toast(`${connection.name} reconnected: the new credentials passed the check`, 'ok')
    onDone()
  }
  return (
    <FormDialog
      title={`Reconnect ${connection.name}`}
      formId={formId}
      submitLabel="Reconnect"
      busyLabel="Checking…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={(error) => (checkFailed(error) ? 'The connection check failed' : 'Not reconnected')}
    >
      {(busy) => (
        <>
          <p className="muted">
            Enter new credentials. They replace the stored ones and are checked right away; the connection's settings
            and findings are kept.
          </p>
          <SchemaFields
            schema={connector.secretsSchema}
            values={secrets}
            onChange={setSecrets}
            idPrefix={`${formId}-secret`}
            disabled={busy}
          />
        </>
      )}
    </FormDialog>
  )
}

function DisconnectDialog({
  connector,
  connection,
  onClose,
  onDone,
}: {
  connector: ConnectorInfo
  connection: Connection
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const descId = `disconnect-desc-${connection.id}`
  const confirm = async () => {
    setBusy(true)
    try {
      await api('DELETE', `/connections/${encodeURIComponent(connection.id)}`)
      toast(`${connection.name} disconnected`, 'ok')
      onDone()
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={`Disconnect ${connection.name}?`}
      onClose={onClose}
      describedBy={descId}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Keep connected
          </button>
          <button type="button" className="btn btn-danger" onClick={confirm} disabled={busy}>
            {busy ? 'Disconnecting…' : 'Disconnect'}
          </button>
        </>
      }
    >
      <div id={descId}>
        {connector.role === 'scm' ? (
          <p>
            vulnsync stops reading repositories from this {connector.title} connection and deletes its stored
            credentials. The repositories it found stay in the inventory, and findings already mapped to them stay in
            the queue, but the inventory no longer updates.
          </p>
        ) : (
          <>
            <p>vulnsync stops syncing from this {connector.title} connection and deletes its stored credentials.</p>
            <p>
              <strong>The findings it imported stay in the queue</strong> with their history, but they stop updating:
              this connection will no longer mark them fixed, reopen them or add new ones. Findings also reported by
              another scanner keep updating from that scanner.
            </p>
          </>
        )}
      </div>
      <ErrorBox error={error} />
    </Dialog>
  )
}

// ------------------------------------------------------------------ locations picker

const SHOW_MAX = 500

function LocationsDialog({
  connector,
  connection,
  onClose,
  onDone,
}: {
  connector: ConnectorInfo
  connection: Connection
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const loc = useLoad(`locations-${connection.id}`, (s) =>
    api<{ items: LocationItem[]; selection: string[] | null; selectable?: boolean }>(
      'GET',
      `/connections/${encodeURIComponent(connection.id)}/locations`,
      undefined,
      s,
    ),
  )
  const [all, setAll] = useState(true)
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [q, setQ] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    if (!loc.data) return
    setAll(loc.data.selection === null)
    setChosen(new Set(loc.data.selection ?? loc.data.items.filter((i) => i.selected).map((i) => i.id)))
  }, [loc.data])
  const items = loc.data?.items ?? []
  const needle = q.trim().toLowerCase()
  const filtered = needle
    ? items.filter(
        (i) =>
          i.name.toLowerCase().includes(needle) ||
          i.id.toLowerCase().includes(needle) ||
          (i.description ?? '').toLowerCase().includes(needle) ||
          (i.matched?.fullName ?? '').toLowerCase().includes(needle),
      )
    : items
  const shown = filtered.slice(0, SHOW_MAX)
  const selectedVisible = filtered.filter((i) => chosen.has(i.id)).length
  const toggleAllVisible = () => {
    const next = new Set(chosen)
    if (selectedVisible === filtered.length) for (const i of filtered) next.delete(i.id)
    else for (const i of filtered) next.add(i.id)
    setChosen(next)
  }
  const toggle = (id: string) => {
    const next = new Set(chosen)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setChosen(next)
  }
  const save = async () => {
    setBusy(true)
    setError(null)
    try {
      await api('PATCH', `/connections/${encodeURIComponent(connection.id)}`, { locations: all ? null : [...chosen] })
      toast(
        all
          ? `${connection.name} syncs every location`
          : `${connection.name} syncs ${chosen.size} location${chosen.size === 1 ? '' : 's'}`,
        'ok',
      )
      onDone()
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  const what = connector.role === 'scm' ? 'repositories' : 'projects and repositories'
  return (
    <Dialog
      title={`What ${connection.name} syncs`}
      onClose={onClose}
      wide
      footer={
        <>
          <span className="muted small foot-note">
            {all
              ? 'Everything the credentials can see, including new ones.'
              : `${fmtNumber(chosen.size)} of ${fmtNumber(items.length)} selected. Findings of locations you leave out are marked excluded (not fixed); the next sync reads the chosen ones.`}
          </span>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={save}
            disabled={busy || !loc.data || (!all && chosen.size === 0)}
          >
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <fieldset className="radio-group">
        <legend className="visually-hidden">Scope</legend>
        <label>
          <input type="radio" name="scope" checked={all} onChange={() => setAll(true)} /> All {what} the credentials can
          see (new ones are picked up automatically)
        </label>
        <label>
          <input type="radio" name="scope" checked={!all} onChange={() => setAll(false)} /> Only the {what} I choose
        </label>
      </fieldset>
      <ErrorBox error={loc.error ?? error} />
      {loc.loading && !loc.data ? <Spinner label={`Loading ${what}`} /> : null}
      {loc.data ? (
        <div className={`locations${all ? ' locations-disabled' : ''}`}>
          <div className="locations-tools">
            <div className="search-input">
              <Icon name="search" />
              <label htmlFor="loc-search" className="visually-hidden">
                Search {what}
              </label>
              <input
                id="loc-search"
                type="search"
                placeholder={`Search ${items.length} ${what}`}
                value={q}
                onChange={(e) => setQ(e.target.value)}
                disabled={all}
              />
            </div>
            <label className="check-inline">
              <input
                type="checkbox"
                disabled={all || filtered.length === 0}
                checked={filtered.length > 0 && selectedVisible === filtered.length}
                ref={(el) => {
                  if (el) el.indeterminate = selectedVisible > 0 && selectedVisible < filtered.length
                }}
                onChange={toggleAllVisible}
              />
              Select all{needle ? ' matching' : ''} ({fmtNumber(filtered.length)})
            </label>
          </div>
          {items.length === 0 ? (
            <Empty
              title={
                loc.data.selectable === false
                  ? `${connector.title} has nothing to choose from: it syncs everything the credentials can see.`
                  : 'The credentials see no locations.'
              }
            />
          ) : null}
          <ul className="location-list" aria-label={what}>
            {shown.map((i) => (
              <li key={i.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={all || chosen.has(i.id)}
                    disabled={all}
                    onChange={() => toggle(i.id)}
                  />
                  <span className="loc-name">{i.name}</span>
                  <span className="chip">{i.kind}</span>
                  {i.matched ? (
                    <span className="loc-match" title="Matched repository">
                      <Icon name="repo" size={12} /> {i.matched.fullName}
                    </span>
                  ) : null}
                  {i.description ? <span className="muted small loc-desc">{i.description}</span> : null}
                </label>
              </li>
            ))}
          </ul>
          {filtered.length > SHOW_MAX ? (
            <p className="muted small">
              Showing the first {SHOW_MAX} of {fmtNumber(filtered.length)}; search to narrow. Select all applies to all{' '}
              {fmtNumber(filtered.length)}.
            </p>
          ) : null}
        </div>
      ) : null}
    </Dialog>
  )
}
