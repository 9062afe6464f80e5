// The fields Connect and Configure share: the connection's name and its sync schedule.
import { Field } from '../../components/field.tsx'

interface Props {
  formId: string
  value: string
  onChange: (v: string) => void
  help?: string
}

export const NameField = ({ formId, value, onChange, help }: Props) => (
  <Field
    id={`${formId}-name`}
    label="Connection name"
    required
    value={value}
    onChange={(e) => onChange(e.target.value)}
    help={help}
  />
)

export const ScheduleField = ({ formId, value, onChange, help }: Props & { help: string }) => (
  <Field
    id={`${formId}-cron`}
    label="Sync schedule (cron)"
    placeholder="0 */6 * * *"
    value={value}
    onChange={(e) => onChange(e.target.value)}
    help={help}
  />
)
