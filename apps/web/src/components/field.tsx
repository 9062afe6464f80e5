import type { InputHTMLAttributes, ReactNode } from 'react'

/** A labelled input, with help text under it when given (linked by aria-describedby as `<id>-help`). */
export function Field({
  id,
  label,
  help,
  ...input
}: { id: string; label: string; help?: ReactNode | undefined } & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>) {
  const helpId = `${id}-help`
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={help ? helpId : undefined} {...input} />
      {help ? (
        <p className="help" id={helpId}>
          {help}
        </p>
      ) : null}
    </div>
  )
}

/** A password input: a current one (sign-in, confirming a change) or a new one (at least `minLength`). */
export function PasswordField({
  purpose,
  onChange,
  ...rest
}: {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  /** tells password managers whether to fill in the stored password or to offer a new one */
  purpose: 'current' | 'new'
  minLength?: number
  help?: string
  name?: string
}) {
  return (
    <Field
      {...rest}
      type="password"
      required
      autoComplete={purpose === 'current' ? 'current-password' : 'new-password'}
      onChange={(e) => onChange(e.target.value)}
    />
  )
}
