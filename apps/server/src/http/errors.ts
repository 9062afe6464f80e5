import { UpstreamError } from '@vulnsync/core'
import { InputError } from '@vulnsync/db'
import type { FastifyError, FastifyInstance } from 'fastify'
import { ZodError } from 'zod'

/** A typed error a route throws; the one error handler below turns it into `{error:{code,message,hint}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
    /** response headers the error needs, such as Retry-After on a 429 */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, 'not_found', `${what} ${id} does not exist`, `list them with GET /api/v1/${what}s`)

export const zodMessage = (err: ZodError, where: string): string =>
  err.issues
    .slice(0, 5)
    .map((i) => `${[where, ...i.path].filter((p) => p !== '').join('.')}: ${i.message}`)
    .join('; ')

/** The one place errors become HTTP. Database and internal errors are masked; every body carries the request id. */
export const installErrorHandler = (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError | ApiError | ZodError | Error, req, reply) => {
    const reqId = req.id
    if (err instanceof ApiError) {
      if (err.headers) reply.headers(err.headers)
      return reply.status(err.status).send({
        error: {
          code: err.code,
          message: err.message,
          ...(err.hint ? { hint: err.hint } : {}),
          ...(err.details ? { details: err.details } : {}),
          reqId,
        },
      })
    }
    if (err instanceof InputError)
      return reply.status(err.status).send({
        error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), reqId },
      })
    // a vendor refused or failed a call made for the request (a fix pull request): its words, as a bad gateway
    if (err instanceof UpstreamError)
      return reply.status(502).send({
        error: {
          code: `upstream_${err.kind}`,
          message: err.message,
          hint:
            err.kind === 'permission' ? 'give the connection a token with the permission named' : `check ${err.host}`,
          reqId,
        },
      })
    if (err instanceof ZodError) {
      return reply.status(422).send({
        error: {
          code: 'invalid_request',
          message: zodMessage(err, ''),
          hint: 'fix the fields named and send the request again',
          details: err.issues,
          reqId,
        },
      })
    }
    const fe = err as FastifyError
    if (
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (fe.statusCode === 400 && /JSON/i.test(fe.message))
    )
      return reply.status(400).send({
        error: {
          code: 'invalid_json',
          message: 'the request body is not valid JSON',
          hint: 'send a JSON object with Content-Type: application/json',
          reqId,
        },
      })
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.status(415).send({
        error: {
          code: 'unsupported_media_type',
          message: 'the request body must be JSON',
          hint: 'set Content-Type: application/json',
          reqId,
        },
      })
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.status(413).send({ error: { code: 'too_large', message: 'the request body is too large', reqId } })
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      return reply.status(fe.statusCode).send({ error: { code: 'bad_request', message: fe.message, reqId } })
    req.log.error({ err: { message: err.message, stack: err.stack } }, 'unhandled error')
    return reply.status(500).send({
      error: { code: 'internal', message: 'an internal error occurred; the request id is in the server log', reqId },
    })
  })
}
