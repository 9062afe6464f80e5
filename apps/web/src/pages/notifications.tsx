// Notifications: webhook and Slack subscriptions (admins manage them) and each one's delivery log, with redelivery.
import { useEffect, useState } from 'react'
import { api, type Delivery, errorText, type NotificationEvent, qs, SEVERITIES, type Subscription } from '../api.ts'
import { useAuth } from '../auth.tsx'
import { StatusBadge } from '../components/badges.tsx'
import { ConfirmDialog } from '../components/confirm-dialog.tsx'
import { Dialog } from '../components/dialog.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Field } from '../components/field.tsx'
import { FormDialog } from '../components/form-dialog.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { useToast } from '../components/toast.tsx'
import { cap, fmtDateTime, fmtDuration } from '../format.ts'
import { useInterval, useLoad } from '../hooks.ts'

const EVENT_WORDS: Record<NotificationEvent, string> = {
  'issue.new': 'New issue',
  'issue.fixed': 'Issue fixed',
  'issue.fix_merged': 'Fix pull request merged',
  'sla.due_soon': 'SLA due soon',
  'sla.breached': 'SLA breached',
  'decision.expiring': 'Decision expiring',
  'sync.failed': 'Sync failed',
  'sync.held': 'Sync held',
}

export function NotificationsPage() {
  const { user } = useAuth()
  const admin = user.role === 'admin'
  const toast = useToast()
  const subs = useLoad('subscriptions', (s) =>
    api<{ items: Subscription[] }>('GET', '/notifications/subscriptions', undefined, s),
  )
  const [adding, setAdding] = useState(false)
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null)
  const [removing, setRemoving] = useState<Subscription | null>(null)
  const [open, setOpen] = useState<string | null>(null)
  useEffect(() => {
    document.title = 'Notifications · vulnsync'
  }, [])

  const toggle = async (s: Subscription) => {
    try {
      await api('PATCH', `/notifications/subscriptions/${s.id}`, { enabled: !s.enabled })
      toast(`${s.name} ${s.enabled ? 'paused' : 'resumed'}`, 'ok')
    } catch (e) {
      toast(`Not changed: ${errorText(e)}`, 'bad')
    }
    subs.reload()
  }
  const items = subs.data?.items ?? []
  const shown = items.find((s) => s.id === open) ?? null

  return (
    <>
      <PageHeader
        title="Notifications"
        subtitle="Signed webhooks and Slack messages when something needs attention; every delivery is logged and can be sent again."
        actions={
          admin ? (
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Add subscription
            </button>
          ) : null
        }
      />
      <ErrorBox error={subs.error} />
      {subs.loading && !subs.data ? <Spinner /> : null}
      {subs.data && items.length === 0 ? (
        <Empty title="No subscriptions yet">
          {admin ? 'Add a webhook or a Slack incoming webhook to be told about new issues, SLAs and syncs.' : null}
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Subscriptions</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Sends to</th>
                <th scope="col">Events</th>
                <th scope="col">Deliveries</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <strong>{s.name}</strong> {s.enabled ? null : <StatusBadge status="cancelled" label="Paused" />}
                  </td>
                  <td>
                    {s.kind === 'slack' ? 'Slack' : 'Webhook'} · <span className="mono">{s.urlHint}</span>
                    {s.signed ? <span className="muted small"> (signed)</span> : null}
                  </td>
                  <td>
                    {s.events.map((e) => EVENT_WORDS[e]).join(', ')}
                    {s.minPriority ? <span className="muted small"> · {cap(s.minPriority)} and above</span> : null}
                  </td>
                  <td>
                    {s.deliveries.delivered} delivered
                    {s.deliveries.pending ? `, ${s.deliveries.pending} pending` : ''}
                    {s.deliveries.failed ? `, ${s.deliveries.failed} failed` : ''}
                  </td>
                  <td className="cell-actions">
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      onClick={() => setOpen(s.id)}
                      aria-label={`Delivery log of ${s.name}`}
                    >
                      Delivery log
                    </button>
                    {admin ? (
                      <>
                        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void toggle(s)}>
                          {s.enabled ? 'Pause' : 'Resume'}
                        </button>
                        <button
                          type="button"
                          className="btn btn-danger-ghost btn-sm"
                          onClick={() => setRemoving(s)}
                          aria-label={`Remove ${s.name}`}
                        >
                          Remove
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {shown ? <DeliveryLog subscription={shown} onClose={() => setOpen(null)} onChanged={subs.reload} /> : null}
      {adding ? (
        <AddSubscriptionDialog
          onClose={() => setAdding(false)}
          onDone={(name, s) => {
            setAdding(false)
            subs.reload()
            if (s) setSecret({ name, secret: s })
            else toast(`${name} subscribed`, 'ok')
          }}
        />
      ) : null}
      {secret ? (
        <Dialog
          title="Signing secret"
          onClose={() => setSecret(null)}
          footer={
            <button type="button" className="btn btn-primary" onClick={() => setSecret(null)}>
              Done
            </button>
          }
        >
          <p>
            {secret.name} is subscribed. Its deliveries carry <code>X-Vulnsync-Signature</code> (HMAC-SHA256 of{' '}
            <code>timestamp.body</code>) and <code>X-Vulnsync-Timestamp</code>. Copy the secret now: it is not shown
            again.
          </p>
          <p className="mono break" data-testid="subscription-secret">
            {secret.secret}
          </p>
        </Dialog>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove"
          busyLabel="Removing…"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api('DELETE', `/notifications/subscriptions/${removing.id}`)
            toast(`${removing.name} removed`, 'ok')
            setRemoving(null)
            subs.reload()
          }}
        >
          Nothing more is sent to it, and its delivery log goes with it.
        </ConfirmDialog>
      ) : null}
    </>
  )
}

function AddSubscriptionDialog({
  onClose,
  onDone,
}: {
  onClose: () => void
  onDone: (name: string, secret: string | null) => void
}) {
  const [name, setName] = useState('')
  const [kind, setKind] = useState<'webhook' | 'slack'>('webhook')
  const [url, setUrl] = useState('')
  const [events, setEvents] = useState<NotificationEvent[]>(['issue.new', 'sla.breached'])
  const [minPriority, setMinPriority] = useState('high')
  const flip = (e: NotificationEvent) =>
    setEvents((cur) => (cur.includes(e) ? cur.filter((x) => x !== e) : [...cur, e]))
  return (
    <FormDialog
      title="Add subscription"
      formId="add-subscription"
      submitLabel="Subscribe"
      busyLabel="Subscribing…"
      onClose={onClose}
      onSubmit={async () => {
        const r = await api<{ subscription: Subscription; secret: string | null }>(
          'POST',
          '/notifications/subscriptions',
          { name, kind, url, events, minPriority: minPriority || null },
        )
        onDone(r.subscription.name, r.secret)
      }}
    >
      {(busy) => (
        <fieldset className="fieldset" disabled={busy}>
          <Field id="sub-name" label="Name" value={name} onChange={(e) => setName(e.target.value)} required />
          <div className="field">
            <span className="label-row">Kind</span>
            <div className="radio-group">
              {(['webhook', 'slack'] as const).map((k) => (
                <label key={k} className="check-inline">
                  <input type="radio" name="sub-kind" checked={kind === k} onChange={() => setKind(k)} />
                  {k === 'webhook' ? 'Webhook (signed JSON)' : 'Slack incoming webhook'}
                </label>
              ))}
            </div>
          </div>
          <Field
            id="sub-url"
            label="URL"
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder={kind === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/vulnsync'}
            help={
              kind === 'webhook'
                ? 'Receives a POST of JSON, signed with a secret shown once after saving; retried with backoff for a day.'
                : 'A Slack incoming webhook; messages are short and link back to vulnsync.'
            }
            required
          />
          <fieldset className="fieldset">
            <legend>Events</legend>
            {Object.entries(EVENT_WORDS).map(([e, words]) => (
              <label key={e} className="check-inline">
                <input
                  type="checkbox"
                  checked={events.includes(e as NotificationEvent)}
                  onChange={() => flip(e as NotificationEvent)}
                />
                {words}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="sub-priority">Issues and SLAs at or above</label>
            <select id="sub-priority" value={minPriority} onChange={(e) => setMinPriority(e.target.value)}>
              <option value="">Every priority</option>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {cap(s)}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
      )}
    </FormDialog>
  )
}

const DELIVERY_TONE: Record<Delivery['status'], string> = {
  pending: 'queued',
  delivered: 'succeeded',
  failed: 'failed',
}

function DeliveryLog({
  subscription,
  onClose,
  onChanged,
}: {
  subscription: Subscription
  onClose: () => void
  onChanged: () => void
}) {
  const { user } = useAuth()
  const toast = useToast()
  const [cursor, setCursor] = useState<string | null>(null)
  const log = useLoad(`deliveries:${subscription.id}:${cursor ?? ''}`, (s) =>
    api<{ items: Delivery[]; nextCursor: string | null }>(
      'GET',
      `/notifications/subscriptions/${subscription.id}/deliveries${qs({ limit: 25, cursor })}`,
      undefined,
      s,
    ),
  )
  const pending = (log.data?.items ?? []).some((d) => d.status === 'pending')
  useInterval(log.reload, 3000, pending)
  const redeliver = async (d: Delivery) => {
    try {
      await api('POST', `/notifications/deliveries/${d.id}/redeliver`)
      toast(`${EVENT_WORDS[d.eventType]} queued again`, 'ok')
    } catch (e) {
      toast(`Not redelivered: ${errorText(e)}`, 'bad')
    }
    setCursor(null)
    log.reload()
    onChanged()
  }
  return (
    <Dialog title={`Delivery log: ${subscription.name}`} onClose={onClose} wide>
      <ErrorBox error={log.error} />
      {log.loading && !log.data ? <Spinner /> : null}
      {log.data && log.data.items.length === 0 ? <Empty title="Nothing delivered yet" /> : null}
      {log.data && log.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Deliveries of {subscription.name}</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Receiver said</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td>
                    {EVENT_WORDS[d.eventType]}
                    <div className="muted small">{fmtDateTime(d.eventAt)}</div>
                    {d.redeliveryOf ? <div className="muted small">again (of #{d.redeliveryOf})</div> : null}
                  </td>
                  <td>
                    <StatusBadge status={DELIVERY_TONE[d.status]} label={cap(d.status)} />
                    {d.status === 'pending' && d.nextAttemptAt ? (
                      <div className="muted small">next {fmtDateTime(d.nextAttemptAt)}</div>
                    ) : null}
                  </td>
                  <td>{d.attempts}</td>
                  <td>
                    {d.lastStatus ? `HTTP ${d.lastStatus}` : d.lastError ? '' : '–'}
                    {d.durationMs !== null ? (
                      <span className="muted small"> in {fmtDuration(d.durationMs)}</span>
                    ) : null}
                    {d.lastError ? <div className="small">{d.lastError}</div> : null}
                  </td>
                  <td className="cell-actions">
                    {user.role !== 'viewer' && d.status !== 'pending' ? (
                      <button type="button" className="btn btn-ghost btn-sm" onClick={() => void redeliver(d)}>
                        Redeliver
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="pager">
        {cursor ? (
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setCursor(null)}>
            Newest
          </button>
        ) : null}
        {log.data?.nextCursor ? (
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setCursor(log.data!.nextCursor)}>
            Older
          </button>
        ) : null}
      </div>
    </Dialog>
  )
}
