import { isStorableText } from '@vulnsync/core'
import { type Principal, roleAtLeast } from '@vulnsync/db'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { ApiError } from './errors.ts'

export type Access = 'public' | 'viewer' | 'member' | 'admin'

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  access: Access
  summary: string
  tags?: string[]
  params?: P
  query?: Q
  body?: B
  /**
   * The success body's schema, from @vulnsync/api: the handler must return its type, the OpenAPI document describes
   * it, and tests validate every response against it. Absent for routes that answer 204 or stream a file.
   */
  response?: R
  /** the success status (default 200; 204 when there is no response schema) */
  status?: 200 | 201 | 202
  /** a success status that depends on the answer (201 once created, 200 for a dry run) */
  statusOf?: (out: any) => 200 | 201
  /** descriptions of other statuses for the OpenAPI document */
  responses?: Record<number, string>
  /** the media type of a streamed success body (CSV export) */
  produces?: string
  handler: (input: {
    params: z.infer<P>
    query: z.infer<Q>
    body: z.infer<B>
    principal: Principal
    req: FastifyRequest
    reply: FastifyReply
  }) => Promise<z.input<R> | undefined | FastifyReply>
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
  response?: z.ZodType
  status: number
  produces?: string
  responses: Record<number, string>
}

/** The path of the first string (or object key) in an input that text columns cannot store, if any. */
export const findUnstorable = (value: unknown, path: (string | number)[] = [], depth = 0): string | null => {
  if (typeof value === 'string') return isStorableText(value) ? null : path.join('.')
  if (value === null || typeof value !== 'object' || depth > 64) return null
  for (const [k, v] of Object.entries(value)) {
    if (!isStorableText(k)) return [...path, '(key)'].join('.')
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
  o: { validateResponses?: boolean } = {},
) => {
  const collected: Collected[] = []
  const add = <
    P extends z.ZodType = z.ZodAny,
    Q extends z.ZodType = z.ZodAny,
    B extends z.ZodType = z.ZodAny,
    R extends z.ZodType = z.ZodUnknown,
  >(
    def: RouteDef<P, Q, B, R>,
  ) => {
    const status = def.status ?? (def.response || def.produces ? 200 : 204)
    collected.push({
      method: def.method,
      url: def.url,
      summary: def.summary,
      tags: def.tags ?? [],
      access: def.access,
      params: def.params,
      query: def.query,
      body: def.body,
      response: def.response,
      status,
      produces: def.produces,
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
        if (reply.sent || out === reply) return reply
        if (out === undefined) return reply.status(204).send()
        if (o.validateResponses && def.response) {
          const r = def.response.safeParse(out)
          if (!r.success)
            throw new Error(`response of ${def.method} ${def.url} breaks its schema: ${r.error.message.slice(0, 2000)}`)
        }
        return reply.status(def.statusOf?.(out) ?? def.status ?? 200).send(out)
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
          [r.status]: {
            description: r.responses[r.status] ?? (r.status === 204 ? 'done; no content' : 'OK'),
            ...(r.response
              ? {
                  content: {
                    'application/json': {
                      schema: z.toJSONSchema(r.response, { io: 'output', unrepresentable: 'any' }),
                    },
                  },
                }
              : r.produces
                ? { content: { [r.produces]: { schema: { type: 'string' } } } }
                : {}),
          },
          ...Object.fromEntries(
            Object.entries(r.responses)
              .filter(([k]) => Number(k) !== r.status)
              .map(([k, v]) => [k, { description: v }]),
          ),
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

export type Router = ReturnType<typeof createRouter>
