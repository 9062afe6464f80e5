// The gear of a connection: sync every location the credentials can see, or only the chosen ones (search, select all).
import { useEffect, useState } from 'react'
import { api, type LocationItem } from '../../api.ts'
import { Dialog } from '../../components/dialog.tsx'
import { Empty, ErrorBox, Spinner } from '../../components/feedback.tsx'
import { Icon } from '../../components/icon.tsx'
import { useToast } from '../../components/toast.tsx'
import { fmtNumber } from '../../format.ts'
import { useAction, useLoad } from '../../hooks.ts'
import type { ConnectionDialogProps } from './modal.ts'

const SHOW_MAX = 500

export function LocationsDialog({ connector, connection, onClose, onDone }: ConnectionDialogProps) {
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
  const save = useAction(async () => {
    await api('PATCH', `/connections/${encodeURIComponent(connection.id)}`, { locations: all ? null : [...chosen] })
    toast(
      all
        ? `${connection.name} syncs every location`
        : `${connection.name} syncs ${chosen.size} location${chosen.size === 1 ? '' : 's'}`,
      'ok',
    )
    onDone()
  })
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
            onClick={() => void save.run()}
            disabled={save.busy || !loc.data || (!all && chosen.size === 0)}
          >
            {save.busy ? 'Saving…' : 'Save'}
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
      <ErrorBox error={loc.error ?? save.error} />
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
