import type { FormEvent, ReactNode } from 'react'
import { useAction } from '../hooks.ts'
import { Dialog } from './dialog.tsx'
import { ErrorBox } from './feedback.tsx'

/**
 * A dialog around one form: Cancel and a submit button, busy state, and the error shown in place. onSubmit throws to
 * keep the dialog open with the error; when it resolves, the caller closes the dialog (or shows what follows).
 */
export function FormDialog({
  title,
  formId,
  formLabel = title,
  submitLabel,
  busyLabel = submitLabel,
  onClose,
  onSubmit,
  errorTitle,
  children,
}: {
  title: string
  formId: string
  /** the form's accessible name (default: the title) */
  formLabel?: string
  submitLabel: string
  /** the submit button's text while onSubmit runs (default: submitLabel) */
  busyLabel?: string
  onClose: () => void
  onSubmit: () => Promise<void>
  /** a title before the error's message, chosen by the error */
  errorTitle?: (error: unknown) => string
  children: (busy: boolean) => ReactNode
}) {
  const { busy, error, run } = useAction(onSubmit)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    void run()
  }
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy}>
            {busy ? busyLabel : submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} aria-label={formLabel}>
        {children(busy)}
        <div aria-live="assertive">{error ? <ErrorBox error={error} title={errorTitle?.(error)} /> : null}</div>
      </form>
    </Dialog>
  )
}
