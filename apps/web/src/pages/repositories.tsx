import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react'
import { api, type Page, qs, type Repository, type UnmatchedTarget } from '../api.ts'
import { useCan } from '../auth.tsx'
import { StatusBadge } from '../components/badges.tsx'
import { Dialog } from '../components/dialog.tsx'
import { Empty, ErrorBox, Spinner } from '../components/feedback.tsx'
import { Icon } from '../components/icon.tsx'
import { SourceBadge } from '../components/kind.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { RepositoryOwnershipDialog } from '../components/repository-ownership.tsx'
import { useToast } from '../components/toast.tsx'
import { useConnectors, useKindTitle } from '../connectors-cache.ts'
import { fmtDate, fmtNumber } from '../format.ts'
import { useAction, useDebounced, useLoad } from '../hooks.ts'
import { Link } from '../router.tsx'

export function RepositoriesPage({ tab }: { tab: 'inventory' | 'unmatched' }) {
  useEffect(() => {
    document.title = `${tab === 'unmatched' ? 'Unmatched targets' : 'Repositories'} · vulnsync`
  }, [tab])
  return (
    <>
      <PageHeader
        title="Repositories"
        subtitle="The inventory your source control connections discover, and the scanner targets that match none of it yet."
      />
      <nav className="tabs" aria-label="Repository views">
        <Link
          to="/repositories"
          className={tab === 'inventory' ? 'tab active' : 'tab'}
          aria-current={tab === 'inventory' ? 'page' : undefined}
        >
          Inventory
        </Link>
        <Link
          to="/repositories/unmatched"
          className={tab === 'unmatched' ? 'tab active' : 'tab'}
          aria-current={tab === 'unmatched' ? 'page' : undefined}
        >
          Unmatched
        </Link>
      </nav>
      {tab === 'inventory' ? <Inventory /> : <Unmatched />}
    </>
  )
}

function Inventory() {
  const catalogue = useConnectors()
  const scmTitles =
    (catalogue.status === 'ready' ? catalogue.items : [])
      .filter((c) => c.role === 'scm')
      .map((c) => c.title)
      .join(' or ') || 'source control'
  const [q, setQ] = useState('')
  const dq = useDebounced(q.trim(), 300)
  const [ownershipOf, setOwnershipOf] = useState<Repository | null>(null)
  const canEditOwnership = useCan('member')
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const cursor = cursors[cursors.length - 1] ?? null
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset paging on a new search
  useEffect(() => setCursors([null]), [dq])
  const list = useLoad(`repos|${dq}|${cursor ?? ''}`, (s) =>
    api<Page<Repository>>('GET', `/repositories${qs({ q: dq, limit: 50, cursor })}`, undefined, s),
  )
  const items = list.data?.items ?? []
  return (
    <>
      <div className="toolbar">
        <div className="search-input">
          <Icon name="search" />
          <label htmlFor="repo-search" className="visually-hidden">
            Search repositories
          </label>
          <input
            id="repo-search"
            type="search"
            placeholder="Search repositories"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <span className="muted">{list.data?.total != null ? `${fmtNumber(list.data.total)} repositories` : ''}</span>
      </div>
      <ErrorBox error={list.error} />
      <div className={`table-wrap${list.loading ? ' is-loading' : ''}`} aria-busy={list.loading}>
        <table className="table">
          <caption className="visually-hidden">Repository inventory</caption>
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Provider</th>
              <th scope="col">Default branch</th>
              <th scope="col">Visibility</th>
              <th scope="col">State</th>
              <th scope="col">Open vulnerabilities</th>
              <th scope="col">Ownership</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={r.webUrl} target="_blank" rel="noreferrer noopener">
                    {r.fullName} <Icon name="external" size={12} />
                  </a>
                </td>
                <td>
                  <SourceBadge kind={r.provider} />
                </td>
                <td className="mono">{r.defaultBranch ?? '–'}</td>
                <td>{r.visibility ?? '–'}</td>
                <td>
                  {r.removedAt ? (
                    <StatusBadge status="cancelled" label={`Removed ${fmtDate(r.removedAt)}`} />
                  ) : r.archived ? (
                    <StatusBadge status="held" label="Archived" />
                  ) : (
                    <StatusBadge status="active" label="Active" />
                  )}
                </td>
                <td>
                  <Link
                    to={`/vulnerabilities${qs({ repository: r.id, status: 'open' })}`}
                    aria-label={`Open vulnerabilities of ${r.fullName}`}
                  >
                    {r.openIssues != null ? `${fmtNumber(r.openIssues)} open` : 'View'}
                  </Link>
                  {r.openIssues ? (
                    <>
                      {' · '}
                      <Link
                        to={`/repositories/${encodeURIComponent(r.id)}/fixes`}
                        aria-label={`Fix plans of ${r.fullName}`}
                      >
                        Fix plans
                      </Link>
                    </>
                  ) : null}
                </td>
                <td>
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => setOwnershipOf(r)}>
                    Ownership<span className="visually-hidden"> of {r.fullName}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 ? (
          <Empty title={dq ? 'No repository matches.' : 'No repositories yet.'}>
            {dq ? null : (
              <>
                <Link to="/integrations">Connect {scmTitles}</Link> to build the inventory.
              </>
            )}
          </Empty>
        ) : null}
        {list.loading && !list.data ? <Spinner /> : null}
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={cursors.length < 2}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous
        </button>
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={!list.data?.nextCursor || list.loading}
          onClick={() => {
            const n = list.data?.nextCursor
            if (n) setCursors((c) => [...c, n])
          }}
        >
          Next
        </button>
      </nav>
      {ownershipOf ? (
        <RepositoryOwnershipDialog
          repositoryId={ownershipOf.id}
          name={ownershipOf.fullName}
          canEdit={canEditOwnership}
          onClose={() => setOwnershipOf(null)}
        />
      ) : null}
    </>
  )
}

function Unmatched() {
  const kindTitle = useKindTitle()
  const [q, setQ] = useState('')
  const dq = useDebounced(q.trim(), 300)
  const list = useLoad(`unmatched|${dq}`, (s) =>
    api<{ items: UnmatchedTarget[] }>('GET', `/unmatched${qs({ q: dq })}`, undefined, s),
  )
  const canMap = useCan('member')
  const [mapping, setMapping] = useState<UnmatchedTarget | null>(null)
  const toast = useToast()
  const items = list.data?.items ?? []
  return (
    <>
      <p className="muted">
        Scanner targets whose repository URL matches no repository in the inventory. Their findings are kept and join
        the queue as soon as the target is mapped, or a source control connection discovers the repository.
      </p>
      <div className="toolbar">
        <div className="search-input">
          <Icon name="search" />
          <label htmlFor="unmatched-search" className="visually-hidden">
            Search unmatched targets
          </label>
          <input
            id="unmatched-search"
            type="search"
            placeholder="Search targets"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <span className="muted">
          {list.data ? `${fmtNumber(items.length)} target${items.length === 1 ? '' : 's'} waiting` : ''}
        </span>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? <Spinner /> : null}
      {list.data && items.length === 0 ? (
        <Empty title={dq ? 'No unmatched target matches.' : 'Every scanner target matches a repository.'} />
      ) : null}
      {items.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Unmatched scanner targets</caption>
            <thead>
              <tr>
                <th scope="col">Target as the scanner gives it</th>
                <th scope="col">Scanner</th>
                <th scope="col">Kind</th>
                <th scope="col">Findings waiting</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.key} data-unmatched-key={u.key}>
                  <td className="mono break">
                    {/^https?:\/\//.test(u.display) ? (
                      <a href={u.display} target="_blank" rel="noreferrer noopener">
                        {u.display}
                      </a>
                    ) : (
                      u.display
                    )}
                  </td>
                  <td>
                    <SourceBadge kind={u.kind} label={u.connectionName} />
                    {u.connectionName !== kindTitle(u.kind) ? (
                      <span className="muted small">{u.connectionName}</span>
                    ) : null}
                  </td>
                  <td>{u.targetKind}</td>
                  <td>
                    {fmtNumber(u.findings)}
                    {u.cves != null ? <span className="muted small"> ({fmtNumber(u.cves)} CVEs)</span> : null}
                  </td>
                  <td className="cell-actions">
                    {canMap ? (
                      <button
                        type="button"
                        className="btn btn-secondary btn-sm"
                        onClick={() => setMapping(u)}
                        aria-label={`Map ${u.display} to a repository`}
                      >
                        Map to repository
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {mapping ? (
        <MapDialog
          target={mapping}
          onClose={() => setMapping(null)}
          onDone={(repo, joined) => {
            toast(
              `${mapping.display} mapped to ${repo.fullName}: ${fmtNumber(joined ?? mapping.findings)} findings joined the queue`,
              'ok',
            )
            setMapping(null)
            list.reload()
          }}
        />
      ) : null}
    </>
  )
}

function MapDialog({
  target,
  onClose,
  onDone,
}: {
  target: UnmatchedTarget
  onClose: () => void
  onDone: (r: Repository, joined: number | undefined) => void
}) {
  const [picked, setPicked] = useState<Repository | null>(null)
  const { busy, error, run } = useAction(async () => {
    if (!picked) return
    const r = await api<{ joined?: number | { issues?: number; occurrences?: number } }>(
      'PUT',
      `/unmatched/${encodeURIComponent(target.key)}/mapping`,
      { repositoryId: picked.id },
    )
    const j = r?.joined
    onDone(picked, typeof j === 'number' ? j : (j?.occurrences ?? undefined))
  })
  const save = () => void run()
  return (
    <Dialog
      title="Map to a repository"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={!picked || busy} onClick={save}>
            {busy ? 'Mapping…' : picked ? `Map to ${picked.fullName}` : 'Map'}
          </button>
        </>
      }
    >
      <p>
        <span className="muted">{target.connectionName} reports</span>{' '}
        <span className="mono break">{target.display}</span>{' '}
        <span className="muted">with {fmtNumber(target.findings)} findings waiting.</span>
      </p>
      <RepoPicker value={picked} onChange={setPicked} />
      <ErrorBox error={error} title="Not mapped" />
    </Dialog>
  )
}

/** A searchable combobox over GET /repositories?q= (server-side search; never loads the whole inventory). */
export function RepoPicker({ value, onChange }: { value: Repository | null; onChange: (r: Repository) => void }) {
  const [q, setQ] = useState('')
  const dq = useDebounced(q.trim(), 200)
  const [open, setOpen] = useState(true)
  const [active, setActive] = useState(-1)
  const listId = useId()
  const inputId = useId()
  const list = useLoad(`pick|${dq}`, (s) =>
    api<Page<Repository>>('GET', `/repositories${qs({ q: dq, limit: 20 })}`, undefined, s),
  )
  const items = (list.data?.items ?? []).filter((r) => !r.removedAt)
  const listRef = useRef<HTMLDivElement>(null)
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset highlight on new results
  useEffect(() => setActive(-1), [dq, list.data])
  const choose = (r: Repository) => {
    onChange(r)
    setQ(r.fullName)
    setOpen(false)
  }
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault()
      setOpen(true)
      setActive((a) => Math.min(a + 1, items.length - 1))
    } else if (e.key === 'ArrowUp') {
      e.preventDefault()
      setActive((a) => Math.max(a - 1, 0))
    } else if (e.key === 'Enter') {
      e.preventDefault()
      const r = items[Math.max(active, 0)]
      if (open && r) choose(r)
    } else if (e.key === 'Escape' && open) {
      e.stopPropagation()
      e.preventDefault()
      setOpen(false)
    }
  }
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when the highlighted option changes
  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [active])
  const activeId = items[active] ? `${listId}-${items[active].id}` : undefined
  return (
    <div className="combo">
      <label htmlFor={inputId}>Repository</label>
      <div className="search-input">
        <Icon name="search" />
        <input
          id={inputId}
          role="combobox"
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open ? activeId : undefined}
          autoComplete="off"
          placeholder="Search by name, e.g. acme/api"
          value={q}
          onChange={(e) => {
            setQ(e.target.value)
            setOpen(true)
          }}
          onFocus={() => setOpen(true)}
          onKeyDown={onKey}
        />
      </div>
      {value ? (
        <p className="small">
          Selected: <strong>{value.fullName}</strong> <span className="muted">({value.provider})</span>
        </p>
      ) : null}
      {open ? (
        <div id={listId} role="listbox" aria-label="Repositories" className="combo-list" ref={listRef}>
          {items.map((r, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard handled on the combobox input
            <div
              key={r.id}
              id={`${listId}-${r.id}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              className={`combo-option${i === active ? ' active' : ''}${value?.id === r.id ? ' chosen' : ''}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(r)}
            >
              <span>{r.fullName}</span>
              <span className="muted small">
                {r.provider}
                {r.archived ? ' · archived' : ''}
              </span>
            </div>
          ))}
          {list.data && items.length === 0 ? (
            <div className="combo-empty muted">No repository matches “{dq}”.</div>
          ) : null}
          {list.loading && !list.data ? <div className="combo-empty muted">Searching…</div> : null}
        </div>
      ) : null}
      <ErrorBox error={list.error} />
    </div>
  )
}
