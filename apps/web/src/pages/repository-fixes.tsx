import { useEffect } from 'react'
import { api, type FixPlanList } from '../api.ts'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { FixPullRequestActions, PlanSummary } from '../components/fix.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { useLoad } from '../hooks.ts'
import { Link } from '../router.tsx'

/**
 * The fix plans of a repository: one per package and manifest of its open issues, then the pull requests they make
 * (one per manifest directory): preview, open where the connection opted in, or download the patch.
 */
export function RepositoryFixesPage({ id }: { id: string }) {
  const plans = useLoad(`fix-plans-${id}`, (s) =>
    api<FixPlanList>('GET', `/repositories/${encodeURIComponent(id)}/fix-plans`, undefined, s),
  )
  const repo = plans.data?.repository
  useEffect(() => {
    document.title = `Fix plans${repo ? ` · ${repo.fullName}` : ''} · vulnsync`
  }, [repo])
  const items = plans.data?.items ?? []
  const automatic = items.filter((p) => p.fixVersion && p.strategy !== 'manual')
  return (
    <>
      <p className="back">
        <Link to="/repositories">← Repositories</Link>
      </p>
      <PageHeader
        title={`Fix plans${repo ? `: ${repo.fullName}` : ''}`}
        subtitle={
          plans.data
            ? `${items.length} plan${items.length === 1 ? '' : 's'} (one per package and manifest of the open vulnerabilities), ${automatic.length} vulnsync can apply`
            : undefined
        }
      />
      <ErrorBox error={plans.error} title="Could not load the fix plans" />
      {!plans.data && plans.loading ? <Spinner label="Loading the fix plans" /> : null}
      {plans.data && items.length === 0 ? <Empty title="No open vulnerability of this repository has a plan." /> : null}
      {repo && automatic.length ? (
        <section className="card" aria-labelledby="sec-fix-prs">
          <h2 id="sec-fix-prs" className="card-title">
            Fix pull requests
          </h2>
          <p className="muted small">
            One pull request per manifest directory, bundling every package vulnsync can upgrade there.{' '}
            <Link to={`/fix-prs?repositoryId=${encodeURIComponent(repo.id)}`}>Pull requests opened so far</Link>.
          </p>
          <FixPullRequestActions repositoryId={repo.id} enabled={repo.pullRequestsEnabled} onOpened={plans.reload} />
        </section>
      ) : null}
      <ul className="fix-plan-list" aria-label="Fix plans">
        {items.map((p) => (
          <li key={`${p.package.purl}|${p.manifest?.path ?? ''}`} className="card">
            <PlanSummary plan={p} />
          </li>
        ))}
      </ul>
    </>
  )
}
