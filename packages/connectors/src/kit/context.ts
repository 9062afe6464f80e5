import type { ConnectorContext, HttpClient, Logger, ProgressUpdate } from '@vulnsync/core'
import { abortableSleep, createHttpClient, type HttpClientOptions } from './http.ts'

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export interface ContextOptions<C, S> {
  config: C
  secrets: S
  baseUrl?: string
  signal?: AbortSignal
  logger?: Logger
  allowPrivateNetworks?: boolean
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
  progress?: (p: ProgressUpdate) => void
  http?: Partial<HttpClientOptions>
  /** use this client instead of building one (tests of the client itself) */
  client?: HttpClient
}

/** Builds what a connector sees: config, decrypted secrets, the guarded client, logger, abort signal, clock. */
export const createConnectorContext = <C, S>(o: ContextOptions<C, S>): ConnectorContext<C, S> => {
  const signal = o.signal ?? new AbortController().signal
  const logger = o.logger ?? silentLogger
  const sleep = o.sleep ?? ((ms: number) => abortableSleep(ms, signal))
  const progress = o.progress ?? (() => {})
  const http =
    o.client ??
    createHttpClient({
      baseUrl: o.baseUrl,
      signal,
      logger,
      allowPrivateNetworks: o.allowPrivateNetworks ?? false,
      sleep: (ms) => sleep(ms),
      onWait: (ms, reason) => {
        if (ms >= 2_000)
          progress({ pausedUntil: new Date(Date.now() + ms), message: `waiting ${Math.ceil(ms / 1000)} s (${reason})` })
      },
      ...o.http,
    })
  return {
    config: o.config,
    secrets: o.secrets,
    http,
    logger,
    signal,
    now: o.now ?? (() => new Date()),
    sleep,
    progress,
  }
}
