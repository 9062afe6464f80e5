import pino from 'pino'

/** Keys whose values never reach a log line, wherever they appear (two levels deep; deeper is never logged). */
export const REDACT_KEYS = [
  'token',
  'apiToken',
  'accessToken',
  'apiKey',
  'apiSecret',
  'secret',
  'secrets',
  'password',
  'privateKey',
  'authorization',
  'Authorization',
  'cookie',
  'PRIVATE-TOKEN',
  'private-token',
  'x-api-key',
]

const paths = [
  ...REDACT_KEYS.map((k) => (/^[a-zA-Z]+$/.test(k) ? k : `["${k}"]`)),
  ...REDACT_KEYS.map((k) => (/^[a-zA-Z]+$/.test(k) ? `*.${k}` : `*["${k}"]`)),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
]

export type AppLogger = pino.Logger

export const createLogger = (o: { level?: string; destination?: pino.DestinationStream } = {}): AppLogger =>
  pino(
    {
      level: o.level ?? 'info',
      redact: { paths, censor: '[redacted]' },
      base: { service: 'vulnsync' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    o.destination,
  )
