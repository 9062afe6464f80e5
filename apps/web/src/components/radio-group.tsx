import type { ReactNode } from 'react'

/** A group of radio buttons under a legend, each with an optional line of help (linked by aria-describedby). */
export function RadioGroup<T extends string>({
  legend,
  name,
  value,
  onChange,
  options,
  disabled,
}: {
  legend: string
  name: string
  value: T
  onChange: (v: T) => void
  options: readonly { value: T; label: ReactNode; help?: string }[]
  disabled?: boolean
}) {
  return (
    <fieldset className="radio-group" disabled={disabled}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value}>
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={value === o.value}
            onChange={() => onChange(o.value)}
            aria-describedby={o.help ? `${name}-${o.value}-help` : undefined}
          />
          <span>
            {o.label}
            {o.help ? (
              <span className="help radio-help" id={`${name}-${o.value}-help`}>
                {o.help}
              </span>
            ) : null}
          </span>
        </label>
      ))}
    </fieldset>
  )
}
