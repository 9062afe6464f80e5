import { type ReactNode, useEffect, useRef, useState } from 'react'
import {
  api,
  BASE,
  type Page,
  qs,
  type Repository,
  SEVERITIES,
  type Severity,
  type Summary,
  type Vulnerability,
} from '../api.ts'
import { SeverityBadge, StatusBadge } from '../components/badges.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Icon } from '../components/icon.tsx'
import { SourceBadge } from '../components/kind.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { CreateTicketsButton } from '../components/tickets.tsx'
import { VexExportLinks } from '../components/vex-links.tsx'
import { kindDisplay, useConnectors } from '../connectors-cache.ts'
import { cap, fmtDate, fmtDateTime, fmtNumber } from '../format.ts'
import { useDebounced, useLoad } from '../hooks.ts'
import { Link, navigate, useLocation } from '../router.tsx'

const FILTER_KEYS = ['source', 'severity', 'priority', 'status', 'repository', 'cve', 'package', 'q'] as const
type FilterKey = (typeof FILTER_KEYS)[number]
// typed filters applied after a pause; repository is an exact match, applied on Enter, blur or a suggestion
const TEXT_KEYS: FilterKey[] = ['cve', 'package', 'q']
const SORTS: { value: string; label: string }[] = [
  { value: 'priority', label: 'Priority (highest first)' },
  { value: 'severity', label: 'Severity (highest first)' },
  { value: '-detectedAt', label: 'Detected (newest first)' },
  { value: 'detectedAt', label: 'Detected (oldest first)' },
  { value: 'cve', label: 'CVE' },
  { value: 'lastSeenAt', label: 'Last seen (newest first)' },
]
const LIMITS = [25, 50, 100]
const STATUSES = ['open', 'fixed', 'excluded']

// Cursor chains per filter signature, so Previous works without the server paging backwards.
const chains = new Map<string, (string | null)[]>()

function filtersFrom(query: URLSearchParams): Record<FilterKey, string> {
  const f = {} as Record<FilterKey, string>
  for (const k of FILTER_KEYS) f[k] = query.get(k) ?? ''
  return f
}

/** The queue shows open issues unless the URL says otherwise (status=fixed, or status=any for everything). */
function apiFiltersOf(f: Record<FilterKey, string>): Record<FilterKey, string> {
  return { ...f, status: f.status === '' ? 'open' : f.status === 'any' ? '' : f.status }
}

export function VulnerabilitiesPage() {
  const { query, pathname } = useLocation()
  const filters = filtersFrom(query)
  const apiFilters = apiFiltersOf(filters)
  const sort = query.get('sort') || 'priority'
  const limitParam = Number(query.get('limit'))
  const limit = LIMITS.includes(limitParam) ? limitParam : 50
  const cursor = query.get('cursor')
  const filterQs = qs({ ...apiFilters, sort: sort === 'priority' ? '' : sort })
  const signature = `${filterQs}|${limit}`

  useEffect(() => {
    document.title = 'Vulnerabilities · vulnsync'
  }, [])
  useEffect(() => {
    sessionStorage.setItem('vulnsync:queue', pathname + (query.toString() ? `?${query.toString()}` : ''))
  })

  const catalogue = useConnectors()

  /** Replaces some query keys; any filter change goes back to the first page. */
  const update = (patch: Record<string, string | null>, opts: { replace?: boolean } = {}) => {
    const next = new URLSearchParams(query)
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k)
      else next.set(k, v)
    }
    if (!('cursor' in patch)) next.delete('cursor')
    const s = next.toString()
    navigate(`${pathname}${s ? `?${s}` : ''}`, opts)
  }

  // text filters: typed locally, pushed into the URL after a pause
  const [text, setText] = useState<Record<string, string>>(() =>
    Object.fromEntries(TEXT_KEYS.map((k) => [k, filters[k]])),
  )
  const debounced = useDebounced(text, 350)
  const lastPushed = useRef(text)
  // URL → inputs (back/forward, chips)
  const urlText = TEXT_KEYS.map((k) => filters[k]).join('\u0000')
  // biome-ignore lint/correctness/useExhaustiveDependencies: sync only when the URL's text filters change
  useEffect(() => {
    const fromUrl = Object.fromEntries(TEXT_KEYS.map((k) => [k, filters[k]]))
    lastPushed.current = fromUrl
    setText(fromUrl)
  }, [urlText])
  // biome-ignore lint/correctness/useExhaustiveDependencies: push only when the debounced text changes
  useEffect(() => {
    const changed = TEXT_KEYS.filter((k) => (debounced[k] ?? '').trim() !== (lastPushed.current[k] ?? '').trim())
    if (!changed.length) return
    lastPushed.current = debounced
    update(Object.fromEntries(changed.map((k) => [k, (debounced[k] ?? '').trim()])), { replace: true })
  }, [debounced])

  // "/" focuses the free-text search, as in most queues
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.metaKey || e.ctrlKey || e.altKey) return
      const t = e.target as HTMLElement | null
      if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return
      if (document.querySelector('dialog[open]')) return
      e.preventDefault()
      document.getElementById('f-q')?.focus()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const listKey = `${signature}|${cursor ?? ''}`
  const list = useLoad(listKey, (signal) =>
    api<Page<Vulnerability>>('GET', `/vulnerabilities${qs({ ...apiFilters, sort, limit, cursor })}`, undefined, signal),
  )
  // facet counts: every other filter applies, but not the level being counted, so each level shows what it would add
  const countField: 'severity' | 'priority' = filters.priority && !filters.severity ? 'priority' : 'severity'
  const summaryQs = qs({ ...apiFilters, [countField]: '' })
  // the rows come first: the counts are asked for once the page of rows has arrived (an embedded database answers
  // one query at a time), and paging does not ask again
  const [countsFor, setCountsFor] = useState<string | null>(null)
  useEffect(() => {
    if (list.fresh || list.error) setCountsFor(summaryQs)
  }, [list.fresh, list.error, summaryQs])
  const summary = useLoad(countsFor === summaryQs ? `summary${summaryQs}` : null, (signal) =>
    api<Summary>('GET', `/vulnerabilities/summary${summaryQs}`, undefined, signal),
  )
  const countsStale = countsFor !== summaryQs || summary.loading

  // cursor chain bookkeeping
  const chain = chains.get(signature) ?? [null]
  if (!chains.has(signature)) chains.set(signature, chain)
  const pageIndex = chain.indexOf(cursor)
  const nextCursor = list.fresh ? (list.data?.nextCursor ?? null) : null
  if (pageIndex >= 0 && nextCursor) chain[pageIndex + 1] = nextCursor

  const goNext = () => {
    if (nextCursor) update({ cursor: nextCursor })
  }
  const goPrev = () => {
    if (pageIndex > 0) update({ cursor: chain[pageIndex - 1] ?? null })
    else update({ cursor: null })
  }

  const activeFilters = FILTER_KEYS.filter((k) => filters[k])
  const total = list.data?.total
  const exportHref = `${BASE}/vulnerabilities/export.csv${qs({ ...apiFilters, sort: sort === 'priority' ? '' : sort })}`
  const sourceOptions = (catalogue.status === 'ready' ? catalogue.items : [])
    .filter((c) => c.role === 'scanner')
    .map((c) => ({ value: c.kind, label: c.title }))
  // a shared link may filter by a kind this server does not ship (or the catalogue did not load): keep it selectable
  if (filters.source && !sourceOptions.some((o) => o.value === filters.source))
    sourceOptions.push({ value: filters.source, label: kindDisplay(catalogue, filters.source).title })

  const items = list.data?.items ?? []
  const first = pageIndex >= 0 ? pageIndex * limit + 1 : null

  return (
    <>
      <PageHeader
        title="Vulnerabilities"
        subtitle="One deduplicated queue of every scanner's SCA and container vulnerabilities."
        actions={
          <>
            <CreateTicketsButton filter={apiFilters} count={total ?? undefined} />
            <a className="btn btn-secondary" href={exportHref} download>
              <Icon name="download" />
              Export CSV
            </a>
            <VexExportLinks query={qs(apiFilters)} />
          </>
        }
      />
      <SeverityCounts
        summary={summary.data}
        stale={countsStale}
        total={list.data && !list.loading ? (list.data.total ?? null) : null}
        field={countField}
        active={filters[countField] ? filters[countField].split(',') : []}
        onPick={(sev) => {
          // the level chips toggle: several can be combined (critical + high)
          const cur = filters[countField] ? filters[countField].split(',') : []
          const next = cur.includes(sev) ? cur.filter((x) => x !== sev) : [...cur, sev]
          update({ [countField]: SEVERITIES.filter((x) => next.includes(x)).join(',') || null })
        }}
      />
      <form className="filters" aria-label="Filter vulnerabilities" onSubmit={(e) => e.preventDefault()}>
        <Select
          id="f-source"
          label="Source tool"
          value={filters.source}
          onChange={(v) => update({ source: v })}
          options={sourceOptions}
          any="All sources"
        />
        <Select
          id="f-severity"
          label="Severity"
          value={filters.severity}
          onChange={(v) => update({ severity: v })}
          options={levelOptions(filters.severity)}
          any="Any severity"
        />
        <Select
          id="f-priority"
          label="Priority"
          value={filters.priority}
          onChange={(v) => update({ priority: v })}
          options={levelOptions(filters.priority)}
          any="Any priority"
        />
        <Select
          id="f-status"
          label="Status"
          value={filters.status || 'open'}
          onChange={(v) => update({ status: v === 'open' ? null : v })}
          options={[...STATUSES.map((s) => ({ value: s, label: cap(s) })), { value: 'any', label: 'Any status' }]}
        />
        <RepositoryFilter value={filters.repository} onCommit={(v) => update({ repository: v || null })} />
        <TextFilter
          id="f-cve"
          label="CVE"
          value={text.cve ?? ''}
          onChange={(v) => setText((t) => ({ ...t, cve: v }))}
          placeholder="CVE-2024-…"
        />
        <TextFilter
          id="f-package"
          label="Package"
          value={text.package ?? ''}
          onChange={(v) => setText((t) => ({ ...t, package: v }))}
          placeholder="lodash"
        />
        <TextFilter
          id="f-q"
          label="Search"
          value={text.q ?? ''}
          onChange={(v) => setText((t) => ({ ...t, q: v }))}
          placeholder="Anything (press /)"
          wide
        />
        <Select
          id="f-sort"
          label="Sort by"
          value={sort}
          onChange={(v) => update({ sort: v === 'priority' ? null : v })}
          options={SORTS}
        />
      </form>
      {activeFilters.length ? (
        <section className="active-filters" aria-label="Active filters">
          {activeFilters.map((k) => (
            <button
              key={k}
              type="button"
              className="chip chip-removable"
              onClick={() => update({ [k]: null })}
              aria-label={`Remove filter ${k}: ${filters[k]}`}
            >
              {k === 'q' ? 'text' : k}: <strong>{filters[k]}</strong> <Icon name="close" size={12} />
            </button>
          ))}
          <button
            type="button"
            className="btn btn-link btn-sm"
            onClick={() => update(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}
          >
            Clear all
          </button>
        </section>
      ) : null}
      <ErrorBox error={list.error} title="Could not load the queue" />
      <div className={`table-wrap${list.loading ? ' is-loading' : ''}`} aria-busy={list.loading}>
        <table className="table vuln-table">
          <caption className="visually-hidden">
            Vulnerabilities{total != null ? `, ${fmtNumber(total)} in total` : ''}, sorted by{' '}
            {SORTS.find((s) => s.value === sort)?.label ?? sort}
          </caption>
          <thead>
            <tr>
              <SortTh label="CVE" sort={sort} asc="cve" onSort={(v) => update({ sort: v })} />
              <th scope="col">Package</th>
              <th scope="col">Repository / image</th>
              <SortTh
                label="Severity → priority"
                sort={sort}
                desc="priority"
                alt="severity"
                onSort={(v) => update({ sort: v === 'priority' ? null : v })}
              />
              <th scope="col">Status</th>
              <th scope="col">Sources</th>
              <SortTh
                label="Detected"
                sort={sort}
                desc="-detectedAt"
                asc="detectedAt"
                onSort={(v) => update({ sort: v })}
              />
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <VulnRow key={v.id} v={v} />
            ))}
          </tbody>
        </table>
        {!list.loading && list.data && items.length === 0 ? (
          <Empty title={activeFilters.length ? 'No vulnerabilities match these filters.' : 'No open vulnerabilities.'}>
            {activeFilters.length ? (
              'Remove a filter to see more.'
            ) : (
              <>
                <Link to="/integrations">Connect a scanner</Link> to import its findings.
              </>
            )}
          </Empty>
        ) : null}
        {list.loading && !list.data ? (
          <div className="table-loading">
            <Spinner label="Loading vulnerabilities" />
          </div>
        ) : null}
      </div>
      <nav className="pager" aria-label="Pages">
        <span className="muted" aria-live="polite">
          {items.length && first
            ? `${fmtNumber(first)}–${fmtNumber(first + items.length - 1)}`
            : items.length
              ? `${items.length} shown`
              : ''}
          {total != null ? ` of ${fmtNumber(total)}` : ''}
        </span>
        <label className="pager-size">
          Rows
          <select value={limit} onChange={(e) => update({ limit: e.target.value === '50' ? null : e.target.value })}>
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-secondary btn-sm" onClick={goPrev} disabled={!cursor}>
          {pageIndex < 0 && cursor ? 'First page' : 'Previous'}
        </button>
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          onClick={goNext}
          disabled={!nextCursor || list.loading}
        >
          Next
        </button>
      </nav>
    </>
  )
}

function VulnRow({ v }: { v: Vulnerability }) {
  const href = `/vulnerabilities/${encodeURIComponent(v.id)}`
  const version = v.versions?.length ? v.versions.join(', ') : null
  return (
    <tr
      className="row-link"
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a,button')) return
        if (window.getSelection()?.toString()) return
        navigate(href)
      }}
    >
      <td className="cell-cve">
        <Link to={href}>{v.cve}</Link>
      </td>
      <td className="cell-pkg" title={v.package.purl}>
        <span className="mono">{v.package.name}</span>
        {version ? <span className="mono muted">@{version}</span> : null}
        <div className="muted small">{v.package.ecosystem}</div>
      </td>
      <td className="cell-target">
        <span className="truncate" title={v.target.name}>
          {v.target.name}
        </span>
        <div className="muted small">{v.repositoryId ? v.target.kind : `${v.target.kind} · unmatched`}</div>
      </td>
      <td className="cell-sev">
        <SeverityBadge severity={v.severity} prefix="Severity" />
        {v.priority !== v.severity ? (
          <>
            <span className="arrow" aria-hidden="true">
              →
            </span>
            <SeverityBadge severity={v.priority} prefix="priority" />
          </>
        ) : (
          <span className="visually-hidden">, priority {v.priority}</span>
        )}
      </td>
      <td>
        <StatusBadge status={v.status} />
      </td>
      <td className="cell-sources">
        {v.sources.map((s) => (
          <SourceBadge key={s.connectionId} kind={s.kind} label={s.connectionName} absent={s.present === false} />
        ))}
      </td>
      <td className="cell-date" title={fmtDateTime(v.detectedAt)}>
        {fmtDate(v.detectedAt)}
      </td>
    </tr>
  )
}

function SortTh({
  label,
  sort,
  asc,
  desc,
  alt,
  onSort,
}: {
  label: string
  sort: string
  asc?: string
  desc?: string
  alt?: string
  onSort: (v: string) => void
}) {
  const isAsc = asc !== undefined && sort === asc
  const isDesc = (desc !== undefined && sort === desc) || (alt !== undefined && sort === alt)
  const ariaSort = isAsc ? 'ascending' : isDesc ? 'descending' : 'none'
  const next = () => {
    if (alt && desc) return sort === desc ? alt : desc
    if (asc && desc) return sort === desc ? asc : desc
    return (asc ?? desc) as string
  }
  const extra = alt && sort === alt ? ' by severity' : ''
  return (
    <th scope="col" aria-sort={ariaSort}>
      <button type="button" className="th-sort" onClick={() => onSort(next())}>
        {label}
        {extra ? <span className="muted small">{extra}</span> : null}
        {isAsc ? (
          <Icon name="arrowUp" size={12} />
        ) : isDesc ? (
          <Icon name="arrowDown" size={12} />
        ) : (
          <span className="sort-placeholder" aria-hidden="true" />
        )}
      </button>
    </th>
  )
}

/** single levels, plus the current combination when several are chosen (from the count chips) */
function levelOptions(current: string): { value: string; label: string }[] {
  const opts: { value: string; label: string }[] = SEVERITIES.map((s) => ({ value: s, label: cap(s) }))
  if (current.includes(',')) opts.unshift({ value: current, label: current.split(',').map(cap).join(' + ') })
  return opts
}

function SeverityCounts({
  summary,
  stale,
  total,
  field,
  active,
  onPick,
}: {
  summary: Summary | undefined
  stale: boolean
  total: number | null
  field: 'severity' | 'priority'
  active: string[]
  onPick: (s: Severity) => void
}) {
  const counts = field === 'priority' ? summary?.byPriority : summary?.bySeverity
  return (
    <section className={`sev-counts${stale ? ' is-stale' : ''}`} aria-label={`Counts by ${field}`} aria-busy={stale}>
      <div className="sev-count sev-count-total">
        <span className="sev-count-n">{total != null ? fmtNumber(total) : '…'}</span>
        <span className="sev-count-label">{active.length ? 'shown' : 'total'}</span>
      </div>
      {SEVERITIES.map((s) => (
        <button
          key={s}
          type="button"
          className={`sev-count sev-count-${s}${active.includes(s) ? ' active' : ''}`}
          aria-pressed={active.includes(s)}
          onClick={() => onPick(s)}
          title={active.includes(s) ? `Stop filtering on ${s} (${field})` : `Add ${s} to the ${field} filter`}
          aria-label={`${cap(s)} ${field}: ${counts ? fmtNumber(counts[s] ?? 0) : 'loading'}`}
        >
          <span className="sev-count-n">{counts ? fmtNumber(counts[s] ?? 0) : '…'}</span>
          <span className="sev-count-label">{s}</span>
        </button>
      ))}
    </section>
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
  any?: string
}) {
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {any !== undefined ? <option value="">{any}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  )
}

function TextFilter({
  id,
  label,
  value,
  onChange,
  placeholder,
  wide,
}: {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  placeholder?: string
  wide?: boolean
}): ReactNode {
  return (
    <div className={`filter${wide ? ' filter-wide' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
    </div>
  )
}

function RepositoryFilter({ value, onCommit }: { value: string; onCommit: (v: string) => void }) {
  const [text, setText] = useState(value)
  useEffect(() => setText(value), [value])
  const dq = useDebounced(text.trim(), 250)
  const suggestions = useLoad(dq.length >= 2 && dq !== value ? `repo-suggest|${dq}` : null, (signal) =>
    api<Page<Repository>>('GET', `/repositories${qs({ q: dq, limit: 8 })}`, undefined, signal),
  )
  const names = (suggestions.data?.items ?? []).map((r) => r.fullName)
  const commit = (v: string) => {
    if (v.trim() !== value) onCommit(v.trim())
  }
  return (
    <div className="filter">
      <label htmlFor="f-repository">Repository or image</label>
      <input
        id="f-repository"
        type="search"
        list="f-repository-options"
        value={text}
        placeholder="owner/name, exact"
        spellCheck={false}
        autoComplete="off"
        aria-describedby="f-repository-help"
        onChange={(e) => {
          setText(e.target.value)
          // picking a suggestion (or clearing the field) applies at once
          if (e.target.value === '' || names.includes(e.target.value)) commit(e.target.value)
        }}
        onBlur={() => commit(text)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit(text)
        }}
      />
      <span id="f-repository-help" className="visually-hidden">
        Exact repository or image name; press Enter to apply.
      </span>
      <datalist id="f-repository-options">
        {names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
    </div>
  )
}
