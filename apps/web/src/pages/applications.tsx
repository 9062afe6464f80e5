import { useState } from 'react'
import { type Application, api } from '../api.ts'
import { ConfirmDialog } from '../components/confirm-dialog.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Field } from '../components/field.tsx'
import { FormDialog } from '../components/form-dialog.tsx'
import { OwnedIssuesCell, SlaBreachesCell } from '../components/owned-issues.tsx'
import { useApplications } from '../components/owner.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { RowActions, useEditableList } from '../components/row-actions.tsx'
import { useToast } from '../components/toast.tsx'
import { Link } from '../router.tsx'

/**
 * Applications: named groups of repositories and images with a business priority, made here or brought by a scanner
 * (OX); the business priority raises or lowers the priority of their issues.
 */
export function ApplicationsPage() {
  const toast = useToast()
  const apps = useApplications()
  const { canEdit, editing, setEditing, deleting, setDeleting } = useEditableList<Application>('Applications')

  return (
    <>
      <PageHeader
        title="Applications"
        subtitle="Groups of repositories and images with a business priority (0–100), which raises or lowers the priority of their issues."
        actions={
          canEdit ? (
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              Add application
            </button>
          ) : null
        }
      />
      <ErrorBox error={apps.error} />
      {apps.loading && !apps.data ? <Spinner /> : null}
      {apps.data && apps.data.items.length === 0 ? (
        <Empty title="No applications yet.">
          OX applications come in with the OX sync; add your own to group repositories and images.
        </Empty>
      ) : null}
      {apps.data?.items.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Applications</caption>
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">Business priority</th>
                <th scope="col">Repositories and images</th>
                <th scope="col">Open issues by priority</th>
                <th scope="col">SLA breaches</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {apps.data.items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <strong>{a.name}</strong>
                    <div className="muted small">
                      {a.source ? `from ${a.source.connectionName}` : 'made in vulnsync'}
                      {a.rules ? ` · ${a.rules} rule${a.rules === 1 ? '' : 's'}` : ''}
                    </div>
                  </td>
                  <td>{a.businessPriority === null ? <span className="muted">not set</span> : a.businessPriority}</td>
                  <td>
                    {a.repositories.length || a.images.length ? (
                      <ul className="plain-list small">
                        {a.repositories.slice(0, 4).map((r) => (
                          <li key={r.id} className="mono">
                            {r.fullName} <span className="muted">({r.openIssues} open)</span>
                          </li>
                        ))}
                        {a.images.slice(0, 3).map((i) => (
                          <li key={i} className="mono">
                            {i}
                          </li>
                        ))}
                        {a.repositories.length + a.images.length > 7 ? <li className="muted">and more</li> : null}
                      </ul>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td>
                    <OwnedIssuesCell issues={a.issues} filter={`application=${encodeURIComponent(a.id)}`} />
                  </td>
                  <td>
                    <SlaBreachesCell n={a.issues.slaBreaches} />
                  </td>
                  <td className="cell-actions">
                    {canEdit && a.origin === 'user' ? (
                      <RowActions name={a.name} onEdit={() => setEditing(a)} onDelete={() => setDeleting(a)} />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p className="muted small">
        Give a team or an application to issues by repository, image or manifest path with{' '}
        <Link to="/ownership-rules">ownership rules</Link>.
      </p>
      {editing ? (
        <ApplicationDialog
          app={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(a) => {
            setEditing(null)
            toast(`Application ${a.name} saved; ownership and priorities recomputed`, 'ok')
            apps.reload()
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete application ${deleting.name}?`}
          confirmLabel="Delete application"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/applications/${encodeURIComponent(deleting.id)}`)
            setDeleting(null)
            toast(`Application ${deleting.name} deleted`, 'ok')
            apps.reload()
          }}
        >
          Its issues lose the application and its business priority factor.
        </ConfirmDialog>
      ) : null}
    </>
  )
}

function ApplicationDialog({
  app,
  onClose,
  onSaved,
}: {
  app: Application | null
  onClose: () => void
  onSaved: (a: Application) => void
}) {
  const [name, setName] = useState(app?.name ?? '')
  const [bp, setBp] = useState(app?.businessPriority == null ? '' : String(app.businessPriority))
  const [images, setImages] = useState(app?.images.join('\n') ?? '')
  return (
    <FormDialog
      title={app ? `Edit application ${app.name}` : 'Add application'}
      formId="app-form"
      submitLabel={app ? 'Save application' : 'Add application'}
      busyLabel="Saving…"
      onClose={onClose}
      onSubmit={async () => {
        const body = {
          name,
          businessPriority: bp.trim() === '' ? null : Number(bp),
          images: images
            .split(/\n|,/)
            .map((s) => s.trim())
            .filter(Boolean),
        }
        onSaved(
          await api<Application>(
            app ? 'PATCH' : 'POST',
            app ? `/applications/${encodeURIComponent(app.id)}` : '/applications',
            body,
          ),
        )
      }}
    >
      {(busy) => (
        <fieldset disabled={busy} className="plain-fieldset">
          <Field id="app-name" label="Name" required value={name} onChange={(e) => setName(e.target.value)} />
          <Field
            id="app-bp"
            label="Business priority (0–100)"
            type="number"
            min={0}
            max={100}
            value={bp}
            onChange={(e) => setBp(e.target.value)}
            help="High values raise the priority of its issues, low values lower it (thresholds in the priority policy)."
          />
          <div className="field">
            <label htmlFor="app-images">Images</label>
            <textarea id="app-images" rows={3} value={images} onChange={(e) => setImages(e.target.value)} />
            <p className="help">One image name per line (without tag), e.g. registry.example.com/shop/checkout.</p>
          </div>
        </fieldset>
      )}
    </FormDialog>
  )
}
