// Builds form fields from a connector's JSON Schema (zod 4 toJSONSchema with label/help/placeholder/secret meta).
import { useState } from 'react'
import type { JsonSchema, JsonSchemaProp } from '../api.ts'
import { humanize } from '../format.ts'

export type FormValues = Record<string, string | boolean>

interface FieldSpec {
  name: string
  label: string
  help?: string | undefined
  placeholder?: string | undefined
  required: boolean
  secret: boolean
  kind: 'text' | 'url' | 'number' | 'boolean' | 'enum' | 'list'
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
    else if (type === 'array') kind = 'list'
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

/** Converts form strings back to typed values; empty optional fields are left out. */
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
    if (s === '') {
      if (!opts.omitEmpty && f.required) out[f.name] = ''
      continue
    }
    if (f.kind === 'number') out[f.name] = Number(s)
    else if (f.kind === 'list')
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
