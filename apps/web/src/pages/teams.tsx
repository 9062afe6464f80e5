import { useState } from 'react'
import { api, type Team, type User } from '../api.ts'
import { ConfirmDialog } from '../components/confirm-dialog.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Field } from '../components/field.tsx'
import { FormDialog } from '../components/form-dialog.tsx'
import { OwnedIssuesCell, SlaBreachesCell } from '../components/owned-issues.tsx'
import { useTeams } from '../components/owner.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { RowActions, useEditableList } from '../components/row-actions.tsx'
import { useToast } from '../components/toast.tsx'
import { useLoad } from '../hooks.ts'
import { Link } from '../router.tsx'

/** Teams: who is in them, which repositories they own, their open issues by priority and SLA breaches. */
export function TeamsPage() {
  const toast = useToast()
  const teams = useTeams()
  const { canEdit, editing, setEditing, deleting, setDeleting } = useEditableList<Team>('Teams')

  return (
    <>
      <PageHeader
        title="Teams"
        subtitle={
          <>
            Who owns what. A team's slug is what <code>@org/&lt;slug&gt;</code> in CODEOWNERS names; see also{' '}
            <Link to="/ownership-rules">ownership rules</Link>.
          </>
        }
        actions={
          canEdit ? (
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              Add team
            </button>
          ) : null
        }
      />
      <ErrorBox error={teams.error} />
      {teams.loading && !teams.data ? <Spinner /> : null}
      {teams.data && teams.data.items.length === 0 ? (
        <Empty title="No teams yet.">
          Add the teams your CODEOWNERS files name (@org/payments → a team with slug payments), and vulnsync says who
          owns each vulnerability.
        </Empty>
      ) : null}
      {teams.data?.items.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Teams</caption>
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Members</th>
                <th scope="col">Repositories</th>
                <th scope="col">Open issues by priority</th>
                <th scope="col">SLA breaches</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {teams.data.items.map((t) => (
                <tr key={t.id}>
                  <td>
                    <strong>{t.name}</strong>
                    <div className="muted small mono">@…/{t.slug}</div>
                    {t.defaultAssignee ? (
                      <div className="muted small">new issues to {t.defaultAssignee.username}</div>
                    ) : null}
                  </td>
                  <td>
                    {t.members.length ? (
                      t.members.map((m) => m.username).join(', ')
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td>
                    {t.repositories.length ? (
                      <ul className="plain-list small">
                        {t.repositories.slice(0, 5).map((r) => (
                          <li key={r.id}>
                            <span className="mono">{r.fullName}</span>{' '}
                            <span className="muted">
                              ({r.openIssues} open{r.listed ? ', default team' : ''})
                            </span>
                          </li>
                        ))}
                        {t.repositories.length > 5 ? (
                          <li className="muted">and {t.repositories.length - 5} more</li>
                        ) : null}
                      </ul>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td>
                    <OwnedIssuesCell issues={t.issues} filter={`team=${encodeURIComponent(t.id)}`} />
                  </td>
                  <td>
                    <SlaBreachesCell n={t.issues.slaBreaches} />
                  </td>
                  <td className="cell-actions">
                    {canEdit ? (
                      <RowActions name={t.name} onEdit={() => setEditing(t)} onDelete={() => setDeleting(t)} />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing ? (
        <TeamDialog
          team={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(t) => {
            setEditing(null)
            toast(`Team ${t.name} saved; ownership recomputed`, 'ok')
            teams.reload()
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete team ${deleting.name}?`}
          confirmLabel="Delete team"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/teams/${encodeURIComponent(deleting.id)}`)
            setDeleting(null)
            toast(`Team ${deleting.name} deleted; its issues are owned again by the next source that answers`, 'ok')
            teams.reload()
          }}
        >
          Its issues go to the next ownership source that answers (CODEOWNERS, the scanner, a default team), or become
          unowned.
        </ConfirmDialog>
      ) : null}
    </>
  )
}

function TeamDialog({
  team,
  onClose,
  onSaved,
}: {
  team: Team | null
  onClose: () => void
  onSaved: (t: Team) => void
}) {
  const [name, setName] = useState(team?.name ?? '')
  const [slug, setSlug] = useState(team?.slug ?? '')
  const [members, setMembers] = useState<string[]>(team?.members.map((m) => m.id) ?? [])
  const [assignee, setAssignee] = useState(team?.defaultAssignee?.id ?? '')
  // the user list is for administrators; others keep the members as they are
  const users = useLoad('users', (s) => api<{ items: User[] }>('GET', '/users', undefined, s))
  const formId = 'team-form'
  return (
    <FormDialog
      title={team ? `Edit team ${team.name}` : 'Add team'}
      formId={formId}
      submitLabel={team ? 'Save team' : 'Add team'}
      busyLabel="Saving…"
      onClose={onClose}
      onSubmit={async () => {
        const body = {
          name,
          ...(slug.trim() ? { slug: slug.trim() } : {}),
          ...(users.data ? { memberIds: members } : {}),
          defaultAssigneeId: assignee || null,
        }
        const r = await api<Team>(
          team ? 'PATCH' : 'POST',
          team ? `/teams/${encodeURIComponent(team.id)}` : '/teams',
          body,
        )
        onSaved(r)
      }}
    >
      {(busy) => (
        <fieldset disabled={busy} className="plain-fieldset">
          <Field id="team-name" label="Name" required value={name} onChange={(e) => setName(e.target.value)} />
          <Field
            id="team-slug"
            label="Slug"
            value={slug}
            placeholder={name
              .toLowerCase()
              .trim()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-|-$/g, '')}
            onChange={(e) => setSlug(e.target.value)}
            help="What @org/<slug> in CODEOWNERS names. Empty: the name in lower case with dashes."
          />
          {users.data ? (
            <>
              <div className="field">
                <label htmlFor="team-members">Members</label>
                <select
                  id="team-members"
                  multiple
                  value={members}
                  onChange={(e) => setMembers([...e.target.selectedOptions].map((o) => o.value))}
                  size={Math.min(6, Math.max(2, users.data.items.length))}
                >
                  {users.data.items.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.username}
                    </option>
                  ))}
                </select>
                <p className="help">A member's @user and email in CODEOWNERS stand for this team.</p>
              </div>
              <div className="field">
                <label htmlFor="team-assignee">Default assignee</label>
                <select id="team-assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                  <option value="">Nobody</option>
                  {users.data.items.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.username}
                    </option>
                  ))}
                </select>
                <p className="help">
                  Given the team's new issues that nobody is assigned to (never over a person's choice).
                </p>
              </div>
            </>
          ) : null}
        </fieldset>
      )}
    </FormDialog>
  )
}
