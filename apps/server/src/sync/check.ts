import { checkConnector, connectionContext } from '@vulnsync/connectors'
import type { AnyConnector } from '@vulnsync/core'
import type { EngineOptions } from './engine.ts'

/** Runs a connector's check with a connection's (decrypted or candidate) credentials, under the check policy. */
export const runCheck = (
  engine: Pick<EngineOptions, 'logger' | 'allowPrivateNetworks' | 'http' | 'sleep' | 'observe'>,
  connector: AnyConnector,
  config: unknown,
  secrets: unknown,
) =>
  checkConnector(
    connector,
    connectionContext(connector, 'check', {
      config,
      secrets,
      logger: engine.logger,
      allowPrivateNetworks: engine.allowPrivateNetworks,
      http: { ...engine.http, afterResponse: (res) => engine.observe?.(connector.kind, res.status) },
      sleep: engine.sleep,
    }),
  )
