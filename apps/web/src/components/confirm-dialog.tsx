import { type ReactNode, useId } from 'react'
import { useAction } from '../hooks.ts'
import { Dialog } from './dialog.tsx'
import { ErrorBox } from './feedback.tsx'

/**
 * A question before a destructive action: Cancel, and a danger button that runs onConfirm with a busy state. onConfirm
 * throws to keep the dialog open with the error shown; when it resolves, the caller closes the dialog.
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  busyLabel = confirmLabel,
  cancelLabel = 'Cancel',
  onClose,
  onConfirm,
  children,
}: {
  title: string
  confirmLabel: string
  busyLabel?: string
  cancelLabel?: string
  onClose: () => void
  onConfirm: () => Promise<void>
  /** what the action does: the dialog's description */
  children: ReactNode
}) {
  const { busy, error, run } = useAction(onConfirm)
  const descId = useId()
  return (
    <Dialog
      title={title}
      onClose={onClose}
      describedBy={descId}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {cancelLabel}
          </button>
          <button type="button" className="btn btn-danger" onClick={() => void run()} disabled={busy}>
            {busy ? busyLabel : confirmLabel}
          </button>
        </>
      }
    >
      <div id={descId}>{children}</div>
      <ErrorBox error={error} />
    </Dialog>
  )
}
