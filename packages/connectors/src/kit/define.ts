import type { ConnectorKind, ScannerConnector, ScmConnector, TrackerConnector } from '@vulnsync/core'

/** A connector vulnsync ships: its kind is one of CONNECTOR_KINDS. */
export type ShippedConnector =
  | ScannerConnector<ConnectorKind, any, any, any, any>
  | ScmConnector<ConnectorKind, any, any, any, any>
  | TrackerConnector<ConnectorKind, any, any>

/**
 * Declares a shipped connector (its folder's `index.ts`). The kind must be listed in CONNECTOR_KINDS
 * (packages/core/src/connector.ts), and registry.ts must hold an entry for every listed kind: a connector that is not
 * registered in both places fails to compile.
 */
export const defineConnector = <T extends ShippedConnector>(connector: T): T => connector
