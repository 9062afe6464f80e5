// Change your own password (POST /api/v1/auth/password): the server checks the current one, and on success ends every
// other session of the user; this one stays signed in.
import { useId, useState } from 'react'
import { api } from '../api.ts'
import { Dialog } from './dialog.tsx'
import { PasswordField } from './field.tsx'
import { FormDialog } from './form-dialog.tsx'

const MIN_LENGTH = 10

export function ChangePasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [repeat, setRepeat] = useState('')
  const [sessionsEnded, setSessionsEnded] = useState<number | null>(null)
  const doneId = useId()
  const submit = async () => {
    if (next !== repeat) throw new Error('the new password and its repetition differ')
    // a wrong current password answers 403 with the server's message, shown in place by FormDialog
    const r = await api<{ ok: boolean; sessionsEnded: number }>('POST', '/auth/password', {
      currentPassword: current,
      newPassword: next,
    })
    setSessionsEnded(r.sessionsEnded)
  }
  if (sessionsEnded !== null)
    return (
      <Dialog
        title="Change password"
        onClose={onClose}
        describedBy={doneId}
        footer={
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        }
      >
        <p id={doneId} role="status" className="alert alert-ok">
          Your password is changed.{' '}
          {sessionsEnded === 0
            ? 'You were signed in nowhere else.'
            : `${sessionsEnded} other session${sessionsEnded === 1 ? ' was' : 's were'} signed out.`}{' '}
          You stay signed in here.
        </p>
      </Dialog>
    )
  return (
    <FormDialog
      title="Change password"
      formId="change-password"
      submitLabel="Change password"
      busyLabel="Changing…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={() => 'Not changed'}
    >
      {() => (
        <>
          <PasswordField
            id="cp-current"
            label="Current password"
            purpose="current"
            value={current}
            onChange={setCurrent}
          />
          <PasswordField
            id="cp-new"
            label="New password"
            purpose="new"
            minLength={MIN_LENGTH}
            value={next}
            onChange={setNext}
            help={`At least ${MIN_LENGTH} characters. Your other sessions end when it changes.`}
          />
          <PasswordField
            id="cp-repeat"
            label="Repeat the new password"
            purpose="new"
            minLength={MIN_LENGTH}
            value={repeat}
            onChange={setRepeat}
          />
        </>
      )}
    </FormDialog>
  )
}
