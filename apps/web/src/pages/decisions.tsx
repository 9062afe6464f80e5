// The Decisions page: the live decisions (risk accepted, false positive, not affected), those expiring soon and those
// whose evidence changed, each with what it covers, who made it and why, and the issues it governs; its author or an
// admin extends, marks reviewed or revokes it in place.
import { useEffect } from 'react'
import { api, type Decision, qs } from '../api.ts'
import { DecisionActions } from '../components/decision-actions.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { fmtDate, fmtNumber } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { Link, navigate, useLocation } from '../router.tsx'
import { DECISION_KINDS, DECISION_LABEL, daysUntil, SCOPE_LABEL, VEX_LABEL } from '../workflow.ts'
import { useSlaPolicy } from '../workflow-data.ts'

const VIEWS = [
  { value: 'active', label: 'Active' },
  { value: 'expiring', label: 'Expiring soon' },
  { value: 'review', label: 'Needs review' },
] as const
type View = (typeof VIEWS)[number]['value']
const WITHIN = [7, 14, 30, 90]
const LIMIT = 500

/** Where a decision's issues are: the issue itself, or the queue filtered to its CVE (in its target). */
function issuesHref(d: Decision): string {
  if (d.scope === 'issue' && d.issueId) return `/vulnerabilities/${encodeURIComponent(d.issueId)}`
  const p: Record<string, string> = { cve: d.cve, status: 'any' }
  // a target key is `repo:<repository id>` or `<kind>:<name>`; the queue's repository filter takes either
  if (d.scope === 'cve_in_target' && d.targetKey) p.repository = d.targetKey.slice(d.targetKey.indexOf(':') + 1)
  return `/vulnerabilities${qs(p)}`
}

export function DecisionsPage() {
  useEffect(() => {
    document.title = 'Decisions · vulnsync'
  }, [])
  const { query, pathname } = useLocation()
  const policy = useSlaPolicy()
  const view: View = VIEWS.some((v) => v.value === query.get('view')) ? (query.get('view') as View) : 'active'
  const kind = query.get('kind') ?? ''
  const withinParam = Number(query.get('within'))
  const within = WITHIN.includes(withinParam) ? withinParam : 14
  const listQs = qs({
    kind,
    expiringWithinDays: view === 'expiring' ? within : null,
    needsReview: view === 'review' ? 'true' : null,
    limit: LIMIT,
  })
  const list = useLoad(`decisions${listQs}`, (s) =>
    api<{ items: Decision[] }>('GET', `/decisions${listQs}`, undefined, s),
  )
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(query)
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k)
      else next.set(k, v)
    }
    const s = next.toString()
    navigate(`${pathname}${s ? `?${s}` : ''}`, { replace: true })
  }
  const items = list.data?.items ?? []
  const dueSoon = policy.data?.dueSoonDays ?? 7

  return (
    <>
      <PageHeader
        title="Decisions"
        subtitle="Risk acceptances, false positives and not-affected statements: why an issue is closed without a fix, and until when."
      />
      <nav className="tabs" aria-label="Decision views">
        {VIEWS.map((v) => (
          <Link
            key={v.value}
            to={`/decisions${qs({ view: v.value === 'active' ? '' : v.value, kind, within: query.get('within') })}`}
            className={view === v.value ? 'tab active' : 'tab'}
            aria-current={view === v.value ? 'page' : undefined}
          >
            {v.label}
          </Link>
        ))}
      </nav>
      <form className="toolbar" aria-label="Filter decisions" onSubmit={(e) => e.preventDefault()}>
        <div className="filter">
          <label htmlFor="d-kind">Kind</label>
          <select id="d-kind" value={kind} onChange={(e) => set({ kind: e.target.value })}>
            <option value="">Every kind</option>
            {DECISION_KINDS.map((k) => (
              <option key={k} value={k}>
                {DECISION_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
        {view === 'expiring' ? (
          <div className="filter">
            <label htmlFor="d-within">Expiring within</label>
            <select id="d-within" value={within} onChange={(e) => set({ within: e.target.value })}>
              {WITHIN.map((n) => (
                <option key={n} value={n}>
                  {n} days
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </form>
      <ErrorBox error={list.error} title="Could not load the decisions" />
      <div className={`table-wrap${list.loading ? ' is-loading' : ''}`} aria-busy={list.loading}>
        <table className="table decisions-table">
          <caption className="visually-hidden">
            {VIEWS.find((v) => v.value === view)?.label} decisions{list.data ? `, ${items.length}` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Decision</th>
              <th scope="col">Covers</th>
              <th scope="col">Issues</th>
              <th scope="col">Made</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <DecisionRow key={d.id} d={d} dueSoon={dueSoon} onChanged={list.reload} />
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 ? (
          <Empty
            title={
              view === 'expiring'
                ? `No decision expires within ${within} days.`
                : view === 'review'
                  ? 'No decision needs review.'
                  : 'No live decision.'
            }
          >
            {view === 'active' ? 'Record one from the triage panel of an issue, or for many from the queue.' : null}
          </Empty>
        ) : null}
        {list.loading && !list.data ? (
          <div className="table-loading">
            <Spinner label="Loading decisions" />
          </div>
        ) : null}
      </div>
      {items.length >= LIMIT ? (
        <p className="muted">The first {LIMIT} are shown, the soonest to expire first.</p>
      ) : null}
    </>
  )
}

const expiresIn = (days: number) => (days < 1 ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`)

function DecisionRow({ d, dueSoon, onChanged }: { d: Decision; dueSoon: number; onChanged: () => void }) {
  const left = d.expiresAt ? daysUntil(d.expiresAt) : null
  const subject = d.scope === 'cve_everywhere' ? `${d.cve} everywhere` : d.cve
  return (
    <tr data-decision={d.id}>
      <td>
        <span className={`decision-kind decision-${d.kind}`}>{DECISION_LABEL[d.kind]}</span>
        <div className="decision-reason-cell">{d.reason}</div>
        {d.justification ? <div className="muted small">{VEX_LABEL[d.justification] ?? d.justification}</div> : null}
        {d.needsReview ? (
          <div className="review-flag">
            Needs review{d.issuesNeedingReview ? ` (${fmtNumber(d.issuesNeedingReview)})` : ''}
            {d.reviewReason ? <span className="muted small">: {d.reviewReason}</span> : null}
          </div>
        ) : null}
      </td>
      <td>
        <span className="mono">{d.cve}</span>
        <div className="muted small">{SCOPE_LABEL[d.scope]}</div>
      </td>
      <td>
        <Link to={issuesHref(d)} aria-label={`${fmtNumber(d.issues)} issues of the decision on ${subject}`}>
          {fmtNumber(d.issues)} issue{d.issues === 1 ? '' : 's'}
        </Link>
        {d.scope !== 'issue' && d.issueId ? (
          <div className="small">
            <Link to={`/vulnerabilities/${encodeURIComponent(d.issueId)}`}>the issue it was recorded on</Link>
          </div>
        ) : null}
      </td>
      <td>
        {d.createdBy}
        <div className="muted small">{fmtDate(d.createdAt)}</div>
      </td>
      <td className={left !== null && left < dueSoon ? 'expires-soon' : undefined}>
        {d.expiresAt ? (
          <>
            {fmtDate(d.expiresAt)}
            <div className="small">{expiresIn(left ?? 0)}</div>
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td className="cell-actions">
        <DecisionActions decision={d} subject={subject} onChanged={onChanged} />
      </td>
    </tr>
  )
}
