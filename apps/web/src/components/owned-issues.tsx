// Open issues by priority and SLA breaches of a team or an application, as links into the queue.
import { SEVERITIES, type Team } from '../api.ts'
import { fmtNumber } from '../format.ts'
import { Link } from '../router.tsx'
import { SeverityBadge } from './badges.tsx'

export function OwnedIssuesCell({ issues, filter }: { issues: Team['issues']; filter: string }) {
  if (issues.open === 0) return <span className="muted">none open</span>
  return (
    <div>
      <Link to={`/vulnerabilities?${filter}`}>{fmtNumber(issues.open)} open</Link>
      <div className="prio-counts">
        {SEVERITIES.filter((s) => (issues.byPriority[s] ?? 0) > 0).map((s) => (
          <Link key={s} to={`/vulnerabilities?${filter}&priority=${s}`} title={`${s} priority`}>
            <SeverityBadge severity={s} prefix={`${issues.byPriority[s]} with priority`} />{' '}
            <span className="small">{fmtNumber(issues.byPriority[s] ?? 0)}</span>
          </Link>
        ))}
      </div>
    </div>
  )
}

export function SlaBreachesCell({ n }: { n: number }) {
  return n > 0 ? <strong>{fmtNumber(n)} past SLA</strong> : <span className="muted">0</span>
}
