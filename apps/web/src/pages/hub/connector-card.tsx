// A card per connector kind: what it is, whether it is connected, its connections, and Connect.
import type { Connection, ConnectorInfo } from '../../api.ts'
import { useCan } from '../../auth.tsx'
import { StatusBadge } from '../../components/badges.tsx'
import { Icon } from '../../components/icon.tsx'
import { KindIcon } from '../../components/kind.tsx'
import { ConnectionRow } from './connection-row.tsx'
import type { Modal } from './modal.ts'

export function ConnectorCard({
  connector,
  connections,
  onModal,
  onChanged,
}: {
  connector: ConnectorInfo
  connections: Connection[]
  onModal: (m: Modal) => void
  onChanged: () => void
}) {
  const isAdmin = useCan('admin')
  const headingId = `card-${connector.kind}`
  const errors = connections.filter((c) => c.status === 'error').length
  return (
    <article className="card connector-card" aria-labelledby={headingId} data-kind={connector.kind}>
      <div className="connector-head">
        <KindIcon kind={connector.kind} size="lg" />
        <div className="connector-title">
          <h3 id={headingId}>{connector.title}</h3>
          <p className="muted small">
            {connector.role === 'scm'
              ? 'Source control · repository inventory'
              : connector.role === 'tracker'
                ? 'Ticket tracker · two-way tickets'
                : 'Scanner · SCA and container vulnerabilities'}
          </p>
        </div>
        <div className="connector-state">
          {connections.length === 0 ? (
            <StatusBadge status="cancelled" label="Not connected" />
          ) : errors ? (
            <StatusBadge status="error" label={errors === connections.length ? 'Error' : `${errors} with errors`} />
          ) : (
            <StatusBadge
              status="active"
              label={connections.length === 1 ? 'Connected' : `${connections.length} connections`}
            />
          )}
        </div>
      </div>
      <p className="connector-desc">{connector.description}</p>
      {connections.length ? (
        <ul className="connection-list" aria-label={`${connector.title} connections`}>
          {connections.map((c) => (
            <ConnectionRow key={c.id} connection={c} connector={connector} onModal={onModal} onChanged={onChanged} />
          ))}
        </ul>
      ) : null}
      {isAdmin ? (
        <div className="card-actions">
          <button
            type="button"
            className={connections.length ? 'btn btn-secondary' : 'btn btn-primary'}
            onClick={() => onModal({ type: 'connect', connector })}
          >
            <Icon name="plug" />
            {connections.length ? `Add another ${connector.title} connection` : 'Connect'}
          </button>
        </div>
      ) : null}
    </article>
  )
}
