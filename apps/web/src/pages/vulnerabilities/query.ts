// The queue's view lives in the URL: filters, sort, page size and cursor. The web app shows open issues unless the
// URL says otherwise (the API lists every status without a filter); `status=any` shows every status.
import type { AssignableUser } from '../../api.ts'
import { cap } from '../../format.ts'
import { ANY_DECISION, SLA_STATE_LABEL, stageLabel, statusLabel } from '../../workflow.ts'

export const FILTER_KEYS = [
  'source',
  'severity',
  'priority',
  'kev',
  'epssMin',
  'status',
  'stage',
  'sla',
  'assignee',
  'team',
  'application',
  'needsReview',
  'repository',
  'cve',
  'package',
  'q',
] as const
export type FilterKey = (typeof FILTER_KEYS)[number]
export type Filters = Record<FilterKey, string>

// typed filters applied after a pause; repository is an exact match, applied on Enter, blur or a suggestion
export const TEXT_KEYS: FilterKey[] = ['cve', 'package', 'q']

export const SORTS: { value: string; label: string }[] = [
  { value: 'priority', label: 'Priority (highest first)' },
  { value: 'severity', label: 'Severity (highest first)' },
  { value: 'dueAt', label: 'Due date (soonest first)' },
  { value: '-detectedAt', label: 'Detected (newest first)' },
  { value: 'detectedAt', label: 'Detected (oldest first)' },
  { value: 'cve', label: 'CVE' },
  { value: 'lastSeenAt', label: 'Last seen (newest first)' },
]
export const LIMITS = [25, 50, 100]

/** EPSS floors offered by the queue's filter (any other value from a shared link stays selectable). */
export const EPSS_FLOORS = ['0.01', '0.1', '0.5', '0.9']

export const STATUS_OPTIONS: { value: string; label: string }[] = [
  ...(['open', 'fixed', 'excluded', 'accepted', 'false_positive', 'not_affected'] as const).map((s) => ({
    value: s,
    label: statusLabel(s),
  })),
  { value: ANY_DECISION, label: 'Any decision' },
  { value: 'any', label: 'Any status' },
]

export function filtersFrom(query: URLSearchParams): Filters {
  const f = {} as Filters
  for (const k of FILTER_KEYS) f[k] = query.get(k) ?? ''
  return f
}

/** The filters as the API takes them: open unless the URL says otherwise, `any` for every status. */
export function apiFiltersOf(f: Filters): Filters {
  return { ...f, status: f.status === '' ? 'open' : f.status === 'any' ? '' : f.status }
}

/** The filters as the bulk API's `filter` takes them: the same view, without the empty ones. */
export function bulkFilterOf(f: Filters): Record<string, string> {
  return Object.fromEntries(Object.entries(apiFiltersOf(f)).filter(([, v]) => v !== ''))
}

/** Value → label of the filters whose values are ids (teams, applications). */
export type NamedOptions = Partial<Record<FilterKey, { value: string; label: string }[]>>

/** How an active filter reads on its chip (a team's or application's name rather than its id). */
export function chipText(k: FilterKey, v: string, users: AssignableUser[], named: NamedOptions = {}): string {
  const list = (f: (x: string) => string) => v.split(',').map(f).join(', ')
  switch (k) {
    case 'status':
      return v === 'any' ? 'any' : v === ANY_DECISION ? 'any decision' : list(statusLabel)
    case 'stage':
      return list(stageLabel)
    case 'sla':
      return list((s) => SLA_STATE_LABEL[s as keyof typeof SLA_STATE_LABEL] ?? s)
    case 'assignee':
      return v === 'me' ? 'me' : v === 'none' ? 'unassigned' : (users.find((u) => u.id === v)?.username ?? v)
    case 'needsReview':
      return v === 'true' ? 'yes' : v
    case 'kev':
      return v === 'true' ? 'listed' : v === 'false' ? 'not listed' : v
    case 'epssMin':
      return `≥ ${v}`
    case 'team':
    case 'application':
      return named[k]?.find((o) => o.value === v)?.label ?? v
    case 'severity':
    case 'priority':
      return list(cap)
    default:
      return v
  }
}

export const FILTER_NAME: Record<FilterKey, string> = {
  source: 'source',
  severity: 'severity',
  priority: 'priority',
  kev: 'CISA KEV',
  epssMin: 'EPSS',
  status: 'status',
  stage: 'stage',
  sla: 'SLA',
  assignee: 'assignee',
  team: 'team',
  application: 'application',
  needsReview: 'needs review',
  repository: 'repository',
  cve: 'CVE',
  package: 'package',
  q: 'text',
}
