// Fix plans, their file changes and fix pull requests: shared by the vulnerability's Fix panel, a repository's fix
// plans and the list of fix pull requests.
import { useState } from 'react'
import { api, type FixPlan, type FixPrOpened, type FixPrResult, type FixPullRequest } from '../api.ts'
import { useCan } from '../auth.tsx'
import { fmtDateTime } from '../format.ts'
import { StatusBadge } from './badges.tsx'
import { ErrorBox } from './feedback.tsx'
import { Icon } from './icon.tsx'

const STRATEGY: Record<FixPlan['strategy'], string> = {
  direct: 'bumped where it is declared',
  override: 'pinned through the ecosystem’s override (a transitive dependency)',
  manual: 'no faithful edit: a developer runs the command below',
}

const PR_STATE: Record<string, { status: string; label: string }> = {
  open: { status: 'running', label: 'Open' },
  merged: { status: 'fixed', label: 'Merged' },
  closed: { status: 'cancelled', label: 'Closed' },
  planned: { status: 'queued', label: 'Not opened (dry run)' },
}

export function PullRequestState({ state }: { state: string }) {
  const s = PR_STATE[state] ?? { status: state, label: state }
  return <StatusBadge status={s.status} label={s.label} />
}

/** One plan: the version move, how it is applied, what it fixes, what remains and why. */
export function PlanSummary({ plan }: { plan: FixPlan }) {
  return (
    <div className="fix-plan" data-package={plan.package.name}>
      <p className="fix-move">
        <span className="mono">{plan.package.name}</span>{' '}
        <span className="mono">{plan.installedVersion ?? 'unknown version'}</span>
        <span aria-hidden="true"> → </span>
        <span className="visually-hidden"> to </span>
        {plan.fixVersion ? (
          <strong className="mono">{plan.fixVersion}</strong>
        ) : (
          <strong>no version fixes it yet</strong>
        )}
        {plan.manifest ? <span className="muted small"> in {plan.manifest.path}</span> : null}
      </p>
      {plan.majorBump ? (
        <p className="alert-inline">
          <Icon name="alert" /> Only a new major version fixes it: check the package’s breaking changes.
        </p>
      ) : null}
      <dl className="kv">
        <dt>How</dt>
        <dd>{STRATEGY[plan.strategy]}</dd>
        {plan.fixes.length ? (
          <>
            <dt>Fixes</dt>
            <dd className="mono small">{plan.fixes.join(', ')}</dd>
          </>
        ) : null}
        {plan.remaining.length ? (
          <>
            <dt>Remains</dt>
            <dd>
              <ul className="ev-list">
                {plan.remaining.map((r) => (
                  <li key={r.cve}>
                    <span className="mono">{r.cve}</span>: {r.reason}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        <dt>Versions</dt>
        <dd className="small">
          {plan.versionSource === 'registry'
            ? 'every released version of the package registry was considered'
            : 'the package registry could not be read: only the scanners’ fixed versions were considered'}
        </dd>
      </dl>
      {plan.command ? (
        <p>
          Run: <code className="mono">{plan.command}</code>
        </p>
      ) : null}
      <p className="explanation">{plan.explanation}</p>
    </div>
  )
}

/** A unified diff, lines coloured by what they do (and said in words for screen readers through +/-). */
export function DiffView({ path, diff }: { path: string; diff: string }) {
  return (
    <figure className="diff-file" aria-label={`Changes to ${path}`}>
      <figcaption className="mono small">{path}</figcaption>
      <pre className="diff" data-path={path}>
        {diff.split('\n').map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the lines of one diff never reorder
          <span key={i} className={lineClass(line)}>
            {line}
            {'\n'}
          </span>
        ))}
      </pre>
    </figure>
  )
}

const lineClass = (l: string) =>
  l.startsWith('+++') || l.startsWith('---')
    ? 'diff-meta'
    : l.startsWith('@@')
      ? 'diff-hunk'
      : l.startsWith('+')
        ? 'diff-add'
        : l.startsWith('-')
          ? 'diff-del'
          : undefined

/** The patch of some pull requests, as `git apply` takes it. */
export const patchOf = (prs: FixPrOpened[]) =>
  prs
    .flatMap((p) => p.changes.map((c) => c.diff))
    .map((d) => (d.endsWith('\n') ? d : `${d}\n`))
    .join('')

export function DownloadPatch({ prs, name }: { prs: FixPrOpened[]; name: string }) {
  const download = () => {
    const url = URL.createObjectURL(new Blob([patchOf(prs)], { type: 'text/x-diff' }))
    const a = document.createElement('a')
    a.href = url
    a.download = name
    document.body.append(a)
    a.click()
    a.remove()
    window.setTimeout(() => URL.revokeObjectURL(url), 1_000)
  }
  return (
    <button type="button" className="btn btn-secondary btn-sm" onClick={download}>
      <Icon name="download" /> Download patch
    </button>
  )
}

/** What a pull request changes (or would change): the package moves, what was left out, every file's diff. */
export function ProposedChanges({ pr }: { pr: FixPrOpened }) {
  return (
    <div className="fix-pr" data-branch={pr.branch}>
      <p>
        <span className="mono">{pr.branch}</span> ({pr.manifestDir ? `in ${pr.manifestDir}/` : 'repository root'}){' '}
        <PullRequestState state={pr.state} />{' '}
        {pr.url ? (
          <a href={pr.url} target="_blank" rel="noreferrer noopener">
            #{pr.number} <Icon name="external" size={12} />
          </a>
        ) : null}
      </p>
      {pr.packages.length ? (
        <ul className="ev-list">
          {pr.packages.map((p) => (
            <li key={p.name}>
              <span className="mono">
                {p.name} {p.from ?? '?'} → {p.to}
              </span>{' '}
              <span className="muted small">
                ({p.strategy === 'override' ? 'override' : 'direct'}; {p.cves.join(', ')})
              </span>
              {p.majorBump ? <strong className="small"> major upgrade</strong> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Nothing here can be changed automatically.</p>
      )}
      {pr.skipped.length ? (
        <ul className="ev-list" aria-label="Left to a developer">
          {pr.skipped.map((s) => (
            <li key={s.name}>
              <span className="mono">{s.name}</span> (to {s.to}): {s.reason}
              {s.command ? (
                <>
                  {' '}
                  Run <code className="mono">{s.command}</code>.
                </>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {pr.changes.map((c) => (
        <DiffView key={c.path} path={c.path} diff={c.diff} />
      ))}
    </div>
  )
}

/**
 * Preview (a dry run: the exact file changes, nothing written) and, where the connection opted in, open the fix pull
 * requests of a repository: one per manifest directory, bundling every package it can fix there. `manifestDir` limits
 * what is shown to one directory's pull request.
 */
export function FixPullRequestActions({
  repositoryId,
  enabled,
  manifestDir,
  updating = false,
  onOpened,
}: {
  repositoryId: string
  enabled: boolean
  manifestDir?: string | undefined
  /** a pull request is open already: opening again updates it */
  updating?: boolean
  onOpened?: () => void
}) {
  const canWrite = useCan('member')
  const [result, setResult] = useState<FixPrResult | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const run = (dryRun: boolean) => async () => {
    setBusy(true)
    setError(null)
    try {
      const path = `/repositories/${encodeURIComponent(repositoryId)}/fix-prs`
      setResult(await api<FixPrResult>('POST', path, { dryRun }))
      if (!dryRun) onOpened?.()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const prs = (result?.pullRequests ?? []).filter((p) => manifestDir === undefined || p.manifestDir === manifestDir)
  return (
    <div className="fix-actions">
      <div className="row-actions">
        <button type="button" className="btn btn-secondary btn-sm" onClick={run(true)} disabled={busy}>
          Preview changes
        </button>
        {enabled && canWrite ? (
          <button type="button" className="btn btn-primary btn-sm" onClick={run(false)} disabled={busy}>
            {updating ? 'Update pull request' : 'Open pull request'}
          </button>
        ) : null}
        {prs.some((p) => p.changes.length) ? <DownloadPatch prs={prs} name={patchName(prs)} /> : null}
      </div>
      {!enabled ? (
        <p className="muted small">
          Opening pull requests is off for this repository’s source control connection (turn on “fixPullRequests” in its
          settings, with a token that can write): preview the changes and download the patch instead.
        </p>
      ) : null}
      <ErrorBox error={error} title="Could not prepare the fix" />
      {result && prs.length === 0 ? (
        <p className="muted">Nothing in this repository can be upgraded automatically.</p>
      ) : null}
      {prs.map((p) => (
        <ProposedChanges key={p.branch} pr={p} />
      ))}
    </div>
  )
}

const patchName = (prs: FixPrOpened[]) =>
  `${(prs.length === 1 ? prs[0]!.branch : 'vulnsync/fix').replaceAll('/', '-')}.patch`

/** A tracked pull request as a line: link, state, when. */
export function TrackedPullRequest({ pr }: { pr: FixPullRequest }) {
  return (
    <span className="fix-tracked">
      <a href={pr.url} target="_blank" rel="noreferrer noopener">
        {pr.repository} #{pr.number} <Icon name="external" size={12} />
      </a>{' '}
      <PullRequestState state={pr.state} />{' '}
      <span className="muted small">
        {pr.state === 'merged'
          ? `merged ${fmtDateTime(pr.mergedAt)}`
          : pr.state === 'closed'
            ? `closed ${fmtDateTime(pr.closedAt)}`
            : `opened ${fmtDateTime(pr.createdAt)}`}
      </span>
    </span>
  )
}
