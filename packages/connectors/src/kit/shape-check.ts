import type { z } from 'zod'

export type ShapeCheck = (value: unknown) => boolean

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const never: ShapeCheck = () => false

/**
 * A fast test, compiled once from a zod schema, that a value already has the shape the schema accepts and that parsing
 * it would hand back an equal value: the common case of a vendor record, which then needs no zod parse. It answers
 * false whenever it is not sure (a schema kind it does not know, a check other than a string's minimum length, a
 * value the schema would transform such as a number sent as a string, an object schema that is not loose): the
 * caller parses with zod then, and gets zod's answer and messages.
 */
export const compileShapeCheck = (schema: z.ZodType): ShapeCheck => {
  const def = (schema as any)._zod.def
  const checks: any[] = (def.checks ?? []).map((c: any) => c._zod.def)
  switch (def.type) {
    case 'string': {
      if (checks.some((c) => c.check !== 'min_length')) return never
      const min = Math.max(0, ...checks.map((c) => c.minimum as number))
      return min > 0 ? (v) => typeof v === 'string' && v.length >= min : (v) => typeof v === 'string'
    }
    case 'number':
      return checks.length ? never : (v) => typeof v === 'number' && Number.isFinite(v)
    case 'boolean':
      return (v) => typeof v === 'boolean'
    case 'unknown':
    case 'any':
      return () => true
    case 'optional': {
      const inner = compileShapeCheck(def.innerType)
      return (v) => v === undefined || inner(v)
    }
    case 'nullable': {
      const inner = compileShapeCheck(def.innerType)
      return (v) => v === null || inner(v)
    }
    case 'array': {
      if (checks.length) return never
      const el = compileShapeCheck(def.element)
      return (v) => {
        if (!Array.isArray(v)) return false
        for (const x of v) if (!el(x)) return false
        return true
      }
    }
    case 'union': {
      const options: ShapeCheck[] = def.options.map(compileShapeCheck)
      return (v) => options.some((o) => o(v))
    }
    case 'record': {
      if (def.keyType._zod.def.type !== 'string' || def.keyType._zod.def.checks?.length) return never
      const value = compileShapeCheck(def.valueType)
      return (v) => {
        if (!isObject(v)) return false
        for (const k in v) if (!value(v[k])) return false
        return true
      }
    }
    case 'object': {
      // only a loose object hands back what it was given; a strict or stripping one may not
      if (def.catchall?._zod.def.type !== 'unknown') return never
      const fields: Array<[string, ShapeCheck]> = Object.entries(def.shape as Record<string, z.ZodType>).map(
        ([k, s]) => [k, compileShapeCheck(s)],
      )
      return (v) => {
        if (!isObject(v)) return false
        for (const [k, check] of fields) if (!check(v[k])) return false
        return true
      }
    }
    default:
      return never
  }
}
