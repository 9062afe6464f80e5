import { type FormEvent, Fragment, useEffect, useRef, useState } from 'react'
import { ApiError, api, errorText, type OwnershipRule, type OwnershipRulePreview } from '../api.ts'
import { ConfirmDialog } from '../components/confirm-dialog.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Field } from '../components/field.tsx'
import { useApplications, useTeams } from '../components/owner.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { RowActions, useEditableList } from '../components/row-actions.tsx'
import { useToast } from '../components/toast.tsx'
import { fmtNumber } from '../format.ts'
import { useDebounced, useLoad } from '../hooks.ts'
import { Link } from '../router.tsx'

interface Draft {
  repository: string
  image: string
  path: string
  teamId: string
  applicationId: string
  /** 1 = asked first; empty = last */
  position: string
}
const EMPTY: Draft = { repository: '', image: '', path: '', teamId: '', applicationId: '', position: '' }

/** The rule as the form holds it: what an edit starts from. */
const draftOf = (r: OwnershipRule): Draft => ({
  repository: r.match.repository ?? '',
  image: r.match.image ?? '',
  path: r.match.path ?? '',
  teamId: r.team?.id ?? '',
  applicationId: r.application?.id ?? '',
  position: String(r.position),
})

/** `keepPosition`: an edit whose position field still says where the rule was leaves its place alone. */
const bodyOf = (d: Draft, keepPosition?: number) => ({
  match: { repository: d.repository.trim() || null, image: d.image.trim() || null, path: d.path.trim() || null },
  teamId: d.teamId || null,
  applicationId: d.applicationId || null,
  ...(d.position.trim() !== '' && d.position.trim() !== String(keepPosition)
    ? // the server says what is wrong with a position that is not a whole number from 1
      { position: Number(d.position) }
    : {}),
})

/** The list with one rule moved to `position` (1 first), numbered again 1..n: what the server does on a move. */
const moved = (items: OwnershipRule[], id: string, position: number): OwnershipRule[] => {
  const rule = items.find((r) => r.id === id)
  if (!rule) return items
  const rest = items.filter((r) => r.id !== id)
  rest.splice(position - 1, 0, rule)
  return rest.map((r, i) => ({ ...r, position: i + 1 }))
}

const side = (s: OwnershipRulePreview['moves'][number]['from']) =>
  [s.team ? `team ${s.team.name}` : 'no team', ...(s.application ? [`application ${s.application.name}`] : [])].join(
    ', ',
  )

/**
 * Ownership rules: asked first, in order (1 first); a rule matches by repository, image and manifest-path globs, and
 * gives a team and/or an application. A new rule shows, while it is written, how many issues it would move and to
 * whom.
 */
export function OwnershipRulesPage() {
  const toast = useToast()
  const rules = useLoad('ownership-rules', (s) =>
    api<{ items: OwnershipRule[] }>('GET', '/ownership-rules', undefined, s),
  )
  const teams = useTeams()
  const apps = useApplications()
  const [draft, setDraft] = useState<Draft>(EMPTY)
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<unknown>(null)
  const { canEdit, editing, setEditing, deleting, setDeleting } = useEditableList<OwnershipRule>('Ownership rules')
  const edited = editing && editing !== 'new' ? editing : null
  const formRef = useRef<HTMLFormElement>(null)

  // a move shows the new order at once; the server's answer then confirms it (reload) or undoes it (error in place)
  const [order, setOrder] = useState<OwnershipRule[] | null>(null)
  const [moving, setMoving] = useState<string | null>(null)
  const [moveError, setMoveError] = useState<{ id: string; error: unknown } | null>(null)
  const [announce, setAnnounce] = useState('')
  // biome-ignore lint/correctness/useExhaustiveDependencies: new data from the server replaces the shown order
  useEffect(() => setOrder(null), [rules.data])
  const items = order ?? rules.data?.items ?? []
  // the rule being edited moved (its buttons, or another rule's): the form follows unless its position was changed
  const livePosition = edited ? items.find((r) => r.id === edited.id)?.position : undefined
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new position of the edited rule matters
  useEffect(() => {
    if (!edited || livePosition === undefined || livePosition === edited.position) return
    setDraft((d) => (d.position === String(edited.position) ? { ...d, position: String(livePosition) } : d))
    setEditing({ ...edited, position: livePosition })
  }, [livePosition])

  // the live preview: what saving the rule as written would do (nothing is saved); an edit is previewed as replacing
  // the saved rule
  const debounced = useDebounced(draft, 400)
  const complete =
    (debounced.repository.trim() || debounced.image.trim() || debounced.path.trim()) &&
    (debounced.teamId || debounced.applicationId)
  const previewBody = { ...bodyOf(debounced, edited?.position), ...(edited ? { id: edited.id } : {}) }
  const preview = useLoad(complete ? `preview:${JSON.stringify(previewBody)}` : null, (s) =>
    api<OwnershipRulePreview>('POST', '/ownership-rules/preview', previewBody, s),
  )

  const set = (k: keyof Draft) => (v: string) => setDraft((d) => ({ ...d, [k]: v }))
  const startEdit = (r: OwnershipRule) => {
    setEditing(r)
    setDraft(draftOf(r))
    setSaveError(null)
    // the form is below the table: bring it into view and put the cursor in its first field
    requestAnimationFrame(() => {
      formRef.current?.scrollIntoView?.({ block: 'nearest' })
      formRef.current?.querySelector<HTMLInputElement>('input')?.focus()
    })
  }
  const cancelEdit = () => {
    const id = edited?.id
    setEditing(null)
    setDraft(EMPTY)
    setSaveError(null)
    if (id) requestAnimationFrame(() => document.getElementById(`rule-${id}-edit`)?.focus())
  }
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setSaving(true)
    setSaveError(null)
    try {
      if (edited) {
        await api('PATCH', `/ownership-rules/${encodeURIComponent(edited.id)}`, bodyOf(draft, edited.position))
        toast(`Rule ${edited.position} saved; ownership recomputed`, 'ok')
        setEditing(null)
      } else {
        await api('POST', '/ownership-rules', bodyOf(draft))
        toast('Rule saved; ownership recomputed', 'ok')
      }
      setDraft(EMPTY)
      rules.reload()
      teams.reload()
    } catch (err) {
      setSaveError(err)
    } finally {
      setSaving(false)
    }
  }

  /**
   * A moved row keeps the keyboard focus (the rows are re-ordered in the DOM, which can drop it): on the button
   * pressed, or on the other one when that ends disabled at the top or bottom.
   */
  const refocus = (id: string, dir: 'up' | 'down') =>
    requestAnimationFrame(() => {
      const want = document.getElementById(`rule-${id}-${dir}`) as HTMLButtonElement | null
      const other = document.getElementById(`rule-${id}-${dir === 'up' ? 'down' : 'up'}`) as HTMLButtonElement | null
      const target = want && !want.disabled ? want : other
      if (target && document.activeElement !== target) target.focus()
    })
  const move = async (r: OwnershipRule, by: -1 | 1) => {
    if (moving) return
    const to = r.position + by
    if (to < 1 || to > items.length) return
    const before = items
    setMoveError(null)
    const dir = by < 0 ? 'up' : 'down'
    setOrder(moved(items, r.id, to))
    setMoving(r.id)
    refocus(r.id, dir)
    setAnnounce(`Rule ${r.position} moved to position ${to}; saving.`)
    try {
      await api('PATCH', `/ownership-rules/${encodeURIComponent(r.id)}`, { position: to })
      setAnnounce(`Rule moved to position ${to}; ownership recomputed.`)
      rules.reload()
      teams.reload()
    } catch (err) {
      setOrder(before)
      setMoveError({ id: r.id, error: err })
      refocus(r.id, dir)
      setAnnounce(`Rule ${r.position} not moved.`)
    } finally {
      setMoving(null)
    }
  }
  return (
    <>
      <PageHeader
        title="Ownership rules"
        subtitle={
          <>
            Asked first, in order: the first rule that matches gives the team (and the application). Then CODEOWNERS,
            the scanner's owners and the repository's default team. Manage <Link to="/teams">teams</Link> and{' '}
            <Link to="/applications">applications</Link>.
          </>
        }
      />
      <ErrorBox error={rules.error} />
      {rules.loading && !rules.data ? <Spinner /> : null}
      {rules.data && items.length === 0 ? <Empty title="No ownership rules yet." /> : null}
      <p className="visually-hidden" aria-live="polite">
        {announce}
      </p>
      {items.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Ownership rules, in the order they are asked</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Matches</th>
                <th scope="col">Team</th>
                <th scope="col">Application</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <Fragment key={r.id}>
                  <tr className={edited?.id === r.id ? 'row-selected' : undefined}>
                    <td>{r.position}</td>
                    <td className="mono small">
                      {r.match.repository ? <div>repository {r.match.repository}</div> : null}
                      {r.match.image ? <div>image {r.match.image}</div> : null}
                      {r.match.path ? <div>path {r.match.path}</div> : null}
                    </td>
                    <td>{r.team?.name ?? <span className="muted">–</span>}</td>
                    <td>{r.application?.name ?? <span className="muted">–</span>}</td>
                    <td className="cell-actions">
                      {canEdit ? (
                        <>
                          <button
                            type="button"
                            id={`rule-${r.id}-up`}
                            className="btn btn-ghost btn-sm"
                            aria-label={`Move rule ${r.position} up`}
                            title="Move up: asked earlier"
                            disabled={r.position === 1}
                            aria-disabled={moving ? true : undefined}
                            onClick={() => move(r, -1)}
                          >
                            <span aria-hidden="true">↑</span> Up
                          </button>
                          <button
                            type="button"
                            id={`rule-${r.id}-down`}
                            className="btn btn-ghost btn-sm"
                            aria-label={`Move rule ${r.position} down`}
                            title="Move down: asked later"
                            disabled={r.position === items.length}
                            aria-disabled={moving ? true : undefined}
                            onClick={() => move(r, 1)}
                          >
                            <span aria-hidden="true">↓</span> Down
                          </button>
                          <button
                            type="button"
                            id={`rule-${r.id}-edit`}
                            className="btn btn-ghost btn-sm"
                            aria-pressed={edited?.id === r.id}
                            onClick={() => startEdit(r)}
                          >
                            Edit<span className="visually-hidden"> rule {r.position}</span>
                          </button>
                          <RowActions name={`rule ${r.position}`} onDelete={() => setDeleting(r)} />
                        </>
                      ) : null}
                    </td>
                  </tr>
                  {moveError?.id === r.id ? (
                    <tr>
                      <td colSpan={5}>
                        <ErrorBox error={moveError.error} title={`Rule ${r.position} not moved`} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {canEdit ? (
        <section className="card" aria-labelledby="rule-form-title">
          <h2 id="rule-form-title" className="card-title">
            {edited ? `Edit rule ${edited.position}` : 'New rule'}
          </h2>
          <form
            className="form"
            onSubmit={save}
            ref={formRef}
            aria-label={edited ? `Edit ownership rule ${edited.position}` : 'New ownership rule'}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && edited) {
                e.preventDefault()
                cancelEdit()
              }
            }}
          >
            <Field
              id="rule-repository"
              label="Repository (glob)"
              value={draft.repository}
              placeholder="acme/payments-*"
              onChange={(e) => set('repository')(e.target.value)}
            />
            <Field
              id="rule-image"
              label="Image (glob)"
              value={draft.image}
              placeholder="registry.example.com/shop/**"
              onChange={(e) => set('image')(e.target.value)}
            />
            <Field
              id="rule-path"
              label="Manifest path (glob)"
              value={draft.path}
              placeholder="services/pay/**"
              onChange={(e) => set('path')(e.target.value)}
              help="Every glob given must match: * within a segment, ** across segments, {a,b} for either."
            />
            <div className="field">
              <label htmlFor="rule-team">Team</label>
              <select id="rule-team" value={draft.teamId} onChange={(e) => set('teamId')(e.target.value)}>
                <option value="">No team</option>
                {(teams.data?.items ?? []).map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="rule-app">Application</label>
              <select id="rule-app" value={draft.applicationId} onChange={(e) => set('applicationId')(e.target.value)}>
                <option value="">No application</option>
                {(apps.data?.items ?? []).map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </div>
            <Field
              id="rule-position"
              label="Position"
              type="number"
              min={1}
              value={draft.position}
              max={edited ? items.length : items.length + 1}
              placeholder={String(edited ? edited.position : items.length + 1)}
              onChange={(e) => set('position')(e.target.value)}
              help={
                edited
                  ? `1 is asked first, ${items.length} last; the rules in between shift by one.`
                  : '1 is asked first; empty puts the rule last. The rules after it move down one.'
              }
            />
            <div className="rule-preview" aria-live="polite" aria-busy={preview.loading}>
              {!complete ? (
                <span className="muted">Give a glob and a team or an application to see what the rule would do.</span>
              ) : preview.error ? (
                <span>
                  {preview.error instanceof ApiError ? errorText(preview.error) : 'The preview could not be computed.'}
                </span>
              ) : preview.data && preview.fresh ? (
                <>
                  <strong>
                    {preview.data.issues === 0
                      ? edited
                        ? 'No issue would change owner: the rule as saved.'
                        : 'No issue would change owner.'
                      : `${fmtNumber(preview.data.issues)} issues (${fmtNumber(preview.data.openIssues)} open) would change owner.`}
                  </strong>
                  {preview.data.moves.length ? (
                    <ul className="rule-preview-list">
                      {preview.data.moves.map((m) => (
                        <li key={`${side(m.from)}>${side(m.to)}`}>
                          {fmtNumber(m.issues)} from {side(m.from)} to {side(m.to)}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                  {preview.data.sample.length ? (
                    <ul className="rule-preview-list small muted">
                      {preview.data.sample.slice(0, 5).map((s) => (
                        <li key={s.id}>
                          <Link to={`/vulnerabilities/${s.id}`}>{s.cve}</Link> in {s.target}: {s.reason}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </>
              ) : (
                <Spinner label="Computing the preview" />
              )}
            </div>
            <ErrorBox error={saveError} title="Rule not saved" />
            <div className="form-actions">
              <button type="submit" className="btn btn-primary" disabled={saving}>
                {saving ? 'Saving…' : edited ? 'Save changes' : 'Save rule'}
              </button>
              {edited ? (
                <button type="button" className="btn" onClick={cancelEdit} disabled={saving}>
                  Cancel
                </button>
              ) : null}
            </div>
          </form>
        </section>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete rule ${deleting.position}?`}
          confirmLabel="Delete rule"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/ownership-rules/${encodeURIComponent(deleting.id)}`)
            if (edited?.id === deleting.id) {
              setEditing(null)
              setDraft(EMPTY)
            }
            setDeleting(null)
            toast('Rule deleted; ownership recomputed', 'ok')
            rules.reload()
          }}
        >
          The issues it owns go to the next source that answers.
        </ConfirmDialog>
      ) : null}
    </>
  )
}
