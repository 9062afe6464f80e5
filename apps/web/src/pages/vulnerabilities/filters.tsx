// The queue's filter form: source, levels, KEV, EPSS, status (decisions too), stage, SLA, assignee, team, application,
// needs review, repository,
// CVE, package, free text and sort. Every value lives in the URL (see query.ts).
import { type ReactNode, useEffect, useState } from 'react'
import { type AssignableUser, api, type Page, qs, type Repository, SEVERITIES } from '../../api.ts'
import { cap } from '../../format.ts'
import { useDebounced, useLoad } from '../../hooks.ts'
import { SLA_STATE_LABEL, STAGE_LABEL, STAGES } from '../../workflow.ts'
import { EPSS_FLOORS, type Filters, type NamedOptions, SORTS, STATUS_OPTIONS } from './query.ts'

export function FilterForm({
  filters,
  text,
  setText,
  sort,
  update,
  sourceOptions,
  users,
  me,
  named,
}: {
  filters: Filters
  /** the typed text filters (applied to the URL after a pause) */
  text: Record<string, string>
  setText: (f: (t: Record<string, string>) => Record<string, string>) => void
  sort: string
  update: (patch: Record<string, string | null>) => void
  sourceOptions: { value: string; label: string }[]
  users: AssignableUser[]
  /** the signed-in user has an id (an API token of no user has no "me") */
  me: boolean
  /** the team and application options (value: id) */
  named: NamedOptions
}) {
  const assigneeOptions = [
    ...(me ? [{ value: 'me', label: 'Me' }] : []),
    { value: 'none', label: 'Unassigned' },
    ...users.map((u) => ({ value: u.id, label: u.username })),
  ]
  // a shared link may name a user this list does not have (removed since): keep it selectable
  if (filters.assignee && !assigneeOptions.some((o) => o.value === filters.assignee))
    assigneeOptions.push({ value: filters.assignee, label: filters.assignee })
  const statusOptions = [...STATUS_OPTIONS]
  if (filters.status && !statusOptions.some((o) => o.value === filters.status))
    statusOptions.unshift({ value: filters.status, label: filters.status })
  return (
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
        id="f-kev"
        label="CISA KEV"
        value={filters.kev}
        onChange={(v) => update({ kev: v })}
        options={[
          { value: 'true', label: 'Listed (known exploited)' },
          { value: 'false', label: 'Not listed' },
        ]}
        any="Listed or not"
      />
      <Select
        id="f-epss"
        label="EPSS"
        value={filters.epssMin}
        onChange={(v) => update({ epssMin: v })}
        options={[...new Set([...EPSS_FLOORS, ...(filters.epssMin ? [filters.epssMin] : [])])].map((v) => ({
          value: v,
          label: `at least ${v}`,
        }))}
        any="Any EPSS"
      />
      <Select
        id="f-status"
        label="Status"
        value={filters.status || 'open'}
        onChange={(v) => update({ status: v === 'open' ? null : v })}
        options={statusOptions}
      />
      <Select
        id="f-stage"
        label="Stage"
        value={filters.stage}
        onChange={(v) => update({ stage: v })}
        options={STAGES.map((s) => ({ value: s, label: STAGE_LABEL[s] }))}
        any="Any stage"
      />
      <Select
        id="f-sla"
        label="SLA"
        value={filters.sla}
        onChange={(v) => update({ sla: v })}
        options={(['breached', 'due_soon', 'ok'] as const).map((s) => ({ value: s, label: SLA_STATE_LABEL[s] }))}
        any="Any SLA state"
      />
      <Select
        id="f-assignee"
        label="Assignee"
        value={filters.assignee}
        onChange={(v) => update({ assignee: v })}
        options={assigneeOptions}
        any="Anyone"
      />
      <Select
        id="f-team"
        label="Team"
        value={filters.team}
        onChange={(v) => update({ team: v || null })}
        options={named.team ?? []}
        any="Any team"
      />
      <Select
        id="f-application"
        label="Application"
        value={filters.application}
        onChange={(v) => update({ application: v || null })}
        options={named.application ?? []}
        any="Any application"
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
      <div className="filter filter-check">
        <label htmlFor="f-needs-review">
          <input
            id="f-needs-review"
            type="checkbox"
            checked={filters.needsReview === 'true'}
            onChange={(e) => update({ needsReview: e.target.checked ? 'true' : null })}
          />
          Decision needs review
        </label>
      </div>
    </form>
  )
}

/** single levels, plus the current combination when several are chosen (from the count chips) */
function levelOptions(current: string): { value: string; label: string }[] {
  const opts: { value: string; label: string }[] = SEVERITIES.map((s) => ({ value: s, label: cap(s) }))
  if (current.includes(',')) opts.unshift({ value: current, label: current.split(',').map(cap).join(' + ') })
  return opts
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
