// Reconnect: new credentials replace the stored ones once they pass the connection check.
import { useState } from 'react'
import { api } from '../../api.ts'
import { FormDialog } from '../../components/form-dialog.tsx'
import { type FormValues, initialValues, SchemaFields, toPayload } from '../../components/schema-form.tsx'
import { useToast } from '../../components/toast.tsx'
import { type ConnectionDialogProps, checkErrorTitle } from './modal.ts'

export function ReconnectDialog({ connector, connection, onClose, onDone }: ConnectionDialogProps) {
  const toast = useToast()
  const [secrets, setSecrets] = useState<FormValues>(() => initialValues(connector.secretsSchema))
  const formId = `reconnect-${connection.id}`
  const submit = async () => {
    // the server checks the new credentials before it stores them (422 check_failed otherwise)
    await api('PATCH', `/connections/${encodeURIComponent(connection.id)}`, {
      secrets: toPayload(connector.secretsSchema, secrets, { omitEmpty: true }),
    })
    toast(`${connection.name} reconnected: the new credentials passed the check`, 'ok')
    onDone()
  }
  return (
    <FormDialog
      title={`Reconnect ${connection.name}`}
      formId={formId}
      submitLabel="Reconnect"
      busyLabel="Checking…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={checkErrorTitle('Not reconnected')}
    >
      {(busy) => (
        <>
          <p className="muted">
            Enter new credentials. They replace the stored ones and are checked right away; the connection's settings
            and findings are kept.
          </p>
          <SchemaFields
            schema={connector.secretsSchema}
            values={secrets}
            onChange={setSecrets}
            idPrefix={`${formId}-secret`}
            disabled={busy}
          />
        </>
      )}
    </FormDialog>
  )
}
