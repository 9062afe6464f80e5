// The Fix panel of a vulnerability: its plan (the version to move to, how, what remains), the diff preview, Open pull
// request where the source control connection opted in (else the patch as a download), and its pull requests' state.
import { api, type VulnerabilityFix } from '../api.ts'
import { fmtDateTime } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { Link } from '../router.tsx'
import { ErrorBox, Spinner } from './feedback.tsx'
import { FixPullRequestActions, PlanSummary, TrackedPullRequest } from './fix.tsx'
import { Icon } from './icon.tsx'

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')

export function FixPanel({ id, repositoryId }: { id: string; repositoryId: string | null }) {
  const f = useLoad(`fix-${id}`, (s) =>
    api<VulnerabilityFix>('GET', `/vulnerabilities/${encodeURIComponent(id)}/fix`, undefined, s),
  )
  const fix = f.data
  return (
    <section className="card fix-panel" aria-labelledby="sec-fix">
      <h2 id="sec-fix" className="card-title">
        Fix
      </h2>
      <ErrorBox error={f.error} title="Could not load the fix plan" />
      {!fix && f.loading ? <Spinner label="Loading the fix plan" /> : null}
      {fix ? (
        <>
          {fix.fixedBy ? (
            <p className="alert-inline">
              <Icon name="check" /> Fixed by{' '}
              <a href={fix.fixedBy.pullRequest.url} target="_blank" rel="noreferrer noopener">
                pull request #{fix.fixedBy.pullRequest.number}
              </a>
              : the next complete scan after its merge no longer reports it.
            </p>
          ) : null}
          {fix.verification ? (
            <p className="alert-inline" role="status">
              <Icon name="alert" /> Merged but still vulnerable:{' '}
              <a href={fix.verification.pullRequest.url} target="_blank" rel="noreferrer noopener">
                pull request #{fix.verification.pullRequest.number}
              </a>{' '}
              was merged, and the scan of {fmtDateTime(fix.verification.at)} still sees version{' '}
              <span className="mono">{fix.verification.versions.join(', ') || 'unknown'}</span>.
            </p>
          ) : null}
          <PlanSummary plan={fix} />
          {fix.plans.length > 1 ? (
            <p className="muted small">
              {fix.plans.length} manifests of this repository declare the package: this is the plan of{' '}
              {fix.manifest?.path ?? 'the first'};{' '}
              {repositoryId ? (
                <Link to={`/repositories/${encodeURIComponent(repositoryId)}/fixes`}>see every plan</Link>
              ) : (
                'see the repository’s fix plans'
              )}
              .
            </p>
          ) : null}
          {fix.pullRequests.length ? (
            <ul className="ev-list" aria-label="Fix pull requests">
              {fix.pullRequests.map((p) => (
                <li key={p.id}>
                  <TrackedPullRequest pr={p} />
                </li>
              ))}
            </ul>
          ) : null}
          {repositoryId && fix.fixVersion && fix.strategy !== 'manual' && fix.manifest && !fix.fixedBy ? (
            <>
              <p className="muted small">
                The pull request bundles every package vulnsync can upgrade in{' '}
                {dirOf(fix.manifest.path) ? (
                  <span className="mono">{dirOf(fix.manifest.path)}/</span>
                ) : (
                  'the repository root'
                )}
                , not only this one.
              </p>
              <FixPullRequestActions
                repositoryId={repositoryId}
                enabled={fix.pullRequestsEnabled}
                manifestDir={dirOf(fix.manifest.path)}
                updating={fix.pullRequests.some((p) => p.state === 'open')}
                onOpened={f.reload}
              />
            </>
          ) : null}
        </>
      ) : null}
    </section>
  )
}
