// The expiry of a decision as a day, between tomorrow and the SLA policy's longest acceptance.
import { fmtDate } from '../format.ts'
import { dateInput, expiryInstant } from '../workflow.ts'

export function ExpiryField({
  id,
  label = 'Expires on',
  value,
  onChange,
  maxDays,
  required,
}: {
  id: string
  label?: string
  /** yyyy-mm-dd */
  value: string
  onChange: (v: string) => void
  /** the policy's maxAcceptanceDays; null while it is unknown (the server checks it anyway) */
  maxDays: number | null
  required?: boolean
}) {
  const max = maxDays === null ? undefined : dateInput(maxDays)
  const last = max ? expiryInstant(max) : null
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="date"
        value={value}
        min={dateInput(1)}
        max={max}
        required={required}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-help`}
      />
      <p className="help" id={`${id}-help`}>
        The issue reopens at the start of that day (your time).
        {maxDays !== null && last
          ? ` The SLA policy allows at most ${maxDays} days: ${fmtDate(last)} at the latest.`
          : ''}
      </p>
    </div>
  )
}
