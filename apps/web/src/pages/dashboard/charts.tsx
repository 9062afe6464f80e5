// The dashboard's charts (recharts: SVG with its keyboard and screen-reader layer) and their table views. Every chart
// can be read as a table (the text alternative), and every bar leads into the queue with the matching filter.
import type { FlowPoint, InsightInterval, OpenByPriorityPoint, OverlapRow, SlaPoint, TimeToFixRow } from '@vulnsync/api'
import { type ReactNode, useId, useState } from 'react'
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import { cap } from '../../format.ts'
import { Link, navigate } from '../../router.tsx'
import { bucketLabel, fmtDays, fmtShare } from './window.ts'

export const PRIORITY_COLORS: Record<string, string> = {
  critical: '#8e1b1b',
  high: '#d0571b',
  medium: '#c79a1e',
  low: '#2a5b9c',
  info: '#8a94a6',
}
const PRIORITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
const HEIGHT = 240

/** A chart with its title, what it shows, and a switch to its table. */
export function ChartCard({
  title,
  description,
  chart,
  table,
  empty,
  testId,
}: {
  title: string
  description: ReactNode
  chart: ReactNode
  table: ReactNode
  /** shown instead of both when there is nothing to draw */
  empty?: string | null
  testId: string
}) {
  const [view, setView] = useState<'chart' | 'table'>('chart')
  const id = useId()
  return (
    <section className="card insight-card" aria-labelledby={id} data-testid={testId}>
      <div className="insight-head">
        <h2 id={id}>{title}</h2>
        <fieldset className="view-switch">
          <legend className="visually-hidden">Show {title} as</legend>
          {(['chart', 'table'] as const).map((v) => (
            <button
              key={v}
              type="button"
              className={view === v ? 'active' : ''}
              aria-pressed={view === v}
              onClick={() => setView(v)}
            >
              {cap(v)}
            </button>
          ))}
        </fieldset>
      </div>
      <p className="muted small insight-desc">{description}</p>
      {empty ? (
        <p className="insight-empty muted">{empty}</p>
      ) : view === 'chart' ? (
        <div className="insight-chart">{chart}</div>
      ) : (
        <div className="table-wrap insight-table">{table}</div>
      )}
    </section>
  )
}

/** The click handler of a bar: the row of the data it draws. */
const onBar =
  <T,>(go: (row: T) => void) =>
  (item: { payload?: unknown }) => {
    if (item?.payload) go(item.payload as T)
  }

const axisProps = { fontSize: 12, tickLine: false } as const

// ------------------------------------------------------------------ open issues by priority

export function OpenByPriorityChart({
  series,
  interval,
  href,
}: {
  series: OpenByPriorityPoint[]
  interval: InsightInterval
  href: (priority: string) => string
}) {
  const data = series.map((p) => ({ ...p, label: bucketLabel(p.bucket, interval) }))
  return (
    <ResponsiveContainer width="100%" height={HEIGHT}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid vertical={false} stroke="#e3e6eb" />
        <XAxis dataKey="label" {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        {PRIORITIES.map((p) => (
          <Bar
            key={p}
            dataKey={p}
            name={cap(p)}
            stackId="open"
            fill={PRIORITY_COLORS[p]}
            cursor="pointer"
            isAnimationActive={false}
            onClick={onBar(() => navigate(href(p)))}
          />
        ))}
      </BarChart>
    </ResponsiveContainer>
  )
}

export function OpenByPriorityTable({
  series,
  interval,
  href,
}: {
  series: OpenByPriorityPoint[]
  interval: InsightInterval
  href: (priority: string) => string
}) {
  return (
    <table className="table">
      <caption className="visually-hidden">Open issues by priority at the end of each period</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          <th scope="col">As of</th>
          {PRIORITIES.map((p) => (
            <th scope="col" key={p} className="num">
              <Link to={href(p)}>{cap(p)}</Link>
            </th>
          ))}
          <th scope="col" className="num">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {series.map((r) => (
          <tr key={r.bucket}>
            <th scope="row">{bucketLabel(r.bucket, interval)}</th>
            <td className="muted">{r.asOf ?? 'no snapshot'}</td>
            {PRIORITIES.map((p) => (
              <td key={p} className="num">
                {r.asOf ? r[p] : '–'}
              </td>
            ))}
            <td className="num">{r.asOf ? r.total : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

// ------------------------------------------------------------------ new versus fixed

const FLOWS = [
  { key: 'new', label: 'New', color: '#b42318' },
  { key: 'fixed', label: 'Fixed', color: '#1f7a4d' },
  { key: 'reopened', label: 'Reopened', color: '#d0571b' },
  { key: 'decided', label: 'Decided', color: '#8a94a6' },
] as const

export function FlowChart({
  series,
  interval,
  href,
}: {
  series: FlowPoint[]
  interval: InsightInterval
  href: (flow: string) => string
}) {
  const data = series.map((p) => ({ ...p, label: bucketLabel(p.bucket, interval) }))
  return (
    <ResponsiveContainer width="100%" height={HEIGHT}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid vertical={false} stroke="#e3e6eb" />
        <XAxis dataKey="label" {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        {FLOWS.map((f) => (
          <Bar
            key={f.key}
            dataKey={f.key}
            name={f.label}
            fill={f.color}
            cursor="pointer"
            isAnimationActive={false}
            onClick={onBar(() => navigate(href(f.key)))}
          />
        ))}
      </BarChart>
    </ResponsiveContainer>
  )
}

export function FlowTable({ series, interval }: { series: FlowPoint[]; interval: InsightInterval }) {
  return (
    <table className="table">
      <caption className="visually-hidden">New, fixed, reopened and decided issues per period</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          {FLOWS.map((f) => (
            <th scope="col" key={f.key} className="num">
              {f.label}
            </th>
          ))}
          <th scope="col" className="num">
            Net
          </th>
        </tr>
      </thead>
      <tbody>
        {series.map((r) => (
          <tr key={r.bucket}>
            <th scope="row">{bucketLabel(r.bucket, interval)}</th>
            {FLOWS.map((f) => (
              <td key={f.key} className="num">
                {r[f.key]}
              </td>
            ))}
            <td className="num">{r.new + r.reopened - r.fixed - r.decided}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

// ------------------------------------------------------------------ time to fix

export function TimeToFixChart({ rows, href }: { rows: TimeToFixRow[]; href: (r: TimeToFixRow) => string }) {
  const data = rows.filter((r) => r.group === 'priority').map((r) => ({ ...r, name: cap(r.label) }))
  return (
    <ResponsiveContainer width="100%" height={HEIGHT}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid vertical={false} stroke="#e3e6eb" />
        <XAxis dataKey="name" {...axisProps} />
        <YAxis unit=" d" {...axisProps} />
        <Tooltip formatter={(v) => fmtDays(v as number)} />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Bar
          dataKey="medianDays"
          name="Median"
          fill="#2f5bd3"
          cursor="pointer"
          isAnimationActive={false}
          onClick={onBar<TimeToFixRow>((r) => navigate(href(r)))}
        />
        <Bar
          dataKey="p90Days"
          name="90th percentile"
          fill="#9bb1ea"
          cursor="pointer"
          isAnimationActive={false}
          onClick={onBar<TimeToFixRow>((r) => navigate(href(r)))}
        />
      </BarChart>
    </ResponsiveContainer>
  )
}

export function TimeToFixTable({ rows, href }: { rows: TimeToFixRow[]; href: (r: TimeToFixRow) => string }) {
  return (
    <table className="table">
      <caption className="visually-hidden">Days from detection to the verified fix</caption>
      <thead>
        <tr>
          <th scope="col">By</th>
          <th scope="col">Group</th>
          <th scope="col" className="num">
            Fixed
          </th>
          <th scope="col" className="num">
            Median
          </th>
          <th scope="col" className="num">
            90th percentile
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.group}:${r.key}`}>
            <td className="muted">{r.group === 'all' ? 'all' : r.group}</td>
            <th scope="row">
              <Link to={href(r)}>{r.group === 'priority' ? cap(r.label) : r.label}</Link>
            </th>
            <td className="num">{r.fixed}</td>
            <td className="num">{fmtDays(r.medianDays)}</td>
            <td className="num">{fmtDays(r.p90Days)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

// ------------------------------------------------------------------ SLA

export function SlaChart({ series, interval, href }: { series: SlaPoint[]; interval: InsightInterval; href: string }) {
  const data = series.map((p) => ({
    ...p,
    label: bucketLabel(p.bucket, interval),
    sharePct: p.withinSlaShare === null ? null : Math.round(p.withinSlaShare * 100),
  }))
  return (
    <ResponsiveContainer width="100%" height={HEIGHT}>
      <ComposedChart data={data} margin={{ top: 8, right: 0, bottom: 0, left: -12 }}>
        <CartesianGrid vertical={false} stroke="#e3e6eb" />
        <XAxis dataKey="label" {...axisProps} />
        <YAxis yAxisId="share" domain={[0, 100]} unit="%" {...axisProps} />
        <YAxis yAxisId="open" orientation="right" allowDecimals={false} {...axisProps} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Bar yAxisId="share" dataKey="sharePct" name="Fixed within SLA (%)" fill="#1f7a4d" isAnimationActive={false} />
        <Line
          yAxisId="open"
          dataKey="breached"
          name="Open past due"
          stroke="#b42318"
          strokeWidth={2}
          dot={{ r: 3, cursor: 'pointer', onClick: () => navigate(href) }}
          activeDot={{ r: 5, cursor: 'pointer', onClick: () => navigate(href) }}
          connectNulls
          isAnimationActive={false}
        />
      </ComposedChart>
    </ResponsiveContainer>
  )
}

export function SlaTable({ series, interval }: { series: SlaPoint[]; interval: InsightInterval }) {
  return (
    <table className="table">
      <caption className="visually-hidden">SLA compliance per period</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          <th scope="col" className="num">
            Fixed
          </th>
          <th scope="col" className="num">
            Within SLA
          </th>
          <th scope="col" className="num">
            Share
          </th>
          <th scope="col" className="num">
            Open past due
          </th>
        </tr>
      </thead>
      <tbody>
        {series.map((r) => (
          <tr key={r.bucket}>
            <th scope="row">{bucketLabel(r.bucket, interval)}</th>
            <td className="num">{r.fixed}</td>
            <td className="num">{r.fixedWithinSla}</td>
            <td className="num">{fmtShare(r.withinSlaShare)}</td>
            <td className="num">{r.breached ?? '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

// ------------------------------------------------------------------ decisions

export function CountBars({
  data,
  color,
  name,
  href,
}: {
  data: { key: string; label: string; count: number }[]
  color: string
  name: string
  href: (key: string) => string
}) {
  return (
    <ResponsiveContainer width="100%" height={Math.max(120, 36 * data.length + 40)}>
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid horizontal={false} stroke="#e3e6eb" />
        <XAxis type="number" allowDecimals={false} {...axisProps} />
        <YAxis type="category" dataKey="label" width={110} {...axisProps} />
        <Tooltip />
        <Bar
          dataKey="count"
          name={name}
          fill={color}
          cursor="pointer"
          isAnimationActive={false}
          onClick={onBar<{ key: string }>((r) => navigate(href(r.key)))}
        />
      </BarChart>
    </ResponsiveContainer>
  )
}

// ------------------------------------------------------------------ scanner overlap

export function OverlapChart({
  rows,
  title,
  href,
}: {
  rows: OverlapRow[]
  title: (kind: string) => string
  href: (kind: string) => string
}) {
  const data = rows.map((r) => ({
    ...r,
    pair: `${title(r.scannerA)} / ${title(r.scannerB)}`,
  }))
  return (
    <ResponsiveContainer width="100%" height={Math.max(140, 48 * data.length + 60)}>
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid horizontal={false} stroke="#e3e6eb" />
        <XAxis type="number" allowDecimals={false} {...axisProps} />
        <YAxis type="category" dataKey="pair" width={150} {...axisProps} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Bar
          dataKey="onlyA"
          name="First scanner alone"
          stackId="o"
          fill="#2f5bd3"
          cursor="pointer"
          isAnimationActive={false}
          onClick={onBar<OverlapRow>((r) => navigate(href(r.scannerA)))}
        />
        <Bar
          dataKey="both"
          name="Both"
          stackId="o"
          fill="#6b7688"
          cursor="pointer"
          isAnimationActive={false}
          onClick={onBar<OverlapRow>((r) => navigate(href(r.scannerA)))}
        />
        <Bar
          dataKey="onlyB"
          name="Second scanner alone"
          stackId="o"
          fill="#c79a1e"
          cursor="pointer"
          isAnimationActive={false}
          onClick={onBar<OverlapRow>((r) => navigate(href(r.scannerB)))}
        />
      </BarChart>
    </ResponsiveContainer>
  )
}

export function OverlapTable({
  rows,
  title,
  href,
}: {
  rows: OverlapRow[]
  title: (kind: string) => string
  href: (kind: string) => string
}) {
  return (
    <table className="table">
      <caption className="visually-hidden">What each pair of scanners finds alone and together</caption>
      <thead>
        <tr>
          <th scope="col">Scanners</th>
          <th scope="col" className="num">
            Could both see
          </th>
          <th scope="col" className="num">
            Only the first
          </th>
          <th scope="col" className="num">
            Only the second
          </th>
          <th scope="col" className="num">
            Both
          </th>
          <th scope="col">Who found it first</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.scannerA}:${r.scannerB}`}>
            <th scope="row">
              <Link to={href(r.scannerA)}>{title(r.scannerA)}</Link> /{' '}
              <Link to={href(r.scannerB)}>{title(r.scannerB)}</Link>
            </th>
            <td className="num">{r.visible}</td>
            <td className="num">{r.onlyA}</td>
            <td className="num">{r.onlyB}</td>
            <td className="num">{r.both}</td>
            <td className="small">
              {title(r.scannerA)} first {r.aFirst}× (median {fmtDays(r.aLeadDays)} ahead), {title(r.scannerB)} first{' '}
              {r.bFirst}× (median {fmtDays(r.bLeadDays)} ahead), same day {r.sameDay}×
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
