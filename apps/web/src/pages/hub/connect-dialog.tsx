// Connect: the form is built from the connector's JSON Schema; the server checks the connection before it stores it.
import { useState } from 'react'
import { api, type Connection, type ConnectorInfo, type Run } from '../../api.ts'
import { FormDialog } from '../../components/form-dialog.tsx'
import { type FormValues, initialValues, SchemaFields, toPayload } from '../../components/schema-form.tsx'
import { useToast } from '../../components/toast.tsx'
import { NameField, ScheduleField } from './connection-fields.tsx'
import { checkErrorTitle } from './modal.ts'

export function ConnectDialog({
  connector,
  existing,
  onClose,
  onDone,
}: {
  connector: ConnectorInfo
  existing: Connection[]
  onClose: () => void
  onDone: () => void
}) {
  const toast = useToast()
  const [name, setName] = useState(existing.length ? `${connector.title} ${existing.length + 1}` : connector.title)
  const [config, setConfig] = useState<FormValues>(() => initialValues(connector.configSchema))
  const [secrets, setSecrets] = useState<FormValues>(() => initialValues(connector.secretsSchema))
  const [schedule, setSchedule] = useState('')
  const submit = async () => {
    const body: Record<string, unknown> = {
      kind: connector.kind,
      name: name.trim(),
      config: toPayload(connector.configSchema, config, { omitEmpty: true }),
      secrets: toPayload(connector.secretsSchema, secrets, { omitEmpty: true }),
    }
    if (schedule.trim()) body.scheduleCron = schedule.trim()
    await api<{ connection: Connection; run?: Run }>('POST', '/connections', body)
    toast(`${name.trim()} connected: the first sync has started`, 'ok')
    onDone()
  }
  const formId = `connect-${connector.kind}`
  return (
    <FormDialog
      title={`Connect ${connector.title}`}
      formId={formId}
      submitLabel="Connect"
      busyLabel="Checking the connection…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={checkErrorTitle('Could not connect')}
    >
      {(busy) => (
        <>
          <p className="muted">{connector.description}</p>
          {connector.help ? <p className="help-box">{connector.help}</p> : null}
          <NameField
            formId={formId}
            value={name}
            onChange={setName}
            help="Shown on every finding this connection imports."
          />
          <SchemaFields
            schema={connector.configSchema}
            values={config}
            onChange={setConfig}
            idPrefix={`${formId}-config`}
            disabled={busy}
          />
          <fieldset className="fieldset">
            <legend>Credentials</legend>
            <p className="help">Stored encrypted and never shown again. vulnsync only reads from {connector.title}.</p>
            <SchemaFields
              schema={connector.secretsSchema}
              values={secrets}
              onChange={setSecrets}
              idPrefix={`${formId}-secret`}
              disabled={busy}
            />
          </fieldset>
          <details className="advanced">
            <summary>Schedule</summary>
            <ScheduleField
              formId={formId}
              value={schedule}
              onChange={setSchedule}
              help="Leave empty for the default: every 6 hours."
            />
          </details>
        </>
      )}
    </FormDialog>
  )
}
