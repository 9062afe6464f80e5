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

/** What a context is for: a check a person waits on, the location picker, a sync run, or one ticket push. */
export type ContextPurpose = 'check' | 'discover' | 'read' | 'push'

/** The one retry/timeout policy: how long each purpose may take in all, and how the HTTP client retries inside it. */
export const CONTEXT_POLICY: Record<ContextPurpose, { deadlineMs?: number; http: Partial<HttpClientOptions> }> = {
  // a person waits on the Connect form: one retry, 20 s a request, a minute in all
  check: { deadlineMs: 60_000, http: { maxRetries: 1, timeoutMs: 20_000 } },
  // the location picker: the client's retries, two minutes in all
  discover: { deadlineMs: 120_000, http: {} },
  // a sync: the client's retries, as long as it takes (it ends through the run's signal)
  read: { http: {} },
  // one ticket pushed to a tracker by the outbound job: two minutes, then the outbox tries again later
  push: { deadlineMs: 120_000, http: { maxRetries: 2, timeoutMs: 30_000 } },
}

export interface ConnectionContextOptions<C, S> {
  config: C
  secrets: S
  allowPrivateNetworks: boolean
  logger?: Logger
  /** the caller's signal (a run's cancel); the purpose's deadline is added to it */
  signal?: AbortSignal
  now?: () => Date
  sleep?: ((ms: number) => Promise<void>) | undefined
  progress?: (p: ProgressUpdate) => void
  /** overrides of the policy's HTTP options (tests: fast backoff) */
  http?: Partial<HttpClientOptions> | undefined
}

/**
 * The one place a connection's context is built, for the engine (`read`), the check (`check`) and the location
 * picker (`discover`): the connector's base URL, the guarded client and the purpose's retry/timeout policy.
 */
export const connectionContext = <C, S>(
  connector: { baseUrl(config: C): string },
  purpose: ContextPurpose,
  o: ConnectionContextOptions<C, S>,
): ConnectorContext<C, S> => {
  const policy = CONTEXT_POLICY[purpose]
  const deadline = policy.deadlineMs !== undefined ? AbortSignal.timeout(policy.deadlineMs) : undefined
  const signal = deadline && o.signal ? AbortSignal.any([o.signal, deadline]) : (o.signal ?? deadline)
  return createConnectorContext({
    config: o.config,
    secrets: o.secrets,
    baseUrl: connector.baseUrl(o.config),
    signal,
    logger: o.logger,
    allowPrivateNetworks: o.allowPrivateNetworks,
    now: o.now,
    sleep: o.sleep,
    progress: o.progress,
    http: { ...policy.http, ...o.http },
  })
}
