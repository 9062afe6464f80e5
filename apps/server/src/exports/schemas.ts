import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/**
 * The official JSON schemas of CycloneDX 1.6 (with the SPDX licence list and JSF it references) and OpenVEX 0.2.0,
 * shipped as test fixtures (fixtures/SOURCES.md), compiled with ajv. For tests: the server never validates its own
 * exports at run time.
 */
const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'))

const explain = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('\n')

export const cyclonedxValidator = () => {
  // draft-07; most of the schema's formats come from ajv-formats, the two it lacks are checked here rather than
  // ignored: an IRI reference (RFC 3987: relative allowed, non-ASCII allowed, no spaces or controls) and an
  // internationalised email address
  const ajv = new Ajv({ strict: false, allErrors: true })
  ;(addFormats as any).default ? (addFormats as any).default(ajv) : (addFormats as any)(ajv)
  ajv.addFormat('iri-reference', /^[^\s\u0000-\u001f<>"{}|\\^`]*$/u)
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/u)
  ajv.addSchema(load('spdx.schema.json'))
  ajv.addSchema(load('jsf-0.82.schema.json'))
  const validate = ajv.compile(load('bom-1.6.schema.json'))
  return (doc: unknown) => ({ ok: validate(doc) as boolean, errors: explain(validate.errors) })
}

export const openvexValidator = () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ;(addFormats as any).default ? (addFormats as any).default(ajv) : (addFormats as any)(ajv)
  // OpenVEX says "iri": an absolute IRI has a scheme
  ajv.addFormat('iri', /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/)
  const validate = ajv.compile(load('openvex_json_schema.json'))
  return (doc: unknown) => ({ ok: validate(doc) as boolean, errors: explain(validate.errors) })
}
