// Settings: the workspace's SLA policy (days to fix per level, by priority or severity; when an issue is due soon;
// the longest risk acceptance). Everyone reads it; an admin changes it after a dry run shows which open issues
// would move between SLA states.
import { useEffect, useState } from 'react'
import { SEVERITIES, type Severity, type SlaPolicyChange, type SlaPolicyDoc } from '../api.ts'
import { useCan } from '../auth.tsx'
import { ErrorBox, Spinner } from '../components/feedback.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { PolicyFormActions, usePolicyPreview } from '../components/policy-form.tsx'
import { RadioGroup } from '../components/radio-group.tsx'
import { cap, fmtNumber } from '../format.ts'
import { SLA_STATE_LABEL } from '../workflow.ts'
import { useSlaPolicy } from '../workflow-data.ts'

export function SettingsPage() {
  useEffect(() => {
    document.title = 'Settings · vulnsync'
  }, [])
  const policy = useSlaPolicy()
  const isAdmin = useCan('admin')
  return (
    <>
      <PageHeader title="Settings" subtitle="The workspace's remediation policy." />
      <section className="card settings-card" aria-labelledby="sec-sla">
        <h2 id="sec-sla" className="card-title">
          SLA policy
        </h2>
        <p className="muted">
          Each open issue is due a number of days after a scanner first detected it (never the import time).
          {isAdmin ? '' : ' Only an admin changes the policy.'}
        </p>
        <ErrorBox error={policy.error} title="Could not load the policy" />
        {policy.loading && !policy.data ? <Spinner label="Loading the policy" /> : null}
        {policy.data ? (
          <SlaPolicyForm
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

type Draft = {
  basis: SlaPolicyDoc['basis']
  days: Record<Severity, string>
  dueSoonDays: string
  maxAcceptanceDays: string
}

const toDraft = (p: SlaPolicyDoc): Draft => ({
  basis: p.basis,
  days: Object.fromEntries(SEVERITIES.map((s) => [s, p.days[s] === null ? '' : String(p.days[s])])) as Draft['days'],
  dueSoonDays: String(p.dueSoonDays),
  maxAcceptanceDays: String(p.maxAcceptanceDays),
})

const toPolicy = (d: Draft): SlaPolicyDoc => ({
  basis: d.basis,
  days: Object.fromEntries(
    SEVERITIES.map((s) => [s, d.days[s].trim() === '' ? null : Number(d.days[s])]),
  ) as SlaPolicyDoc['days'],
  dueSoonDays: Number(d.dueSoonDays),
  maxAcceptanceDays: Number(d.maxAcceptanceDays),
})

const stateLabel = (s: string) => (s === 'none' ? 'No SLA' : (SLA_STATE_LABEL[s as keyof typeof SLA_STATE_LABEL] ?? s))

function SlaPolicyForm({ saved, readOnly, onSaved }: { saved: SlaPolicyDoc; readOnly: boolean; onSaved: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(saved))
  const policy = toPolicy(draft)
  const p = usePolicyPreview<SlaPolicyDoc, SlaPolicyChange>({
    path: '/policies/sla',
    policy,
    saved: toPolicy(toDraft(saved)),
    savedMessage: (change) => `SLA policy saved: ${fmtNumber(change.changed)} open issue(s) changed SLA state.`,
    onSaved,
  })
  const num = (
    id: string,
    label: string,
    value: string,
    on: (v: string) => void,
    o: { min: number; max: number; help?: string; optional?: boolean },
  ) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={o.min}
        max={o.max}
        step={1}
        value={value}
        placeholder={o.optional ? 'no SLA' : undefined}
        required={!o.optional}
        disabled={readOnly}
        onChange={(e) => on(e.target.value)}
        aria-describedby={o.help ? `${id}-help` : undefined}
      />
      {o.help ? (
        <p className="help" id={`${id}-help`}>
          {o.help}
        </p>
      ) : null}
    </div>
  )
  return (
    <form className="form sla-form" aria-label="SLA policy" onSubmit={p.submit}>
      <RadioGroup
        legend="Count the days by"
        name="sla-basis"
        value={draft.basis}
        onChange={(basis) => setDraft({ ...draft, basis })}
        disabled={readOnly}
        options={[
          {
            value: 'priority',
            label: <strong>Priority</strong>,
            help: 'the severity moved by exploit, reachability and other factors (recommended)',
          },
          { value: 'severity', label: <strong>Severity</strong>, help: 'the highest severity a scanner reports' },
        ]}
      />
      <fieldset className="fieldset sla-days" disabled={readOnly}>
        <legend>Days to fix</legend>
        <p className="help">Days from the first detection. Leave a level empty for no SLA.</p>
        <div className="sla-days-grid">
          {SEVERITIES.map((s) =>
            num(
              `sla-days-${s}`,
              cap(s),
              draft.days[s],
              (v) => setDraft({ ...draft, days: { ...draft.days, [s]: v } }),
              {
                min: 1,
                max: 3650,
                optional: true,
              },
            ),
          )}
        </div>
      </fieldset>
      <div className="sla-days-grid">
        {num(
          'sla-due-soon',
          'Due soon (days before)',
          draft.dueSoonDays,
          (v) => setDraft({ ...draft, dueSoonDays: v }),
          {
            min: 0,
            max: 365,
            help: 'An open issue with fewer days left is due soon.',
          },
        )}
        {num(
          'sla-max-acceptance',
          'Longest risk acceptance (days)',
          draft.maxAcceptanceDays,
          (v) => setDraft({ ...draft, maxAcceptanceDays: v }),
          { min: 1, max: 3650, help: 'A risk acceptance expires at the latest this many days after it is recorded.' },
        )}
      </div>
      {readOnly ? null : <PolicyFormActions p={p}>{(fresh) => <Preview change={fresh} />}</PolicyFormActions>}
    </form>
  )
}

function Preview({ change }: { change: SlaPolicyChange }) {
  return (
    <section className="sla-preview" aria-labelledby="sla-preview-title" aria-live="polite">
      <h3 id="sla-preview-title">What saving changes</h3>
      {change.moves.length === 0 ? (
        <p>No open issue changes SLA state. Their due dates are recomputed with the new days.</p>
      ) : (
        <>
          <p>
            {fmtNumber(change.changed)} open issue{change.changed === 1 ? '' : 's'} change SLA state (nothing is saved
            yet):
          </p>
          <table className="table">
            <caption className="visually-hidden">Open issues moving between SLA states</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Open issues</th>
              </tr>
            </thead>
            <tbody>
              {change.moves.map((m) => (
                <tr key={`${m.from}-${m.to}`}>
                  <td>
                    <span className={`sla sla-${m.from}`}>{stateLabel(m.from)}</span>
                  </td>
                  <td>
                    <span className={`sla sla-${m.to}`}>{stateLabel(m.to)}</span>
                  </td>
                  <td className="num">{fmtNumber(m.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}
