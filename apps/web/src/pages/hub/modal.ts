// The dialogs of the Integrations page: which one is open, and what each receives.
import { ApiError, type Connection, type ConnectorInfo } from '../../api.ts'

export type Modal =
  | { type: 'connect'; connector: ConnectorInfo }
  | { type: 'configure'; connector: ConnectorInfo; connection: Connection }
  | { type: 'reconnect'; connector: ConnectorInfo; connection: Connection }
  | { type: 'locations'; connector: ConnectorInfo; connection: Connection }
  | { type: 'disconnect'; connector: ConnectorInfo; connection: Connection }

/** What every dialog about one existing connection receives. */
export interface ConnectionDialogProps {
  connector: ConnectorInfo
  connection: Connection
  onClose: () => void
  /** the change is saved: close the dialog and reload the connections */
  onDone: () => void
}

/** The title of an error in a dialog whose save runs the connection check (422 check_failed when it fails). */
export const checkErrorTitle =
  (otherwise: string) =>
  (e: unknown): string =>
    e instanceof ApiError && e.code === 'check_failed' ? 'The connection check failed' : otherwise
