// The fields Connect and Configure share: the connection's name and its sync schedule.

export function NameField({
  formId,
  value,
  onChange,
  help,
}: {
  formId: string
  value: string
  onChange: (v: string) => void
  help?: string
}) {
  const helpId = `${formId}-name-help`
  return (
    <div className="field">
      <label htmlFor={`${formId}-name`}>Connection name</label>
      <input
        id={`${formId}-name`}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={help ? helpId : undefined}
      />
      {help ? (
        <p className="help" id={helpId}>
          {help}
        </p>
      ) : null}
    </div>
  )
}

export function ScheduleField({
  formId,
  value,
  onChange,
  help,
}: {
  formId: string
  value: string
  onChange: (v: string) => void
  help: string
}) {
  return (
    <div className="field">
      <label htmlFor={`${formId}-cron`}>Sync schedule (cron)</label>
      <input
        id={`${formId}-cron`}
        placeholder="0 */6 * * *"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${formId}-cron-help`}
      />
      <p className="help" id={`${formId}-cron-help`}>
        {help}
      </p>
    </div>
  )
}
