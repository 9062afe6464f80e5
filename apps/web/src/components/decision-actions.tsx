// What can be done to a live decision: mark it reviewed (after its evidence changed), extend it (a new expiry within
// the policy), revoke it (what it governs reopens). Offered only to its author and admins, as the server allows.
import { useState } from 'react'
import { api, type Decision } from '../api.ts'
import { useAuth } from '../auth.tsx'
import { fmtDate, fmtNumber } from '../format.ts'
import { useAction } from '../hooks.ts'
import { canChangeDecision, DECISION_LABEL, dateInput, daysUntil, expiryInstant } from '../workflow.ts'
import { useSlaPolicy } from '../workflow-data.ts'
import { ConfirmDialog } from './confirm-dialog.tsx'
import { ExpiryField } from './expiry-field.tsx'
import { ErrorBox } from './feedback.tsx'
import { FormDialog } from './form-dialog.tsx'
import { useToast } from './toast.tsx'

export function DecisionActions({
  decision,
  subject,
  onChanged,
}: {
  decision: Decision
  /** what the buttons are about, for their accessible names ("CVE-2024-1 in acme/web") */
  subject: string
  onChanged: () => void
}) {
  const { user } = useAuth()
  const toast = useToast()
  const [dialog, setDialog] = useState<'extend' | 'revoke' | null>(null)
  const review = useAction(
    async () => {
      await api('PATCH', `/decisions/${encodeURIComponent(decision.id)}`, { reviewed: true })
      toast('Marked as reviewed: the decision stands.', 'ok')
      onChanged()
    },
    { settle: true },
  )
  if (decision.endedAt || !canChangeDecision(user, decision)) return null
  return (
    <div className="decision-actions">
      {decision.needsReview ? (
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={review.busy}
          onClick={() => void review.run()}
          aria-label={`Mark the decision on ${subject} reviewed`}
        >
          Mark reviewed
        </button>
      ) : null}
      {decision.expiresAt ? (
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          onClick={() => setDialog('extend')}
          aria-label={`Extend the decision on ${subject}`}
        >
          Extend…
        </button>
      ) : null}
      <button
        type="button"
        className="btn btn-danger-ghost btn-sm"
        onClick={() => setDialog('revoke')}
        aria-label={`Revoke the decision on ${subject}`}
      >
        Revoke…
      </button>
      <ErrorBox error={review.error} title="Not marked reviewed" />
      {dialog === 'extend' ? (
        <ExtendDialog
          decision={decision}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null)
            onChanged()
          }}
        />
      ) : null}
      {dialog === 'revoke' ? (
        <ConfirmDialog
          title={`Revoke this ${DECISION_LABEL[decision.kind].toLowerCase()} decision?`}
          confirmLabel="Revoke decision"
          busyLabel="Revoking…"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', `/decisions/${encodeURIComponent(decision.id)}`)
            setDialog(null)
            toast('Decision revoked: what it covered is open again.', 'ok')
            onChanged()
          }}
        >
          <p>
            It governs {fmtNumber(decision.issues)} issue{decision.issues === 1 ? '' : 's'} now. Revoked, they reopen at
            stage <strong>Triaged</strong> unless another decision covers them. The decision stays in their timelines.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  )
}

function ExtendDialog({ decision, onClose, onDone }: { decision: Decision; onClose: () => void; onDone: () => void }) {
  const policy = useSlaPolicy()
  const toast = useToast()
  const maxDays = policy.data?.maxAcceptanceDays ?? null
  const current = decision.expiresAt ? daysUntil(decision.expiresAt) : 0
  const [day, setDay] = useState<string | null>(null)
  // proposed: 30 days past the current expiry, within the policy
  const value = day ?? dateInput(Math.min(Math.max(current, 0) + 30, maxDays ?? 90))
  return (
    <FormDialog
      title="Extend the decision"
      formId="extend-decision-form"
      submitLabel="Extend"
      busyLabel="Extending…"
      onClose={onClose}
      errorTitle={() => 'Not extended'}
      onSubmit={async () => {
        await api('PATCH', `/decisions/${encodeURIComponent(decision.id)}`, { expiresAt: expiryInstant(value) })
        toast(`Extended until ${fmtDate(expiryInstant(value))}.`, 'ok')
        onDone()
      }}
    >
      {() => (
        <>
          <p>
            {DECISION_LABEL[decision.kind]} by {decision.createdBy}, expiring{' '}
            <strong>{fmtDate(decision.expiresAt)}</strong>. The new expiry counts from today.
          </p>
          <ExpiryField
            id="extend-expires"
            label="New expiry"
            value={value}
            onChange={setDay}
            maxDays={maxDays}
            required
          />
        </>
      )}
    </FormDialog>
  )
}
