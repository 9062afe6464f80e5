import type { TextareaHTMLAttributes } from 'react'

/** A labelled text area with a character count when it has a limit. */
export function TextArea({
  id,
  label,
  value,
  onChange,
  maxLength,
  help,
  ...rest
}: {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  maxLength?: number
  help?: string
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'value' | 'onChange' | 'maxLength'>) {
  const described = [help ? `${id}-help` : '', maxLength ? `${id}-count` : ''].filter(Boolean).join(' ')
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        value={value}
        maxLength={maxLength}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={described || undefined}
        {...rest}
      />
      {help || maxLength ? (
        <p className="help label-row">
          {help ? <span id={`${id}-help`}>{help}</span> : null}
          {maxLength ? (
            <span id={`${id}-count`} className="count">
              {value.length.toLocaleString()} / {maxLength.toLocaleString()}
            </span>
          ) : null}
        </p>
      ) : null}
    </div>
  )
}
