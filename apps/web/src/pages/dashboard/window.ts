// The dashboard's view lives in the URL: the window and the filters (team, application, source, priority). Pure helpers,
// tested in window.test.ts.
import type { InsightInterval } from '@vulnsync/api'

export interface WindowOption {
  value: string
  label: string
  days: number
  interval: InsightInterval
}

export const WINDOWS: WindowOption[] = [
  { value: '30d', label: '30 days', days: 30, interval: 'day' },
  { value: '90d', label: '90 days', days: 90, interval: 'week' },
  { value: '180d', label: '6 months', days: 182, interval: 'week' },
  { value: '365d', label: '1 year', days: 365, interval: 'month' },
]
export const DEFAULT_WINDOW = '90d'

export const DASHBOARD_FILTERS = ['team', 'application', 'source', 'priority'] as const
export type DashboardFilter = (typeof DASHBOARD_FILTERS)[number]
export type DashboardFilters = Record<DashboardFilter, string>

export interface DashboardView {
  window: WindowOption
  filters: DashboardFilters
}

export function viewFrom(query: URLSearchParams): DashboardView {
  const w = WINDOWS.find((x) => x.value === query.get('window')) ?? WINDOWS.find((x) => x.value === DEFAULT_WINDOW)!
  const filters = {} as DashboardFilters
  for (const k of DASHBOARD_FILTERS) filters[k] = query.get(k) ?? ''
  return { window: w, filters }
}

/** The dashboard's own URL for a view (the default window is left out). */
export function dashboardHref(v: DashboardView): string {
  const u = new URLSearchParams()
  if (v.window.value !== DEFAULT_WINDOW) u.set('window', v.window.value)
  for (const k of DASHBOARD_FILTERS) if (v.filters[k]) u.set(k, v.filters[k])
  const s = u.toString()
  return s ? `/dashboard?${s}` : '/dashboard'
}

const iso = (d: Date) => d.toISOString().slice(0, 10)

/** The API's window for a view, ending today (UTC). */
export function apiWindow(v: DashboardView, now = new Date()): { from: string; to: string; interval: InsightInterval } {
  const to = iso(now)
  const from = iso(new Date(now.getTime() - (v.window.days - 1) * 86_400_000))
  return { from, to, interval: v.window.interval }
}

/**
 * The queue with the dashboard's filters and the chart's own (a chart's value wins over the dashboard's: a click on
 * the critical bar shows critical issues whatever the priority filter said).
 */
export function queueHref(filters: DashboardFilters, chart: Record<string, string | undefined> = {}): string {
  const u = new URLSearchParams()
  for (const k of DASHBOARD_FILTERS) if (filters[k] && chart[k] === undefined) u.set(k, filters[k])
  for (const [k, v] of Object.entries(chart)) if (v) u.set(k, v)
  const s = u.toString()
  return s ? `/vulnerabilities?${s}` : '/vulnerabilities'
}

/** A bucket's label: the day, the week's Monday, or the month. */
export function bucketLabel(bucket: string, interval: InsightInterval): string {
  const d = new Date(`${bucket}T00:00:00Z`)
  if (interval === 'month') return d.toLocaleDateString('en', { month: 'short', year: 'numeric', timeZone: 'UTC' })
  const day = d.toLocaleDateString('en', { day: 'numeric', month: 'short', timeZone: 'UTC' })
  return interval === 'week' ? `wk ${day}` : day
}

export const fmtDays = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : `${n.toLocaleString('en', { maximumFractionDigits: 1 })} d`

export const fmtShare = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : `${Math.round(n * 100)}%`
