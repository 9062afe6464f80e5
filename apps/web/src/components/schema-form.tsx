// Builds form fields from a connector's JSON Schema (zod 4 toJSONSchema with label/help/placeholder/secret meta;
// `picker: 'teams'` makes a list of team ids a team picker).
import { useState } from 'react'
import type { JsonSchema, JsonSchemaProp } from '../api.ts'
import { humanize } from '../format.ts'
import { ErrorBox } from './feedback.tsx'
import { useTeams } from './owner.tsx'

export type FormValues = Record<string, string | boolean>

interface FieldSpec {
  name: string
  label: string
  help?: string | undefined
  placeholder?: string | undefined
  required: boolean
  secret: boolean
  kind: 'text' | 'url' | 'number' | 'boolean' | 'enum' | 'list' | 'teams'
  options?: string[]
  default?: unknown
}

function resolve(p: JsonSchemaProp): JsonSchemaProp {
  const alts = p.anyOf ?? p.oneOf
  if (!alts) return p
  const pick = alts.find((a) => a.type !== 'null') ?? alts[0] ?? {}
  return { ...resolve(pick), ...Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'anyOf' && k !== 'oneOf')) }
}

export function fieldsOf(schema: JsonSchema | undefined): FieldSpec[] {
  if (!schema?.properties) return []
  const req = new Set(schema.required ?? [])
  return Object.entries(schema.properties).map(([name, raw]) => {
    const p = resolve(raw)
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type
    let kind: FieldSpec['kind'] = 'text'
    let options: string[] | undefined
    if (p.enum) {
      kind = 'enum'
      options = p.enum.map(String)
    } else if (type === 'boolean') kind = 'boolean'
    else if (type === 'number' || type === 'integer') kind = 'number'
    else if (type === 'array') kind = p.picker === 'teams' ? 'teams' : 'list'
    else if (p.format === 'uri' || p.format === 'url') kind = 'url'
    const spec: FieldSpec = {
      name,
      label: p.label ?? p.title ?? humanize(name),
      help: p.help ?? p.description,
      placeholder: p.placeholder,
      // a field with a default is not required from the user
      required: req.has(name) && p.default === undefined,
      secret: p.secret === true,
      kind,
      default: p.default,
    }
    if (options) spec.options = options
    return spec
  })
}

export function initialValues(schema: JsonSchema | undefined, current?: Record<string, unknown>): FormValues {
  const v: FormValues = {}
  for (const f of fieldsOf(schema)) {
    const cur = current?.[f.name] ?? f.default
    if (f.kind === 'boolean') v[f.name] = cur === true
    else if (f.secret) v[f.name] = ''
    else if (Array.isArray(cur)) v[f.name] = cur.join(', ')
    else v[f.name] = cur === undefined || cur === null ? '' : String(cur)
  }
  return v
}

/** Converts form strings back to typed values; empty optional fields are left out (an empty list is `[]`). */
export function toPayload(
  schema: JsonSchema | undefined,
  values: FormValues,
  opts: { omitEmpty?: boolean } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fieldsOf(schema)) {
    const v = values[f.name]
    if (f.kind === 'boolean') {
      out[f.name] = v === true
      continue
    }
    const s = typeof v === 'string' ? v.trim() : ''
    if (s === '' && (f.kind === 'list' || f.kind === 'teams')) {
      // an emptied list is an empty list (left out, a saved one would stay as it was)
      out[f.name] = []
      continue
    }
    if (s === '') {
      if (!opts.omitEmpty && f.required) out[f.name] = ''
      continue
    }
    if (f.kind === 'number') out[f.name] = Number(s)
    else if (f.kind === 'list' || f.kind === 'teams')
      out[f.name] = s
        .split(/[,\n]/)
        .map((x) => x.trim())
        .filter(Boolean)
    else out[f.name] = f.secret ? (v as string) : s
  }
  return out
}

export function SchemaFields({
  schema,
  values,
  onChange,
  idPrefix,
  disabled,
}: {
  schema: JsonSchema | undefined
  values: FormValues
  onChange: (v: FormValues) => void
  idPrefix: string
  disabled?: boolean
}) {
  const fields = fieldsOf(schema)
  return (
    <>
      {fields.map((f) => (
        <Field
          key={f.name}
          f={f}
          value={values[f.name]}
          disabled={disabled}
          id={`${idPrefix}-${f.name}`}
          onChange={(x) => onChange({ ...values, [f.name]: x })}
        />
      ))}
    </>
  )
}

function Field({
  f,
  value,
  onChange,
  id,
  disabled,
}: {
  f: FieldSpec
  value: string | boolean | undefined
  onChange: (v: string | boolean) => void
  id: string
  disabled?: boolean | undefined
}) {
  const [reveal, setReveal] = useState(false)
  const helpId = f.help ? `${id}-help` : undefined
  if (f.kind === 'teams')
    return (
      <TeamsField
        f={f}
        value={typeof value === 'string' ? value : ''}
        onChange={onChange}
        id={id}
        disabled={disabled}
      />
    )
  if (f.kind === 'boolean')
    return (
      <div className="field field-check">
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked)}
          aria-describedby={helpId}
        />
        <label htmlFor={id}>{f.label}</label>
        {f.help ? (
          <p className="help" id={helpId}>
            {f.help}
          </p>
        ) : null}
      </div>
    )
  const common = {
    id,
    name: f.name,
    required: f.required,
    disabled,
    'aria-describedby': helpId,
    value: typeof value === 'string' ? value : '',
  }
  return (
    <div className="field">
      <div className="label-row">
        <label htmlFor={id}>{f.label}</label>
        {f.required ? null : <span className="optional">optional</span>}
        {f.secret ? (
          <span className="secret-tag" title="Stored encrypted, never shown again">
            secret
          </span>
        ) : null}
      </div>
      {f.kind === 'enum' ? (
        <select {...common} onChange={(e) => onChange(e.target.value)}>
          {!f.required ? <option value="">Default</option> : null}
          {f.options?.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : f.kind === 'list' ? (
        <textarea
          {...common}
          rows={2}
          placeholder={f.placeholder ?? 'Comma-separated'}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : f.secret ? (
        <div className="input-with-button">
          <input
            {...common}
            type={reveal ? 'text' : 'password'}
            autoComplete="new-password"
            spellCheck={false}
            placeholder={f.placeholder}
            onChange={(e) => onChange(e.target.value)}
          />
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() => setReveal((r) => !r)}
            aria-pressed={reveal}
            aria-label={`${reveal ? 'Hide' : 'Show'} ${f.label}`}
          >
            {reveal ? 'Hide' : 'Show'}
          </button>
        </div>
      ) : (
        <input
          {...common}
          type={f.kind === 'number' ? 'number' : f.kind === 'url' ? 'url' : 'text'}
          spellCheck={false}
          placeholder={f.placeholder}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {f.help ? (
        <p className="help" id={helpId}>
          {f.help}
        </p>
      ) : null}
    </div>
  )
}

/** A list of team ids as checkboxes of the workspace's teams (the value stays "id, id" like any list field). */
function TeamsField({
  f,
  value,
  onChange,
  id,
  disabled,
}: {
  f: FieldSpec
  value: string
  onChange: (v: string) => void
  id: string
  disabled?: boolean | undefined
}) {
  const teams = useTeams()
  const helpId = f.help ? `${id}-help` : undefined
  const picked = value
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean)
  const items = teams.data?.items ?? []
  // a saved id no team has any more (deleted since): shown so it can be taken out
  const unknown = teams.data ? picked.filter((t) => !items.some((x) => x.id === t)) : []
  const toggle = (teamId: string, on: boolean) =>
    onChange((on ? [...picked, teamId] : picked.filter((x) => x !== teamId)).join(', '))
  return (
    <fieldset className="field plain-fieldset" aria-describedby={helpId} data-testid={`${id}-picker`}>
      <legend className="label-row">
        <span className="team-picker-label">{f.label}</span>
        {f.required ? null : <span className="optional"> optional</span>}
      </legend>
      <ErrorBox error={teams.error} title="Could not load the teams" />
      {teams.data && items.length === 0 && unknown.length === 0 ? (
        <p className="muted small">No team yet: make teams on the Teams page to pick them here.</p>
      ) : null}
      <div className="team-picker">
        {items.map((t) => (
          <label key={t.id} className="field-check team-picker-item">
            <input
              type="checkbox"
              name={f.name}
              value={t.id}
              checked={picked.includes(t.id)}
              disabled={disabled}
              onChange={(e) => toggle(t.id, e.target.checked)}
            />
            <span>{t.name}</span>
          </label>
        ))}
        {unknown.map((t) => (
          <label key={t} className="field-check team-picker-item">
            <input
              type="checkbox"
              name={f.name}
              value={t}
              checked
              disabled={disabled}
              onChange={(e) => toggle(t, e.target.checked)}
            />
            <span className="muted">
              a team that no longer exists (<span className="mono">{t}</span>)
            </span>
          </label>
        ))}
      </div>
      {f.help ? (
        <p className="help" id={helpId}>
          {f.help}
        </p>
      ) : null}
    </fieldset>
  )
}
