// What the policy forms (SLA on Settings, priority on Prioritisation) share: a dry run must preview the very form
// before it can be saved (any edit makes the preview stale), and one action bar with Preview and Save.
import { type FormEvent, type ReactNode, useState } from 'react'
import { api } from '../api.ts'
import { useAction } from '../hooks.ts'
import { ErrorBox } from './feedback.tsx'
import { useToast } from './toast.tsx'

type Action = ReturnType<typeof useAction>

export interface PolicyPreview<C> {
  /** the dry run of this very form, or null when there is none or the form changed since */
  fresh: C | null
  /** the form says what is saved already */
  unchanged: boolean
  dryRun: Action
  save: Action
  /** the form's submit: a dry run */
  submit: (e: FormEvent) => void
}

/** Preview-then-save of a policy document at `path` (`PUT path?dryRun=true`, then `PUT path`). */
export function usePolicyPreview<P, C>(o: {
  path: string
  policy: P
  /** the saved policy as the form would send it */
  saved: P
  savedMessage: (change: C) => string
  onSaved: () => void
}): PolicyPreview<C> {
  const toast = useToast()
  const [preview, setPreview] = useState<{ of: string; change: C } | null>(null)
  const sig = JSON.stringify(o.policy)
  const dryRun = useAction(
    async () => {
      const change = await api<C>('PUT', `${o.path}?dryRun=true`, o.policy)
      setPreview({ of: sig, change })
    },
    { settle: true },
  )
  const save = useAction(
    async () => {
      const change = await api<C>('PUT', o.path, o.policy)
      toast(o.savedMessage(change), 'ok')
      o.onSaved()
    },
    { settle: true },
  )
  return {
    fresh: preview?.of === sig ? preview.change : null,
    unchanged: sig === JSON.stringify(o.saved),
    dryRun,
    save,
    submit: (e: FormEvent) => {
      e.preventDefault()
      void dryRun.run()
    },
  }
}

/** Preview changes / Save policy, the refusal of either, and the preview (`children`) once there is a fresh one. */
export function PolicyFormActions<C>({ p, children }: { p: PolicyPreview<C>; children: (fresh: C) => ReactNode }) {
  return (
    <>
      <ErrorBox error={p.dryRun.error ?? p.save.error} title={p.save.error ? 'Not saved' : 'No preview'} />
      <div className="form-actions">
        <button type="submit" className="btn btn-secondary" disabled={p.dryRun.busy || p.unchanged}>
          {p.dryRun.busy ? 'Previewing…' : 'Preview changes'}
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={!p.fresh || p.save.busy}
          onClick={() => void p.save.run()}
        >
          {p.save.busy ? 'Saving…' : 'Save policy'}
        </button>
        {p.unchanged ? <span className="muted small">No change to save.</span> : null}
        {!p.unchanged && !p.fresh ? <span className="muted small">Preview the changes before saving.</span> : null}
      </div>
      {p.fresh ? children(p.fresh) : null}
    </>
  )
}
