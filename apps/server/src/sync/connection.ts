import type { AnyConnector } from '@vulnsync/core'
import type { ConnectionRow } from '@vulnsync/db'
import type { SecretBox } from '../secrets.ts'
import type { ConnectionForRun } from './engine.ts'

export type Registry = Record<string, AnyConnector>

/** The connector of a kind, looked up by the registry's own keys only (`constructor` or `__proto__` is no kind). */
export const connectorOf = (registry: Registry, kind: string): AnyConnector | undefined =>
  Object.hasOwn(registry, kind) ? registry[kind] : undefined

/** A stored connection as a run sees it: its credentials decrypted. */
export const connectionForRun = (box: SecretBox, c: ConnectionRow): ConnectionForRun => ({
  id: c.id,
  workspaceId: c.workspace_id,
  kind: c.kind,
  name: c.name,
  config: c.config,
  secrets: box.open(c.secrets_enc),
  locations: c.locations,
})
