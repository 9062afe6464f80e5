import { useEffect, useState } from 'react'
import { api, type FixPullRequest, qs } from '../api.ts'
import { useCan } from '../auth.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { PullRequestState } from '../components/fix.tsx'
import { Icon } from '../components/icon.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { fmtDateTime } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { Link, navigate, useLocation } from '../router.tsx'

const STATES = ['open', 'merged', 'closed'] as const

/** The fix pull requests vulnsync opened, with their state (read on every source control sync, or now). */
export function FixPullRequestsPage() {
  const { query } = useLocation()
  const state = query.get('state') ?? ''
  const repositoryId = query.get('repositoryId') ?? ''
  const canRefresh = useCan('member')
  const list = useLoad(`fix-prs-${state}-${repositoryId}`, (s) =>
    api<{ items: FixPullRequest[] }>('GET', `/fix-prs${qs({ state, repositoryId })}`, undefined, s),
  )
  const [refreshing, setRefreshing] = useState(false)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    document.title = 'Fix pull requests · vulnsync'
  }, [])
  const refresh = async () => {
    setRefreshing(true)
    setError(null)
    try {
      await api('POST', '/fix-prs/refresh')
      list.reload()
    } catch (e) {
      setError(e)
    } finally {
      setRefreshing(false)
    }
  }
  const items = list.data?.items ?? []
  return (
    <>
      <PageHeader
        title="Fix pull requests"
        subtitle="Upgrades vulnsync proposed, one per repository and manifest directory; their issues are verified fixed by the next complete scan after the merge."
        actions={
          canRefresh ? (
            <button type="button" className="btn btn-secondary" onClick={refresh} disabled={refreshing}>
              <Icon name="sync" /> {refreshing ? 'Reading states…' : 'Refresh states'}
            </button>
          ) : null
        }
      />
      <fieldset className="row-actions fieldset-plain">
        <legend className="visually-hidden">Filter by state</legend>
        {['', ...STATES].map((s) => (
          <button
            key={s || 'all'}
            type="button"
            className={`chip${s === state ? ' chip-active' : ''}`}
            aria-pressed={s === state}
            onClick={() => navigate(`/fix-prs${qs({ state: s, repositoryId })}`)}
          >
            {s ? s.charAt(0).toUpperCase() + s.slice(1) : 'All'}
          </button>
        ))}
      </fieldset>
      <ErrorBox error={error ?? list.error} title="Could not load the fix pull requests" />
      {!list.data && list.loading ? <Spinner label="Loading fix pull requests" /> : null}
      {list.data && items.length === 0 ? (
        <Empty title="No fix pull request yet.">
          Open one from a repository’s <Link to="/repositories">fix plans</Link> or a vulnerability’s Fix panel.
        </Empty>
      ) : null}
      {items.length ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Pull request</th>
                <th scope="col">State</th>
                <th scope="col">Branch</th>
                <th scope="col">Issues</th>
                <th scope="col">Opened</th>
                <th scope="col">Last read</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-fix-pr={p.id}>
                  <td>
                    <a href={p.url} target="_blank" rel="noreferrer noopener">
                      {p.repository} #{p.number} <Icon name="external" size={12} />
                    </a>
                    <div className="muted small">{p.title}</div>
                  </td>
                  <td>
                    <PullRequestState state={p.state} />
                  </td>
                  <td className="mono small">{p.branch}</td>
                  <td>
                    <Link to={`/repositories/${encodeURIComponent(p.repositoryId)}/fixes`}>{p.issueIds.length}</Link>
                  </td>
                  <td>
                    {fmtDateTime(p.createdAt)}
                    <div className="muted small">by {p.createdBy}</div>
                  </td>
                  <td>{fmtDateTime(p.refreshedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  )
}
