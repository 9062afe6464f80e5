// Configure: rename, change the settings (re-checked by the server) or the schedule. Credentials change with Reconnect.
import { useState } from 'react'
import { api } from '../../api.ts'
import { FormDialog } from '../../components/form-dialog.tsx'
import { type FormValues, initialValues, SchemaFields, toPayload } from '../../components/schema-form.tsx'
import { useToast } from '../../components/toast.tsx'
import { NameField, ScheduleField } from './connection-fields.tsx'
import type { ConnectionDialogProps } from './modal.ts'

export function ConfigureDialog({ connector, connection, onClose, onDone }: ConnectionDialogProps) {
  const toast = useToast()
  const [name, setName] = useState(connection.name)
  const [config, setConfig] = useState<FormValues>(() => initialValues(connector.configSchema, connection.config))
  const [schedule, setSchedule] = useState(connection.scheduleCron ?? '')
  const formId = `configure-${connection.id}`
  const submit = async () => {
    // only what changed: a new configuration is re-checked against the vendor, a rename is not
    const next = toPayload(connector.configSchema, config, { omitEmpty: true })
    // an empty list is no change from a setting the connection was made without
    const configChanged = Object.entries(next).some(
      ([k, v]) =>
        JSON.stringify(v) !==
        JSON.stringify(connection.config[k] ?? (Array.isArray(v) && v.length === 0 ? [] : undefined)),
    )
    const body: Record<string, unknown> = {}
    if (name.trim() !== connection.name) body.name = name.trim()
    if (configChanged) body.config = next
    if (schedule.trim() && schedule.trim() !== connection.scheduleCron) body.scheduleCron = schedule.trim()
    if (Object.keys(body).length) await api('PATCH', `/connections/${encodeURIComponent(connection.id)}`, body)
    toast(`${name.trim()} saved`, 'ok')
    onDone()
  }
  return (
    <FormDialog
      title={`Configure ${connection.name}`}
      formId={formId}
      submitLabel="Save"
      busyLabel="Saving…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={() => 'Not saved'}
    >
      {(busy) => (
        <>
          <NameField formId={formId} value={name} onChange={setName} />
          <SchemaFields
            schema={connector.configSchema}
            values={config}
            onChange={setConfig}
            idPrefix={`${formId}-config`}
            disabled={busy}
          />
          <ScheduleField
            formId={formId}
            value={schedule}
            onChange={setSchedule}
            help="Five-field cron, in UTC. Credentials are changed with Reconnect. Saving a new configuration runs the connection check first."
          />
        </>
      )}
    </FormDialog>
  )
}
