// Prioritisation: the public feeds every issue is judged by (CISA KEV, FIRST EPSS: what is loaded, how the last
// refresh went, refresh now) and the workspace's priority policy. Everyone reads it; an admin changes the policy
// after a dry run shows how many issues would move between which priority levels.
import { useEffect, useState } from 'react'
import { api, type Feed, type LoweringFactor, type PriorityPolicyChange, type PriorityPolicyDoc } from '../api.ts'
import { useCan } from '../auth.tsx'
import { SeverityBadge } from '../components/badges.tsx'
import { ErrorBox, Spinner } from '../components/feedback.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { PolicyFormActions, usePolicyPreview } from '../components/policy-form.tsx'
import { RadioGroup } from '../components/radio-group.tsx'
import { useToast } from '../components/toast.tsx'
import { fmtDate, fmtDuration, fmtNumber, fmtRelative } from '../format.ts'
import { useAction, useInterval, useLoad } from '../hooks.ts'

export function PrioritisationPage() {
  useEffect(() => {
    document.title = 'Prioritisation · vulnsync'
  }, [])
  const isAdmin = useCan('admin')
  const policy = useLoad('priority-policy', (s) => api<PriorityPolicyDoc>('GET', '/policies/priority', undefined, s))
  return (
    <>
      <PageHeader
        title="Prioritisation"
        subtitle="Every issue, whichever scanner found it, is judged by the same public evidence and this policy."
      />
      <FeedsCard />
      <section className="card settings-card" aria-labelledby="sec-priority-policy">
        <h2 id="sec-priority-policy" className="card-title">
          Priority policy
        </h2>
        <p className="muted">
          The priority starts from the highest severity a scanner reports; the feeds and the scanners' signals raise or
          lower it.{isAdmin ? '' : ' Only an admin changes the policy.'}
        </p>
        <ErrorBox error={policy.error} title="Could not load the policy" />
        {policy.loading && !policy.data ? <Spinner label="Loading the policy" /> : null}
        {policy.data ? (
          <PriorityPolicyForm
            key={JSON.stringify(policy.data)}
            saved={policy.data}
            readOnly={!isAdmin}
            onSaved={policy.reload}
          />
        ) : null}
      </section>
    </>
  )
}

// ------------------------------------------------------------------ feeds

function FeedsCard() {
  const feeds = useLoad('feeds', (s) => api<{ items: Feed[] }>('GET', '/feeds', undefined, s))
  const refreshing = feeds.data?.items.some((f) => f.refreshing) ?? false
  useInterval(feeds.reload, 2000, refreshing)
  return (
    <section className="card settings-card" aria-labelledby="sec-feeds">
      <h2 id="sec-feeds" className="card-title">
        Feeds
      </h2>
      <p className="muted">
        Downloaded daily through the guarded client. A download that cannot be read, or that has fewer than half the
        entries in use, is refused: the data in use stays. Air-gapped: <code>vulnsync feeds import kev|epss file</code>.
      </p>
      <ErrorBox error={feeds.error} title="Could not load the feeds" />
      {feeds.loading && !feeds.data ? <Spinner label="Loading the feeds" /> : null}
      {feeds.data ? (
        <table className="table feeds-table">
          <caption className="visually-hidden">The prioritisation feeds</caption>
          <thead>
            <tr>
              <th scope="col">Feed</th>
              <th scope="col">Entries</th>
              <th scope="col">Feed date</th>
              <th scope="col">Last refresh</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {feeds.data.items.map((f) => (
              <FeedRow key={f.name} feed={f} onChange={feeds.reload} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}

function FeedRow({ feed: f, onChange }: { feed: Feed; onChange: () => void }) {
  const canRefresh = useCan('member')
  const toast = useToast()
  const refresh = useAction(
    async () => {
      await api('POST', `/feeds/${f.name}/refresh`)
      toast(`${f.title}: refresh started.`, 'ok')
      onChange()
    },
    { settle: true },
  )
  const o = f.lastOutcome
  return (
    <tr data-feed={f.name}>
      <td>
        <strong>{f.title}</strong>
        <div className="muted small mono feed-url" title={f.url}>
          {f.url}
        </div>
        {f.enabled ? null : <div className="muted small">disabled: not downloaded</div>}
      </td>
      <td className="num">{fmtNumber(f.entries)}</td>
      <td>{f.feedDate ? fmtDate(f.feedDate) : '–'}</td>
      <td>
        {f.refreshing ? (
          <span className="status status-info">
            <span className="status-dot" aria-hidden="true" />
            Refreshing…
          </span>
        ) : f.lastRefreshAt ? (
          <div>
            <span className={`status status-${f.lastError ? 'bad' : 'ok'}`}>
              <span className="status-dot" aria-hidden="true" />
              {f.lastError ? 'Kept the data in use' : 'Loaded'}
            </span>{' '}
            <span className="muted small">{fmtRelative(f.lastRefreshAt)}</span>
            {f.lastError ? (
              <div className="small feed-error" role="note">
                {f.lastError.message}
              </div>
            ) : o ? (
              <div className="muted small">
                {fmtNumber(o.changedCves)} CVEs changed, {fmtNumber(o.issuesExamined)} issues recomputed,{' '}
                {fmtNumber(o.priorityChanged)} changed priority ({fmtDuration(o.durationMs)})
              </div>
            ) : null}
          </div>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        {canRefresh && f.enabled ? (
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            disabled={f.refreshing || refresh.busy}
            onClick={() => void refresh.run()}
            aria-label={`Refresh ${f.title} now`}
          >
            Refresh now
          </button>
        ) : null}
        <ErrorBox error={refresh.error} title="Not refreshed" />
      </td>
    </tr>
  )
}

// ------------------------------------------------------------------ the policy

const FACTOR_LABEL: Record<LoweringFactor, string> = {
  function_unreachable: 'The vulnerable function is unreachable',
  dependency_unreachable: 'The dependency is unreachable',
  not_applicable: 'A scanner says it does not apply',
  test_only: 'Only in test code',
  archived_repository: 'The repository is archived',
  epss_low: 'EPSS below the low threshold',
}
const LOWERING_FACTORS = Object.keys(FACTOR_LABEL) as LoweringFactor[]

type Draft = {
  kev: PriorityPolicyDoc['kev']
  neverLowerKev: boolean
  high: string
  low: string
  factors: LoweringFactor[]
  maxLevels: string
  /** business priority thresholds; empty: that direction off */
  raiseAt: string
  lowerAt: string
}

const toDraft = (p: PriorityPolicyDoc): Draft => ({
  kev: p.kev,
  neverLowerKev: p.neverLowerKev,
  high: String(p.epss.high),
  low: String(p.epss.low),
  factors: p.lowering.factors,
  maxLevels: String(p.lowering.maxLevels),
  raiseAt: p.businessPriority.raiseAtOrAbove === null ? '' : String(p.businessPriority.raiseAtOrAbove),
  lowerAt: p.businessPriority.lowerAtOrBelow === null ? '' : String(p.businessPriority.lowerAtOrBelow),
})

const orNull = (v: string) => (v.trim() === '' ? null : Number(v))

const toPolicy = (d: Draft): PriorityPolicyDoc => ({
  kev: d.kev,
  neverLowerKev: d.neverLowerKev,
  epss: { high: Number(d.high), low: Number(d.low) },
  lowering: { factors: LOWERING_FACTORS.filter((f) => d.factors.includes(f)), maxLevels: Number(d.maxLevels) },
  businessPriority: { raiseAtOrAbove: orNull(d.raiseAt), lowerAtOrBelow: orNull(d.lowerAt) },
})

function PriorityPolicyForm({
  saved,
  readOnly,
  onSaved,
}: {
  saved: PriorityPolicyDoc
  readOnly: boolean
  onSaved: () => void
}) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(saved))
  const policy = toPolicy(draft)
  const p = usePolicyPreview<PriorityPolicyDoc, PriorityPolicyChange>({
    path: '/policies/priority',
    policy,
    saved: toPolicy(toDraft(saved)),
    savedMessage: (change) => `Priority policy saved: ${fmtNumber(change.changed)} issue(s) changed priority.`,
    onSaved,
  })
  /** a number input with its help; `required` for probabilities, optional (empty: off) for business priorities */
  const numberField = (
    id: string,
    label: string,
    value: string,
    on: (v: string) => void,
    help: string,
    o: { max: 1 | 100; required: boolean },
  ) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode={o.max === 1 ? 'decimal' : 'numeric'}
        min={0}
        max={o.max}
        step="any"
        required={o.required}
        value={value}
        disabled={readOnly}
        onChange={(e) => on(e.target.value)}
        aria-describedby={`${id}-help`}
      />
      <p className="help" id={`${id}-help`}>
        {help}
      </p>
    </div>
  )
  return (
    <form className="form sla-form" aria-label="Priority policy" onSubmit={p.submit}>
      <RadioGroup
        legend="An issue whose CVE is in CISA KEV"
        name="priority-kev"
        value={draft.kev}
        onChange={(kev) => setDraft({ ...draft, kev })}
        disabled={readOnly}
        options={[
          { value: 'critical', label: <strong>Is critical</strong>, help: 'known exploited: fix first (recommended)' },
          { value: 'raise', label: <strong>Is raised one level</strong> },
          { value: 'none', label: <strong>Is only marked</strong>, help: 'the listing is shown, the level stays' },
        ]}
      />
      <label className="checkbox">
        <input
          type="checkbox"
          checked={draft.neverLowerKev}
          disabled={readOnly}
          onChange={(e) => setDraft({ ...draft, neverLowerKev: e.target.checked })}
        />
        <span>Never lower a KEV-listed issue (unreachable, test-only and the like do not apply to it)</span>
      </label>
      <fieldset className="fieldset" disabled={readOnly}>
        <legend>EPSS thresholds</legend>
        <div className="sla-days-grid">
          {numberField(
            'priority-epss-high',
            'High (raises one level)',
            draft.high,
            (high) => setDraft({ ...draft, high }),
            'A probability of exploitation in the next 30 days at or above this raises the priority.',
            { max: 1, required: true },
          )}
          {numberField(
            'priority-epss-low',
            'Low (exploitation unlikely)',
            draft.low,
            (low) => setDraft({ ...draft, low }),
            'Below this, exploitation is unlikely: it lowers only if allowed below.',
            { max: 1, required: true },
          )}
        </div>
      </fieldset>
      <fieldset className="fieldset" disabled={readOnly}>
        <legend>Factors that may lower a priority (one level each)</legend>
        {LOWERING_FACTORS.map((f) => (
          <label key={f} className="checkbox">
            <input
              type="checkbox"
              checked={draft.factors.includes(f)}
              onChange={(e) =>
                setDraft({
                  ...draft,
                  factors: e.target.checked ? [...draft.factors, f] : draft.factors.filter((x) => x !== f),
                })
              }
            />
            <span>{FACTOR_LABEL[f]}</span>
          </label>
        ))}
        <div className="field">
          <label htmlFor="priority-max-levels">At most, levels lowered together</label>
          <input
            id="priority-max-levels"
            type="number"
            inputMode="numeric"
            min={0}
            max={4}
            step={1}
            required
            value={draft.maxLevels}
            onChange={(e) => setDraft({ ...draft, maxLevels: e.target.value })}
          />
        </div>
      </fieldset>
      <fieldset className="fieldset" disabled={readOnly}>
        <legend>Application business priority (0–100, from OX or set on the Applications page)</legend>
        <div className="sla-days-grid">
          {numberField(
            'priority-business-raise',
            'Raises one level at or above',
            draft.raiseAt,
            (raiseAt) => setDraft({ ...draft, raiseAt }),
            'A business-critical application. Empty: never raises.',
            { max: 100, required: false },
          )}
          {numberField(
            'priority-business-lower',
            'Lowers one level at or below',
            draft.lowerAt,
            (lowerAt) => setDraft({ ...draft, lowerAt }),
            'A low-priority application; counts towards the most levels lowered. Empty: never lowers.',
            { max: 100, required: false },
          )}
        </div>
      </fieldset>
      {readOnly ? null : <PolicyFormActions p={p}>{(fresh) => <Moves change={fresh} />}</PolicyFormActions>}
    </form>
  )
}

function Moves({ change }: { change: PriorityPolicyChange }) {
  return (
    <section className="sla-preview" aria-labelledby="priority-preview-title" aria-live="polite">
      <h3 id="priority-preview-title">What saving changes</h3>
      {change.moves.length === 0 ? (
        <p>No issue changes priority ({fmtNumber(change.examined)} recomputed).</p>
      ) : (
        <>
          <p>
            {fmtNumber(change.changed)} of {fmtNumber(change.examined)} issue{change.examined === 1 ? '' : 's'} change
            priority (nothing is saved yet); each change goes on the issue's timeline:
          </p>
          <table className="table">
            <caption className="visually-hidden">Issues moving between priority levels</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Issues</th>
                <th scope="col">Of which open</th>
              </tr>
            </thead>
            <tbody>
              {change.moves.map((m) => (
                <tr key={`${m.from}-${m.to}`}>
                  <td>
                    <SeverityBadge severity={m.from} />
                  </td>
                  <td>
                    <SeverityBadge severity={m.to} />
                  </td>
                  <td className="num">{fmtNumber(m.count)}</td>
                  <td className="num">{fmtNumber(m.open)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}
