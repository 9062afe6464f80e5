// Tickets in trackers (Jira): an issue's tickets on its detail page, and making tickets by hand (one issue, or every
// issue a queue filter matches). The tracker connection groups them (one ticket per fix by default).
import { useState } from 'react'
import { api, type Connection, errorText, type Ticket } from '../api.ts'
import { useAuth } from '../auth.tsx'
import { useConnectors } from '../connectors-cache.ts'
import { fmtNumber } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { StatusBadge } from './badges.tsx'
import { ErrorBox } from './feedback.tsx'
import { FormDialog } from './form-dialog.tsx'
import { Icon } from './icon.tsx'
import { useToast } from './toast.tsx'

/** The workspace's tracker connections (the catalogue says which kinds are trackers). */
export function useTrackers(): Connection[] {
  const catalogue = useConnectors()
  const kinds = new Set(
    catalogue.status === 'ready' ? catalogue.items.filter((c) => c.role === 'tracker').map((c) => c.kind) : [],
  )
  const conns = useLoad(kinds.size ? 'tracker-connections' : null, (s) =>
    api<{ items: Connection[] }>('GET', '/connections', undefined, s),
  )
  return (conns.data?.items ?? []).filter((c) => kinds.has(c.kind))
}

const CATEGORY_TONE: Record<Ticket['category'], string> = { new: 'open', indeterminate: 'running', done: 'fixed' }

/** An issue's tickets, and "Create ticket" for members when a tracker is connected. */
export function TicketsCard({ issueId, open }: { issueId: string; open: boolean }) {
  const { user } = useAuth()
  const trackers = useTrackers()
  const tickets = useLoad(`tickets:${issueId}`, (s) =>
    api<{ items: Ticket[] }>('GET', `/vulnerabilities/${issueId}/tickets`, undefined, s),
  )
  const [making, setMaking] = useState(false)
  const items = tickets.data?.items ?? []
  if (trackers.length === 0 && items.length === 0) return null
  return (
    <section className="card" aria-labelledby="sec-tickets">
      <h2 id="sec-tickets" className="card-title">
        Tickets
      </h2>
      <ErrorBox error={tickets.error} />
      {items.length === 0 ? <p className="muted">No ticket yet.</p> : null}
      <ul className="ev-list">
        {items.map((t) => (
          <li key={t.id}>
            {t.url && t.key ? (
              <a href={t.url} target="_blank" rel="noreferrer">
                {t.key}
                <Icon name="external" size={12} />
              </a>
            ) : (
              <span>Being created in {t.connectionName}</span>
            )}{' '}
            <StatusBadge status={CATEGORY_TONE[t.category]} label={t.status ?? 'To do'} />
            {t.resolution ? <span className="muted small"> ({t.resolution})</span> : null}
            <span className="muted small">
              {' '}
              · {t.connectionName}
              {t.issues > 1 ? ` · ${t.issues} issues (one fix)` : ''}
              {t.pending ? ' · update pending' : ''}
            </span>
            {t.lastError ? <div className="small">Last attempt failed: {t.lastError}; it is retried.</div> : null}
          </li>
        ))}
      </ul>
      {open && user.role !== 'viewer' && trackers.length > 0 ? (
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setMaking(true)}>
          Create ticket
        </button>
      ) : null}
      {making ? (
        <CreateTicketsDialog
          target={{ ids: [issueId] }}
          count={1}
          trackers={trackers}
          onClose={() => setMaking(false)}
          onDone={() => {
            setMaking(false)
            tickets.reload()
          }}
        />
      ) : null}
    </section>
  )
}

/** "Create tickets" over every issue a queue filter matches (a bulk action), for members when a tracker is connected. */
export function CreateTicketsButton({ filter, count }: { filter: Record<string, string>; count: number | undefined }) {
  const { user } = useAuth()
  const trackers = useTrackers()
  const [making, setMaking] = useState(false)
  if (user.role === 'viewer' || trackers.length === 0) return null
  return (
    <>
      <button type="button" className="btn btn-secondary" onClick={() => setMaking(true)} disabled={!count}>
        Create tickets
      </button>
      {making ? (
        <CreateTicketsDialog
          target={{ filter: { ...filter, status: 'open' } }}
          count={count ?? 0}
          trackers={trackers}
          onClose={() => setMaking(false)}
          onDone={() => setMaking(false)}
        />
      ) : null}
    </>
  )
}

/** The bulk bar's action: the selected rows (or every issue the view matches) into tickets. */
export function BulkTicketsButton({
  target,
  count,
  onDone,
}: {
  target: { ids: string[] } | { filter: Record<string, string> }
  count: number
  onDone: () => void
}) {
  const trackers = useTrackers()
  const [making, setMaking] = useState(false)
  if (trackers.length === 0) return null
  return (
    <>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => setMaking(true)}>
        Create tickets…
      </button>
      {making ? (
        <CreateTicketsDialog
          target={'filter' in target ? { filter: { ...target.filter, status: 'open' } } : target}
          count={count}
          trackers={trackers}
          onClose={() => setMaking(false)}
          onDone={() => {
            setMaking(false)
            onDone()
          }}
        />
      ) : null}
    </>
  )
}

function CreateTicketsDialog({
  target,
  count,
  trackers,
  onClose,
  onDone,
}: {
  target: { ids: string[] } | { filter: Record<string, string> }
  count: number
  trackers: Connection[]
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const [tracker, setTracker] = useState(trackers[0]?.id ?? '')
  const chosen = trackers.find((t) => t.id === tracker)
  const grouping =
    chosen?.config.grouping === 'issue' ? 'one ticket per CVE' : 'one ticket per fix (package in a repository)'
  return (
    <FormDialog
      title={
        'ids' in target && target.ids.length === 1
          ? 'Create a ticket'
          : `Create tickets for ${fmtNumber(count)} issue${count === 1 ? '' : 's'}`
      }
      formId="create-tickets"
      submitLabel="Create"
      busyLabel="Creating…"
      onClose={onClose}
      onSubmit={async () => {
        const r = await api<{ matched: number; tickets: Ticket[] }>('POST', `/trackers/${tracker}/tickets`, target)
        const made = r.tickets.filter((t) => t.key)
        const waiting = r.tickets.length - made.length
        toast(
          made.length
            ? `${made
                .map((t) => t.key)
                .slice(0, 5)
                .join(
                  ', ',
                )}${made.length > 5 ? ` and ${made.length - 5} more` : ''} ready${waiting ? `; ${waiting} queued` : ''}`
            : `${r.matched} issue(s) queued for ${chosen?.name ?? 'the tracker'}; tickets appear when it answers`,
          'ok',
        )
        onDone()
      }}
      errorTitle={(e) => (errorText(e).includes('not open') ? 'Only open issues get tickets' : 'Not created')}
    >
      {(busy) => (
        <fieldset className="fieldset" disabled={busy}>
          <div className="field">
            <label htmlFor="ticket-tracker">Tracker</label>
            <select id="ticket-tracker" value={tracker} onChange={(e) => setTracker(e.target.value)}>
              {trackers.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                  {typeof t.config.projectKey === 'string' ? ` (${t.config.projectKey})` : ''}
                </option>
              ))}
            </select>
            <p className="help">
              Grouped like the connection says: {grouping}. An issue already in a ticket stays in it.
            </p>
          </div>
        </fieldset>
      )}
    </FormDialog>
  )
}
