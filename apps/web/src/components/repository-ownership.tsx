// A repository's ownership: its default team (the last source asked) and its CODEOWNERS file as the last SCM sync
// read it, with the lines that could not be used (which line, and why).
import { useState } from 'react'
import { api, type RepositoryOwnership } from '../api.ts'
import { fmtDateTime } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { Dialog } from './dialog.tsx'
import { ErrorBox, Spinner } from './feedback.tsx'
import { useTeams } from './owner.tsx'

export function RepositoryOwnershipDialog({
  repositoryId,
  name,
  canEdit,
  onClose,
}: {
  repositoryId: string
  name: string
  canEdit: boolean
  onClose: () => void
}) {
  const own = useLoad(`repo-ownership:${repositoryId}`, (s) =>
    api<RepositoryOwnership>('GET', `/repositories/${encodeURIComponent(repositoryId)}/ownership`, undefined, s),
  )
  const teams = useTeams()
  const [saveError, setSaveError] = useState<unknown>(null)
  const o = own.data
  const setDefault = async (teamId: string) => {
    setSaveError(null)
    try {
      await api('PUT', `/repositories/${encodeURIComponent(repositoryId)}/default-team`, { teamId: teamId || null })
      own.reload()
    } catch (err) {
      setSaveError(err)
    }
  }
  return (
    <Dialog title={`Ownership of ${name}`} onClose={onClose}>
      <ErrorBox error={own.error} />
      {!o ? <Spinner /> : null}
      {o ? (
        <>
          <div className="field">
            <label htmlFor="repo-default-team">Default team</label>
            <select
              id="repo-default-team"
              value={o.defaultTeam?.id ?? ''}
              disabled={!canEdit}
              onChange={(e) => void setDefault(e.target.value)}
            >
              <option value="">None</option>
              {(teams.data?.items ?? []).map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
            <p className="help">
              Owns the repository's issues that no rule, CODEOWNERS line or scanner owner answers for.
            </p>
          </div>
          <ErrorBox error={saveError} title="Default team not changed" />
          <h3 className="section-title">CODEOWNERS</h3>
          {o.codeowners ? (
            <>
              <p>
                <span className="mono">{o.codeowners.path}</span> ({o.codeowners.dialect}, {o.codeowners.lines} lines),
                read {fmtDateTime(o.codeowners.readAt)}; last changed {fmtDateTime(o.codeowners.changedAt)}.
              </p>
              {o.codeowners.errors.length ? (
                <div className="alert alert-error" role="status">
                  <div>
                    <strong>
                      {o.codeowners.errors.length} line{o.codeowners.errors.length === 1 ? '' : 's'} could not be used
                      (skipped; the sync did not fail):
                    </strong>
                    <ul className="plain-list codeowners-errors">
                      {o.codeowners.errors.map((e) => (
                        <li key={e.line}>
                          {o.codeowners!.path} line {e.line}: <code>{e.text}</code>: {e.message}
                        </li>
                      ))}
                    </ul>
                  </div>
                </div>
              ) : (
                <p className="muted">Every line is usable.</p>
              )}
            </>
          ) : (
            <p className="muted">
              No CODEOWNERS file was read at the default branch (none there, or the token may not read contents).
            </p>
          )}
        </>
      ) : null}
    </Dialog>
  )
}
