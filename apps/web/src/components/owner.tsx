// Who owns an issue and why: the queue's cell, the detail's card, and the teams every owner picker lists.
import { type Application, api, type Owner, type Team } from '../api.ts'
import { useLoad } from '../hooks.ts'
import { Link } from '../router.tsx'

/** How each ownership source reads in the UI (the first that answers wins, in this order). */
export const OWNER_SOURCE_LABEL: Record<Owner['source'], string> = {
  rule: 'ownership rule',
  codeowners: 'CODEOWNERS',
  scanner: 'scanner',
  default: 'default team',
}

/** The workspace's teams (for filters and pickers); reload after a change. */
export const useTeams = () => useLoad('teams', (s) => api<{ items: Team[] }>('GET', '/teams', undefined, s))

/** The workspace's applications (for filters and pickers). */
export const useApplications = () =>
  useLoad('applications', (s) => api<{ items: Application[] }>('GET', '/applications', undefined, s))

/** The queue's owner cell: the team (or Unowned) with the source under it; the reason on hover and for readers. */
export function OwnerCell({ owner }: { owner: Owner }) {
  const unowned = !owner.team && !owner.application
  return (
    <span className="owner-cell" title={owner.reason}>
      <span className={unowned ? 'muted' : undefined}>{owner.team?.name ?? (unowned ? 'Unowned' : 'No team')}</span>
      <div className="muted small">
        {owner.application ? `${owner.application.name} · ` : ''}
        {unowned ? 'no source answers' : OWNER_SOURCE_LABEL[owner.source]}
      </div>
      <span className="visually-hidden">. Why: {owner.reason}</span>
    </span>
  )
}

/** The detail's owner card: team, application, the source that answered and its reason, verbatim. */
export function OwnerCard({ owner }: { owner: Owner }) {
  return (
    <section className="card" aria-labelledby="sec-owner">
      <h2 id="sec-owner" className="card-title">
        Owner
      </h2>
      <dl className="kv">
        <dt>Team</dt>
        <dd>
          {owner.team ? (
            <Link to={`/vulnerabilities?team=${encodeURIComponent(owner.team.id)}`}>{owner.team.name}</Link>
          ) : (
            <Link to="/vulnerabilities?team=none">Unowned</Link>
          )}
        </dd>
        <dt>Application</dt>
        <dd>
          {owner.application ? (
            <Link to={`/vulnerabilities?application=${encodeURIComponent(owner.application.id)}`}>
              {owner.application.name}
            </Link>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Source</dt>
        <dd>{OWNER_SOURCE_LABEL[owner.source]}</dd>
        <dt>Why</dt>
        <dd className="owner-reason">{owner.reason}</dd>
      </dl>
    </section>
  )
}
