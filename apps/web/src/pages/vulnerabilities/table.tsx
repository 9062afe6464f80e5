// The queue's table: a row per issue (CVE, package, target, severity → priority, status and stage, SLA, assignee,
// sources, detection date), sortable headers, and a selection column for those who may triage.
import { useEffect, useRef } from 'react'
import type { Vulnerability } from '../../api.ts'
import { SeverityBadge } from '../../components/badges.tsx'
import { FeedChips } from '../../components/feed-chips.tsx'
import { Icon } from '../../components/icon.tsx'
import { SourceBadge } from '../../components/kind.tsx'
import { OwnerCell } from '../../components/owner.tsx'
import { IssueStatusBadge, SlaBadge, StageBadge } from '../../components/workflow-badges.tsx'
import { fmtDate, fmtDateTime } from '../../format.ts'
import { Link, navigate } from '../../router.tsx'

export interface RowSelection {
  /** null: rows cannot be selected (a viewer) */
  isSelected: (v: Vulnerability) => boolean
  toggle: (v: Vulnerability) => void
  /** every row of the page: all, some or none selected */
  page: 'all' | 'some' | 'none'
  togglePage: () => void
}

export function VulnTable({
  items,
  sort,
  onSort,
  selection,
  caption,
}: {
  items: Vulnerability[]
  sort: string
  onSort: (v: string) => void
  selection: RowSelection | null
  caption: string
}) {
  return (
    <table className={`table vuln-table${selection ? ' with-select' : ''}`}>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {selection ? (
            <th scope="col" className="col-select">
              <PageCheckbox selection={selection} />
            </th>
          ) : null}
          <SortTh className="col-cve" label="CVE" sort={sort} asc="cve" onSort={onSort} />
          <th scope="col" className="col-pkg">
            Package
          </th>
          <th scope="col" className="col-target">
            Repository / image
          </th>
          <SortTh
            className="col-sev"
            label="Severity → priority"
            sort={sort}
            desc="priority"
            alt="severity"
            onSort={(v) => onSort(v)}
          />
          <th scope="col" className="col-status">
            Status
          </th>
          <SortTh className="col-sla" label="SLA" sort={sort} asc="dueAt" onSort={onSort} />
          <th scope="col" className="col-assignee">
            Assignee
          </th>
          <th scope="col" className="col-owner">
            Owner
          </th>
          <th scope="col" className="col-sources">
            Sources
          </th>
          <SortTh
            className="col-date"
            label="Detected"
            sort={sort}
            desc="-detectedAt"
            asc="detectedAt"
            onSort={onSort}
          />
        </tr>
      </thead>
      <tbody>
        {items.map((v) => (
          <VulnRow key={v.id} v={v} selection={selection} />
        ))}
      </tbody>
    </table>
  )
}

function PageCheckbox({ selection }: { selection: RowSelection }) {
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = selection.page === 'some'
  }, [selection.page])
  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label="Select every row on this page"
      checked={selection.page === 'all'}
      onChange={selection.togglePage}
    />
  )
}

function VulnRow({ v, selection }: { v: Vulnerability; selection: RowSelection | null }) {
  const href = `/vulnerabilities/${encodeURIComponent(v.id)}`
  const version = v.versions?.length ? v.versions.join(', ') : null
  const selected = selection?.isSelected(v) ?? false
  return (
    <tr
      className={`row-link${selected ? ' row-selected' : ''}`}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a,button,input,label,.cell-select')) return
        if (window.getSelection()?.toString()) return
        navigate(href)
      }}
    >
      {selection ? (
        <td className="cell-select">
          <input
            type="checkbox"
            checked={selected}
            onChange={() => selection.toggle(v)}
            aria-label={`Select ${v.cve} in ${v.target.name}`}
          />
        </td>
      ) : null}
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
        <FeedChips v={v} />
      </td>
      <td>
        <div className="cell-status">
          <IssueStatusBadge status={v.status} />
          {v.status === 'open' ? <StageBadge stage={v.stage} /> : null}
          {v.decision?.needsReview ? <span className="review-flag">Needs review</span> : null}
        </div>
      </td>
      <td className="cell-sla">
        <SlaBadge sla={v.sla} open={v.status === 'open'} compact />
      </td>
      <td className="cell-assignee">
        {v.assignee ? (
          <span className="truncate" title={v.assignee.username}>
            {v.assignee.username}
          </span>
        ) : (
          <span className="muted small">Unassigned</span>
        )}
      </td>
      <td className="cell-owner">
        <OwnerCell owner={v.owner} />
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
  className,
  label,
  sort,
  asc,
  desc,
  alt,
  onSort,
}: {
  className: string
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
    <th scope="col" className={className} aria-sort={ariaSort}>
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
