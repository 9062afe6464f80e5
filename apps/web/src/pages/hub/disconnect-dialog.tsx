// Disconnect: a confirmation that says what stays (the findings) and what stops (their updates).
import { api } from '../../api.ts'
import { ConfirmDialog } from '../../components/confirm-dialog.tsx'
import { useToast } from '../../components/toast.tsx'
import type { ConnectionDialogProps } from './modal.ts'

export function DisconnectDialog({ connector, connection, onClose, onDone }: ConnectionDialogProps) {
  const toast = useToast()
  const disconnect = async () => {
    await api('DELETE', `/connections/${encodeURIComponent(connection.id)}`)
    toast(`${connection.name} disconnected`, 'ok')
    onDone()
  }
  return (
    <ConfirmDialog
      title={`Disconnect ${connection.name}?`}
      confirmLabel="Disconnect"
      busyLabel="Disconnecting…"
      cancelLabel="Keep connected"
      onClose={onClose}
      onConfirm={disconnect}
    >
      {connector.role === 'scm' ? (
        <p>
          vulnsync stops reading repositories from this {connector.title} connection and deletes its stored credentials.
          The repositories it found stay in the inventory, and findings already mapped to them stay in the queue, but
          the inventory no longer updates.
        </p>
      ) : connector.role === 'tracker' ? (
        <p>
          vulnsync stops creating and moving tickets in {connector.title} and deletes its stored credentials. The
          tickets already made stay in {connector.title}; their changes no longer come back to vulnsync.
        </p>
      ) : (
        <>
          <p>vulnsync stops syncing from this {connector.title} connection and deletes its stored credentials.</p>
          <p>
            <strong>The findings it imported stay in the queue</strong> with their history, but they stop updating: this
            connection will no longer mark them fixed, reopen them or add new ones. Findings also reported by another
            scanner keep updating from that scanner.
          </p>
        </>
      )}
    </ConfirmDialog>
  )
}
