import { type FormEvent, useState } from 'react'
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

const bodyOf = (d: Draft) => ({
  match: { repository: d.repository.trim() || null, image: d.image.trim() || null, path: d.path.trim() || null },
  teamId: d.teamId || null,
  applicationId: d.applicationId || null,
  ...(Number(d.position) >= 1 ? { position: Math.floor(Number(d.position)) } : {}),
})

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
  const { canEdit, deleting, setDeleting } = useEditableList<OwnershipRule>('Ownership rules')

  // the live preview: what saving the rule as written would do (nothing is saved)
  const debounced = useDebounced(draft, 400)
  const complete =
    (debounced.repository.trim() || debounced.image.trim() || debounced.path.trim()) &&
    (debounced.teamId || debounced.applicationId)
  const preview = useLoad(complete ? `preview:${JSON.stringify(debounced)}` : null, (s) =>
    api<OwnershipRulePreview>('POST', '/ownership-rules/preview', bodyOf(debounced), s),
  )

  const set = (k: keyof Draft) => (v: string) => setDraft((d) => ({ ...d, [k]: v }))
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setSaving(true)
    setSaveError(null)
    try {
      await api('POST', '/ownership-rules', bodyOf(draft))
      toast('Rule saved; ownership recomputed', 'ok')
      setDraft(EMPTY)
      rules.reload()
      teams.reload()
    } catch (err) {
      setSaveError(err)
    } finally {
      setSaving(false)
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
      {rules.data && rules.data.items.length === 0 ? <Empty title="No ownership rules yet." /> : null}
      {rules.data?.items.length ? (
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
              {rules.data.items.map((r) => (
                <tr key={r.id}>
                  <td>{r.position}</td>
                  <td className="mono small">
                    {r.match.repository ? <div>repository {r.match.repository}</div> : null}
                    {r.match.image ? <div>image {r.match.image}</div> : null}
                    {r.match.path ? <div>path {r.match.path}</div> : null}
                  </td>
                  <td>{r.team?.name ?? <span className="muted">–</span>}</td>
                  <td>{r.application?.name ?? <span className="muted">–</span>}</td>
                  <td className="cell-actions">
                    {canEdit ? <RowActions name={`rule ${r.position}`} onDelete={() => setDeleting(r)} /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {canEdit ? (
        <section className="card" aria-labelledby="new-rule">
          <h2 id="new-rule" className="card-title">
            New rule
          </h2>
          <form className="form" onSubmit={save} aria-label="New ownership rule">
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
              placeholder={String((rules.data?.items.length ?? 0) + 1)}
              onChange={(e) => set('position')(e.target.value)}
              help="1 is asked first; empty puts the rule last. The rules after it move down one."
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
                      ? 'No issue would change owner.'
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
            <div>
              <button type="submit" className="btn btn-primary" disabled={saving}>
                {saving ? 'Saving…' : 'Save rule'}
              </button>
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
