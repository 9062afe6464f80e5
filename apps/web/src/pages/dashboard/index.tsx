// The dashboard (the landing page after sign-in): four headline numbers and the insight measures as charts, each with
// a table view and each leading into the queue with the matching filter. The window and filters live in the URL.
import type { InsightMeasure, InsightOf, TimeToFixRow } from '@vulnsync/api'
import { api, qs } from '../../api.ts'
import { ErrorBox, Spinner } from '../../components/feedback.tsx'
import { useApplications, useTeams } from '../../components/owner.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { useConnectors, useKindDisplay } from '../../connectors-cache.ts'
import { fmtCount, fmtNumber } from '../../format.ts'
import { useLoad } from '../../hooks.ts'
import { Link, navigate, useLocation } from '../../router.tsx'
import { ANY_DECISION } from '../../workflow.ts'
import {
  ChartCard,
  CountBars,
  FlowChart,
  FlowTable,
  OpenByPriorityChart,
  OpenByPriorityTable,
  OverlapChart,
  OverlapTable,
  SlaChart,
  SlaTable,
  TimeToFixChart,
  TimeToFixTable,
} from './charts.tsx'
import {
  apiWindow,
  type DashboardFilters,
  dashboardHref,
  fmtDays,
  fmtShare,
  queueHref,
  viewFrom,
  WINDOWS,
} from './window.ts'

function useInsight<M extends InsightMeasure>(measure: M, params: string) {
  return useLoad(`${measure}${params}`, (s) => api<InsightOf<M>>('GET', `/insights/${measure}${params}`, undefined, s))
}

export function DashboardPage() {
  const { query } = useLocation()
  const view = viewFrom(query)
  const { filters } = view
  const win = apiWindow(view)
  const params = qs({ ...win, ...filters })
  const update = (patch: Partial<DashboardFilters> & { window?: string }) => {
    const w = patch.window ? (WINDOWS.find((x) => x.value === patch.window) ?? view.window) : view.window
    navigate(dashboardHref({ window: w, filters: { ...filters, ...patch } }), { replace: true })
  }

  const headline = useInsight('headline', params)
  const open = useInsight('open-by-priority', params)
  const flow = useInsight('new-vs-fixed', params)
  const ttf = useInsight('time-to-fix', params)
  const sla = useInsight('sla', params)
  const decisions = useInsight('decisions', params)
  const overlap = useInsight('scanner-overlap', params)

  const teams = useTeams()
  const applications = useApplications()
  const catalogue = useConnectors()
  const kindTitle = useKindDisplay()
  const title = (kind: string) => kindTitle(kind).title
  const sourceOptions = (catalogue.status === 'ready' ? catalogue.items : [])
    .filter((c) => c.role !== 'scm')
    .map((c) => ({ value: c.kind, label: c.title }))

  const to = (chart: Record<string, string | undefined>) => queueHref(filters, chart)
  const h = headline.data?.series[0]
  const ttfHref = (r: TimeToFixRow) =>
    to({
      status: 'fixed',
      ...(r.group === 'priority' ? { priority: r.key } : {}),
      ...(r.group === 'team' ? { team: r.key } : {}),
    })
  const errors = [headline, open, flow, ttf, sla, decisions, overlap].map((x) => x.error).find(Boolean)
  const interval = win.interval
  const accepted = (decisions.data?.series ?? [])
    .filter((r) => r.group === 'accepted_by_expiry')
    .map((r) => ({ key: r.key, label: r.key, count: r.count }))
  const falsePositives = (decisions.data?.series ?? [])
    .filter((r) => r.group === 'false_positive_by_source')
    .map((r) => ({ key: r.key, label: title(r.key), count: r.count }))

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle={
          <>
            Trends of the queue over the last {view.window.label}: are we getting better or worse, who is behind, and
            what each scanner finds. Every number leads into the <Link to={to({})}>queue</Link>.
          </>
        }
        actions={
          <a className="btn btn-secondary" href={`/api/v1/insights/new-vs-fixed.csv${params}`} download>
            Export new vs fixed (CSV)
          </a>
        }
      />
      <form
        className="filters dashboard-filters"
        aria-label="Dashboard window and filters"
        onSubmit={(e) => e.preventDefault()}
      >
        <fieldset className="filter filter-wide window-field">
          <legend className="filter-label">Window</legend>
          <div className="window-switch">
            {WINDOWS.map((w) => (
              <button
                key={w.value}
                type="button"
                className={w.value === view.window.value ? 'active' : ''}
                aria-pressed={w.value === view.window.value}
                onClick={() => update({ window: w.value })}
              >
                {w.label}
              </button>
            ))}
          </div>
        </fieldset>
        <Select
          id="d-team"
          label="Team"
          value={filters.team}
          onChange={(v) => update({ team: v })}
          any="Any team"
          options={[
            { value: 'none', label: 'Unowned (no team)' },
            ...(teams.data?.items ?? []).map((t) => ({ value: t.id, label: t.name })),
          ]}
        />
        <Select
          id="d-application"
          label="Application"
          value={filters.application}
          onChange={(v) => update({ application: v })}
          any="Any application"
          options={[
            { value: 'none', label: 'No application' },
            ...(applications.data?.items ?? []).map((a) => ({ value: a.id, label: a.name })),
          ]}
        />
        <Select
          id="d-source"
          label="Source tool"
          value={filters.source}
          onChange={(v) => update({ source: v })}
          any="All sources"
          options={sourceOptions}
        />
        <Select
          id="d-priority"
          label="Priority"
          value={filters.priority}
          onChange={(v) => update({ priority: v })}
          any="Any priority"
          options={['critical', 'high', 'medium', 'low', 'info'].map((p) => ({
            value: p,
            label: p.charAt(0).toUpperCase() + p.slice(1),
          }))}
        />
      </form>
      <ErrorBox error={errors} />

      <section className="headline-grid" aria-label="Headline numbers">
        <Headline
          label="Open critical"
          value={h ? fmtNumber(h.openCritical) : null}
          href={to({ priority: 'critical' })}
          tone="bad"
        />
        <Headline
          label="SLA breached"
          value={h ? fmtCount(h.breached, h.breachedIsEstimate) : null}
          note={h ? `${fmtCount(h.dueIn7Days, h.dueIn7DaysIsEstimate)} due in the next 7 days` : undefined}
          href={to({ sla: 'breached' })}
          tone="warn"
        />
        <Headline
          label="Median time to fix"
          value={h ? fmtDays(h.medianDaysToFix) : null}
          note={h ? `${fmtNumber(h.fixedInWindow)} fixed in ${view.window.label}` : undefined}
          href={to({ status: 'fixed' })}
        />
        <Headline
          label="Fixed this week"
          value={h ? fmtNumber(h.fixedThisWeek) : null}
          note="verified by a scan, since Monday"
          href={to({ status: 'fixed' })}
          tone="ok"
        />
      </section>

      <div className="insight-grid">
        <ChartCard
          testId="chart-open"
          title="Open issues by priority"
          description="The open issues at the end of each period, from the daily snapshots. Select a bar for those issues in the queue."
          chart={
            open.data ? (
              <OpenByPriorityChart series={open.data.series} interval={interval} href={(p) => to({ priority: p })} />
            ) : (
              <Spinner />
            )
          }
          table={
            open.data ? (
              <OpenByPriorityTable series={open.data.series} interval={interval} href={(p) => to({ priority: p })} />
            ) : null
          }
        />
        <ChartCard
          testId="chart-flow"
          title="New versus fixed"
          description="Detections per period against verified fixes, reopened issues and decisions (the burn-down)."
          chart={
            flow.data ? (
              <FlowChart
                series={flow.data.series}
                interval={interval}
                href={(f) =>
                  to(
                    f === 'fixed'
                      ? { status: 'fixed' }
                      : f === 'decided'
                        ? { status: ANY_DECISION }
                        : { sort: '-detectedAt' },
                  )
                }
              />
            ) : (
              <Spinner />
            )
          }
          table={flow.data ? <FlowTable series={flow.data.series} interval={interval} /> : null}
        />
        <ChartCard
          testId="chart-ttf"
          title="Time to fix"
          description="Days from the first detection to the fix a scan verified, of the issues fixed in the window: median and 90th percentile."
          empty={ttf.data && (ttf.data.series[0]?.fixed ?? 0) === 0 ? 'Nothing was fixed in this window.' : null}
          chart={ttf.data ? <TimeToFixChart rows={ttf.data.series} href={ttfHref} /> : <Spinner />}
          table={ttf.data ? <TimeToFixTable rows={ttf.data.series} href={ttfHref} /> : null}
        />
        <ChartCard
          testId="chart-sla"
          title="SLA compliance"
          description={
            sla.data ? (
              <>
                {fmtShare(sla.data.summary.fixed ? sla.data.summary.fixedWithinSla / sla.data.summary.fixed : null)} of
                the {fmtNumber(sla.data.summary.fixed)} fixes in the window were within SLA;{' '}
                <Link to={to({ sla: 'breached' })}>
                  {fmtCount(sla.data.summary.breached, sla.data.summary.breachedIsEstimate)} open past due
                </Link>
                ,{' '}
                <Link to={to({ sla: 'due_soon' })}>
                  {fmtCount(sla.data.summary.dueIn7Days, sla.data.summary.dueIn7DaysIsEstimate)} due in 7 days
                </Link>
                .
              </>
            ) : (
              'Share of fixes within SLA, and open issues past due.'
            )
          }
          chart={
            sla.data ? (
              <SlaChart series={sla.data.series} interval={interval} href={to({ sla: 'breached' })} />
            ) : (
              <Spinner />
            )
          }
          table={sla.data ? <SlaTable series={sla.data.series} interval={interval} /> : null}
        />
        <ChartCard
          testId="chart-decisions"
          title="Decisions"
          description="Accepted risk by the month its acceptance expires, and false positives decided in the window by the scanner that reported them."
          empty={decisions.data && decisions.data.series.length === 0 ? 'No accepted risk or false positives.' : null}
          chart={
            decisions.data ? (
              <div className="insight-pair">
                <div>
                  <h3 className="small">Accepted risk by expiry month</h3>
                  {accepted.length ? (
                    <CountBars
                      data={accepted}
                      color="#c79a1e"
                      name="Accepted"
                      href={() => to({ status: 'accepted' })}
                    />
                  ) : (
                    <p className="muted small">None.</p>
                  )}
                </div>
                <div>
                  <h3 className="small">False positives by scanner</h3>
                  {falsePositives.length ? (
                    <CountBars
                      data={falsePositives}
                      color="#6b7688"
                      name="False positives"
                      href={(k) => to({ status: 'false_positive', source: k })}
                    />
                  ) : (
                    <p className="muted small">None.</p>
                  )}
                </div>
              </div>
            ) : (
              <Spinner />
            )
          }
          table={
            decisions.data ? (
              <table className="table">
                <caption className="visually-hidden">Decisions</caption>
                <thead>
                  <tr>
                    <th scope="col">What</th>
                    <th scope="col">Month or scanner</th>
                    <th scope="col" className="num">
                      Issues
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[
                    ...accepted.map((r) => ({ ...r, what: 'accepted' })),
                    ...falsePositives.map((r) => ({ ...r, what: 'false_positive' })),
                  ].map((r) => (
                    <tr key={`${r.what}:${r.key}`}>
                      <td>{r.what === 'accepted' ? 'Accepted risk, expiring' : 'False positives'}</td>
                      <th scope="row">
                        <Link
                          to={to(
                            r.what === 'accepted'
                              ? { status: 'accepted' }
                              : { status: 'false_positive', source: r.key },
                          )}
                        >
                          {r.label}
                        </Link>
                      </th>
                      <td className="num">{r.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null
          }
        />
        <ChartCard
          testId="chart-overlap"
          title="Scanner overlap"
          description="For issues detected in the window on targets and ecosystems two scanners both report on: what each found alone, what both found, and who found it first."
          empty={
            overlap.data && overlap.data.series.length === 0
              ? 'No two connected scanners look at the same targets and ecosystems.'
              : null
          }
          chart={
            overlap.data ? (
              <OverlapChart rows={overlap.data.series} title={title} href={(k) => to({ source: k })} />
            ) : (
              <Spinner />
            )
          }
          table={
            overlap.data ? (
              <OverlapTable rows={overlap.data.series} title={title} href={(k) => to({ source: k })} />
            ) : null
          }
        />
      </div>
    </>
  )
}

function Headline({
  label,
  value,
  note,
  href,
  tone,
}: {
  label: string
  value: string | null
  note?: string | undefined
  href: string
  tone?: 'bad' | 'warn' | 'ok'
}) {
  return (
    <Link to={href} className={`card headline${tone ? ` headline-${tone}` : ''}`}>
      <span className="headline-label">{label}</span>
      <span className="headline-value">{value ?? '…'}</span>
      {note ? <span className="headline-note muted small">{note}</span> : null}
    </Link>
  )
}

function Select({
  id,
  label,
  value,
  onChange,
  options,
  any,
}: {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  options: { value: string; label: string }[]
  any: string
}) {
  const opts = [...options]
  // a shared link may name something this list does not have: keep it selectable
  if (value && !opts.some((o) => o.value === value)) opts.push({ value, label: value })
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{any}</option>
        {opts.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  )
}
