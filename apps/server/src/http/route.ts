import { type Principal, roleAtLeast } from '@vulnsync/db'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { ApiError } from './errors.ts'

export type Access = 'public' | 'viewer' | 'member' | 'admin'

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  access: Access
  summary: string
  tags?: string[]
  params?: P
  query?: Q
  body?: B
  /** response description for the OpenAPI document */
  responses?: Record<number, string>
  handler: (input: {
    params: z.infer<P>
    query: z.infer<Q>
    body: z.infer<B>
    principal: Principal
    req: FastifyRequest
    reply: FastifyReply
  }) => Promise<unknown>
}

interface Collected {
  method: string
  url: string
  summary: string
  tags: string[]
  access: Access
  params?: z.ZodType
  query?: z.ZodType
  body?: z.ZodType
  responses: Record<number, string>
}

// a NUL byte, or half of a UTF-16 surrogate pair: no database text column can hold either
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The path of the first string (or object key) in an input that text columns cannot store, if any. */
export const findUnstorable = (value: unknown, path: (string | number)[] = [], depth = 0): string | null => {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path.join('.') : null
  if (value === null || typeof value !== 'object' || depth > 64) return null
  for (const [k, v] of Object.entries(value)) {
    if (UNSTORABLE.test(k)) return [...path, '(key)'].join('.')
    const bad = findUnstorable(v, [...path, Array.isArray(value) ? Number(k) : k], depth + 1)
    if (bad !== null) return bad
  }
  return null
}

const statusFor = (where: string) => (where === 'body' ? 422 : 400)

const parse = <T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): any => {
  if (!schema) return value
  const bad = findUnstorable(value, [where])
  if (bad !== null)
    throw new ApiError(
      statusFor(where),
      'invalid_request',
      `${bad}: contains a NUL character or an unpaired UTF-16 surrogate, which vulnsync does not accept`,
      'send well-formed Unicode text without control character U+0000',
    )
  if (where === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value)))
    throw new ApiError(
      422,
      'invalid_request',
      `body: the request body must be a JSON object, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      'send a JSON object with Content-Type: application/json',
    )
  const r = schema.safeParse(value)
  if (!r.success) {
    const msg = r.error.issues
      .slice(0, 5)
      .map((i) => `${[where, ...i.path].join('.')}: ${i.message}`)
      .join('; ')
    throw new ApiError(
      statusFor(where),
      'invalid_request',
      msg,
      'fix the fields named and send the request again',
      r.error.issues,
    )
  }
  return r.data
}

/** Registers routes with zod validation at the edge and role checks; remembers them for the OpenAPI document. */
export const createRouter = (
  app: FastifyInstance,
  authenticate: (req: FastifyRequest) => Promise<Principal | null>,
) => {
  const collected: Collected[] = []
  const add = <P extends z.ZodType = z.ZodAny, Q extends z.ZodType = z.ZodAny, B extends z.ZodType = z.ZodAny>(
    def: RouteDef<P, Q, B>,
  ) => {
    collected.push({
      method: def.method,
      url: def.url,
      summary: def.summary,
      tags: def.tags ?? [],
      access: def.access,
      params: def.params,
      query: def.query,
      body: def.body,
      responses: def.responses ?? {},
    })
    app.route({
      method: def.method,
      url: def.url,
      handler: async (req, reply) => {
        let principal: Principal | null = null
        if (def.access !== 'public') {
          principal = await authenticate(req)
          if (!principal)
            throw new ApiError(
              401,
              'unauthenticated',
              'authentication required',
              'send Authorization: Bearer <API token>, or sign in to get a session cookie',
            )
          if (!roleAtLeast(principal.role, def.access))
            throw new ApiError(
              403,
              'forbidden',
              `this needs the ${def.access} role; you have ${principal.role}`,
              'ask an admin to change your role',
            )
        }
        const params = parse(def.params, req.params, 'params')
        const query = parse(def.query, req.query, 'query')
        // no body at all means an empty object; a body of `null` is refused like any other non-object
        const body = parse(def.body, req.body === undefined ? {} : req.body, 'body')
        const out = await def.handler({ params, query, body, principal: principal as Principal, req, reply })
        if (reply.sent) return reply
        return out === undefined ? reply.status(204).send() : out
      },
    })
  }
  const openapi = () => {
    const paths: Record<string, Record<string, unknown>> = {}
    for (const r of collected) {
      const path = r.url.replace(/:(\w+)/g, '{$1}')
      const parameters: unknown[] = []
      for (const [loc, schema] of [
        ['path', r.params],
        ['query', r.query],
      ] as const) {
        if (!schema) continue
        const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as any
        for (const [name, s] of Object.entries(js.properties ?? {}))
          parameters.push({ name, in: loc, required: loc === 'path' || (js.required ?? []).includes(name), schema: s })
      }
      paths[path] ??= {}
      paths[path]![r.method.toLowerCase()] = {
        summary: r.summary,
        tags: r.tags,
        ...(r.access === 'public' ? { security: [] } : { 'x-required-role': r.access }),
        parameters,
        ...(r.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) },
                },
              },
            }
          : {}),
        responses: {
          ...Object.fromEntries(Object.entries(r.responses).map(([k, v]) => [k, { description: v }])),
          ...(Object.keys(r.responses).length === 0 ? { 200: { description: 'OK' } } : {}),
          default: {
            description: 'error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      }
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'vulnsync API',
        version: '1',
        description: "One queue for every scanner's vulnerabilities. Authenticate with Authorization: Bearer <token>.",
      },
      servers: [{ url: '/' }],
      security: [{ bearer: [] }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'vulnsync_session' },
        },
        schemas: {
          Error: {
            type: 'object',
            properties: {
              error: {
                type: 'object',
                properties: {
                  code: { type: 'string' },
                  message: { type: 'string' },
                  hint: { type: 'string' },
                  reqId: { type: 'string' },
                },
                required: ['code', 'message'],
              },
            },
          },
        },
      },
      paths,
    }
  }
  return { add, openapi }
}
