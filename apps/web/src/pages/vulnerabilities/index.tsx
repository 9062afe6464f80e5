// The queue: filters and sort in the URL, counts per level, cursor paging over one page of rows, the SLA and the
// assignee of each issue, and for those who may triage, row selection ("select all N matching") with bulk actions.
import { useEffect, useRef, useState } from 'react'
import { api, BASE, type BulkResult, type Page, qs, SEVERITIES, type Summary, type Vulnerability } from '../../api.ts'
import { useAuth, useCan } from '../../auth.tsx'
import { Empty, ErrorBox, Spinner } from '../../components/feedback.tsx'
import { Icon } from '../../components/icon.tsx'
import { useApplications, useTeams } from '../../components/owner.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { CreateTicketsButton } from '../../components/tickets.tsx'
import { VexExportLinks } from '../../components/vex-links.tsx'
import { kindDisplay, useConnectors } from '../../connectors-cache.ts'
import { fmtCount, fmtNumber } from '../../format.ts'
import { useDebounced, useLoad } from '../../hooks.ts'
import { Link, navigate, useLocation } from '../../router.tsx'
import { useAssignableUsers } from '../../workflow-data.ts'
import { BulkBar, type BulkTarget } from './bulk-bar.tsx'
import { FilterForm } from './filters.tsx'
import {
  apiFiltersOf,
  bulkFilterOf,
  chipText,
  FILTER_KEYS,
  FILTER_NAME,
  filtersFrom,
  LIMITS,
  type NamedOptions,
  SORTS,
  TEXT_KEYS,
} from './query.ts'
import { SeverityCounts } from './severity-counts.tsx'
import { type RowSelection, VulnTable } from './table.tsx'
import { WaitingBanner } from './waiting-banner.tsx'

// Cursor chains per filter signature, so Previous works without the server paging backwards.
const chains = new Map<string, (string | null)[]>()

/** Chosen rows (kept across pages of one view), or every issue the view matches. */
type Selected = { view: string; ids: Map<string, Vulnerability>; allMatching: boolean }

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

  const title = filters.assignee === 'me' ? 'Assigned to me' : 'Vulnerabilities'
  useEffect(() => {
    document.title = `${title} · vulnsync`
  }, [title])
  useEffect(() => {
    sessionStorage.setItem('vulnsync:queue', pathname + (query.toString() ? `?${query.toString()}` : ''))
  })

  const catalogue = useConnectors()
  const { user } = useAuth()
  const canTriage = useCan('member')
  const users = useAssignableUsers()
  const userList = users.data?.items ?? []
  const teams = useTeams()
  const applications = useApplications()
  const named: NamedOptions = {
    team: [
      { value: 'none', label: 'Unowned (no team)' },
      ...(teams.data?.items ?? []).map((t) => ({ value: t.id, label: t.name })),
    ],
    application: [
      { value: 'none', label: 'No application' },
      ...(applications.data?.items ?? []).map((a) => ({ value: a.id, label: a.name })),
    ],
  }

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
  const total = list.data?.total ?? null
  const totalIsEstimate = list.data?.totalIsEstimate ?? false
  const exportHref = `${BASE}/vulnerabilities/export.csv${qs({ ...apiFilters, sort: sort === 'priority' ? '' : sort })}`
  const sourceOptions = (catalogue.status === 'ready' ? catalogue.items : [])
    .filter((c) => c.role === 'scanner')
    .map((c) => ({ value: c.kind, label: c.title }))
  // a shared link may filter by a kind this server does not ship (or the catalogue did not load): keep it selectable
  if (filters.source && !sourceOptions.some((o) => o.value === filters.source))
    sourceOptions.push({ value: filters.source, label: kindDisplay(catalogue, filters.source).title })

  const items = list.data?.items ?? []
  const first = pageIndex >= 0 ? pageIndex * limit + 1 : null

  // selection: rows of this view (across its pages), or all it matches; another view starts empty
  const view = filterQs
  const [picked, setPicked] = useState<Selected>({ view, ids: new Map(), allMatching: false })
  const sel: Selected = picked.view === view ? picked : { view, ids: new Map(), allMatching: false }
  const [bulkDone, setBulkDone] = useState<{ result: BulkResult; what: string } | null>(null)
  const onPage = items.filter((v) => sel.allMatching || sel.ids.has(v.id)).length
  const selection: RowSelection | null = canTriage
    ? {
        isSelected: (v) => sel.allMatching || sel.ids.has(v.id),
        toggle: (v) => {
          const ids = new Map(sel.allMatching ? items.map((x) => [x.id, x] as const) : sel.ids)
          if (ids.has(v.id)) ids.delete(v.id)
          else ids.set(v.id, v)
          setPicked({ view, ids, allMatching: false })
        },
        page: items.length && onPage === items.length ? 'all' : onPage ? 'some' : 'none',
        togglePage: () => {
          if (sel.allMatching) return setPicked({ view, ids: new Map(), allMatching: false })
          const ids = new Map(sel.ids)
          const all = items.every((v) => ids.has(v.id))
          for (const v of items) all ? ids.delete(v.id) : ids.set(v.id, v)
          setPicked({ view, ids, allMatching: false })
        },
      }
    : null
  const selectedCount = sel.allMatching ? (total ?? 0) : sel.ids.size
  const target: BulkTarget = sel.allMatching ? { filter: bulkFilterOf(filters) } : { ids: [...sel.ids.keys()] }
  const clearSelection = () => setPicked({ view, ids: new Map(), allMatching: false })

  return (
    <>
      <PageHeader
        title={title}
        subtitle={
          filters.assignee === 'me'
            ? 'The issues assigned to you, by the filters below.'
            : "One deduplicated queue of every scanner's SCA and container vulnerabilities."
        }
        actions={
          <>
            <Link
              className={`btn ${filters.team === 'none' ? 'btn-primary' : 'btn-secondary'}`}
              to="/vulnerabilities?team=none"
              aria-current={filters.team === 'none' ? 'page' : undefined}
            >
              Unowned
            </Link>
            <CreateTicketsButton filter={bulkFilterOf(filters)} count={total ?? undefined} />
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
        totalIsEstimate={totalIsEstimate}
        field={countField}
        active={filters[countField] ? filters[countField].split(',') : []}
        onPick={(sev) => {
          // the level chips toggle: several can be combined (critical + high)
          const cur = filters[countField] ? filters[countField].split(',') : []
          const next = cur.includes(sev) ? cur.filter((x) => x !== sev) : [...cur, sev]
          update({ [countField]: SEVERITIES.filter((x) => next.includes(x)).join(',') || null })
        }}
      />
      <FilterForm
        filters={filters}
        text={text}
        setText={setText}
        sort={sort}
        update={update}
        sourceOptions={sourceOptions}
        users={userList}
        named={named}
        me={!!user.id}
      />
      {activeFilters.length ? (
        <section className="active-filters" aria-label="Active filters">
          {activeFilters.map((k) => (
            <button
              key={k}
              type="button"
              className="chip chip-removable"
              onClick={() => update({ [k]: null })}
              aria-label={`Remove filter ${FILTER_NAME[k]}: ${chipText(k, filters[k], userList, named)}`}
            >
              {FILTER_NAME[k]}: <strong>{chipText(k, filters[k], userList, named)}</strong>{' '}
              <Icon name="close" size={12} />
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
      <WaitingBanner />
      {bulkDone ? (
        <div className="alert alert-ok bulk-result" role="status">
          <Icon name="check" />
          <div>
            <strong>{bulkDone.what}:</strong> {fmtNumber(bulkDone.result.matched)} matched,{' '}
            {fmtNumber(bulkDone.result.changed)} changed.
            {bulkDone.result.changed < bulkDone.result.matched ? ' The others were that way already.' : ''}
          </div>
          <button type="button" className="btn-icon" aria-label="Dismiss" onClick={() => setBulkDone(null)}>
            <Icon name="close" />
          </button>
        </div>
      ) : null}
      {canTriage && selectedCount > 0 ? (
        <BulkBar
          count={selectedCount}
          allMatching={sel.allMatching}
          canSelectAllMatching={
            !sel.allMatching && items.length > 0 && onPage === items.length && total !== null && total > sel.ids.size
          }
          total={total}
          totalIsEstimate={totalIsEstimate}
          target={target}
          users={userList}
          onSelectAllMatching={() => setPicked({ view, ids: new Map(), allMatching: true })}
          onClear={clearSelection}
          onDone={(result, what) => {
            setBulkDone({ result, what })
            clearSelection()
            list.reload()
            summary.reload()
          }}
        />
      ) : null}
      <ErrorBox error={list.error} title="Could not load the queue" />
      <div className={`table-wrap${list.loading ? ' is-loading' : ''}`} aria-busy={list.loading}>
        <VulnTable
          items={items}
          sort={sort}
          onSort={(v) => update({ sort: v === 'priority' ? null : v })}
          selection={selection}
          caption={`${title}${total != null ? `, ${fmtCount(total, totalIsEstimate)} in total` : ''}, sorted by ${
            SORTS.find((s) => s.value === sort)?.label ?? sort
          }`}
        />
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
          {total != null ? ` of ${fmtCount(total, totalIsEstimate)}` : ''}
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
