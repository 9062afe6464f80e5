// Recording a decision: its kind, the reason (required), the VEX justification of "not affected", the expiry of a
// risk acceptance (within the policy's maximum) and, for one issue, its scope. Used for one issue and for a bulk
// action (scope issue for each, as the bulk API applies it).
import { useState } from 'react'
import type { DecisionKind, DecisionScope } from '../api.ts'
import {
  DECISION_HELP,
  DECISION_KINDS,
  DECISION_LABEL,
  dateInput,
  expiryInstant,
  VEX_JUSTIFICATIONS,
  VEX_LABEL,
} from '../workflow.ts'
import { useSlaPolicy } from '../workflow-data.ts'
import { ExpiryField } from './expiry-field.tsx'
import { FormDialog } from './form-dialog.tsx'
import { RadioGroup } from './radio-group.tsx'
import { TextArea } from './text-area.tsx'

export interface DecisionInput {
  kind: DecisionKind
  reason: string
  justification?: string
  expiresAt?: string
  scope?: DecisionScope
}

export function DecisionDialog({
  title,
  subject,
  submitLabel = 'Record decision',
  onClose,
  onSubmit,
}: {
  title: string
  /** the one issue decided on (offers the scope), or none for a bulk action */
  subject?: { cve: string; target: string }
  submitLabel?: string
  onClose: () => void
  onSubmit: (d: DecisionInput) => Promise<void>
}) {
  const policy = useSlaPolicy()
  const maxDays = policy.data?.maxAcceptanceDays ?? null
  const [kind, setKind] = useState<DecisionKind>('accepted')
  const [reason, setReason] = useState('')
  const [justification, setJustification] = useState('')
  // until the user picks a day: 30 days, or the policy's maximum when that is shorter
  const [expires, setExpires] = useState<string | null>(null)
  const [scope, setScope] = useState<DecisionScope>('issue')
  const expiry = expires ?? dateInput(Math.min(30, maxDays ?? 30))

  const submit = async () => {
    const d: DecisionInput = { kind, reason: reason.trim() }
    if (kind === 'not_affected' && justification) d.justification = justification
    if (kind === 'accepted') {
      const at = expiryInstant(expiry)
      if (at) d.expiresAt = at
    }
    if (subject) d.scope = scope
    await onSubmit(d)
  }

  return (
    <FormDialog
      title={title}
      formId="decision-form"
      submitLabel={submitLabel}
      busyLabel="Recording…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={() => 'The decision was not recorded'}
    >
      {() => (
        <>
          <RadioGroup
            legend="Decision"
            name="decision-kind"
            value={kind}
            onChange={setKind}
            options={DECISION_KINDS.map((k) => ({
              value: k,
              label: <strong>{DECISION_LABEL[k]}</strong>,
              help: DECISION_HELP[k],
            }))}
          />
          {kind === 'not_affected' ? (
            <div className="field">
              <label htmlFor="decision-justification">Justification (VEX)</label>
              <select
                id="decision-justification"
                value={justification}
                required
                onChange={(e) => setJustification(e.target.value)}
              >
                <option value="">Choose why it is not affected…</option>
                {VEX_JUSTIFICATIONS.map((j) => (
                  <option key={j} value={j}>
                    {VEX_LABEL[j]}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <TextArea
            id="decision-reason"
            label="Reason"
            value={reason}
            onChange={setReason}
            required
            rows={3}
            maxLength={5000}
            help="Why: the compensating control, the evidence, the ticket. Everyone who sees the issue reads it."
          />
          {kind === 'accepted' ? (
            <ExpiryField id="decision-expires" value={expiry} onChange={setExpires} maxDays={maxDays} required />
          ) : null}
          {subject ? (
            <RadioGroup
              legend="Applies to"
              name="decision-scope"
              value={scope}
              onChange={setScope}
              options={[
                { value: 'issue', label: 'This issue only' },
                { value: 'cve_in_target', label: `${subject.cve} everywhere in ${subject.target}` },
                {
                  value: 'cve_everywhere',
                  label: `${subject.cve} in every repository and image, including ones found later`,
                },
              ]}
            />
          ) : null}
        </>
      )}
    </FormDialog>
  )
}
