// The Integrations page (Integration Hub): scanners, source control and ticket trackers, one card per connector kind.
import { useEffect, useState } from 'react'
import { api, type Connection, isRunning } from '../../api.ts'
import { ErrorBox, Spinner } from '../../components/feedback.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { useConnectors } from '../../connectors-cache.ts'
import { useInterval, useLoad } from '../../hooks.ts'
import { ConfigureDialog } from './configure-dialog.tsx'
import { ConnectDialog } from './connect-dialog.tsx'
import { ConnectorCard } from './connector-card.tsx'
import { DisconnectDialog } from './disconnect-dialog.tsx'
import { LocationsDialog } from './locations-picker.tsx'
import type { Modal } from './modal.ts'
import { ReconnectDialog } from './reconnect-dialog.tsx'

export function HubPage() {
  useEffect(() => {
    document.title = 'Integrations · vulnsync'
  }, [])
  // the catalogue comes in the server's registry order: OX, Endor Labs, JFrog, GitHub, GitLab
  const catalogue = useConnectors()
  const connectors = catalogue.status === 'ready' ? catalogue.items : []
  const connections = useLoad('connections', (s) => api<{ items: Connection[] }>('GET', '/connections', undefined, s))
  const [modal, setModal] = useState<Modal | null>(null)
  const anyRunning = (connections.data?.items ?? []).some((c) => isRunning(c.lastRun))
  useInterval(connections.reload, anyRunning ? 2000 : 30000, true)

  const scanners = connectors.filter((c) => c.role === 'scanner')
  const scms = connectors.filter((c) => c.role === 'scm')
  const trackers = connectors.filter((c) => c.role === 'tracker')
  const byKind = (kind: string) => (connections.data?.items ?? []).filter((c) => c.kind === kind)

  const close = () => setModal(null)
  const done = () => {
    setModal(null)
    connections.reload()
  }

  return (
    <>
      <PageHeader
        title="Integrations"
        subtitle="Connect your scanners to import their vulnerabilities, your source control to map them to repositories, and your ticket tracker to work them there."
      />
      <ErrorBox error={(catalogue.status === 'failed' ? catalogue.error : null) ?? connections.error} />
      {catalogue.status === 'loading' ? <Spinner /> : null}
      {[
        { id: 'hub-scanners', title: 'Scanners', items: scanners },
        { id: 'hub-scm', title: 'Source control', items: scms },
        { id: 'hub-trackers', title: 'Ticket trackers', items: trackers },
      ].map((group) =>
        group.items.length ? (
          <section key={group.id} aria-labelledby={group.id}>
            <h2 id={group.id} className="section-title">
              {group.title}
            </h2>
            <div className="card-grid">
              {group.items.map((c) => (
                <ConnectorCard
                  key={c.kind}
                  connector={c}
                  connections={byKind(c.kind)}
                  onModal={setModal}
                  onChanged={connections.reload}
                />
              ))}
            </div>
          </section>
        ) : null,
      )}
      {modal?.type === 'connect' ? (
        <ConnectDialog
          connector={modal.connector}
          existing={byKind(modal.connector.kind)}
          onClose={close}
          onDone={done}
        />
      ) : null}
      {modal?.type === 'configure' ? (
        <ConfigureDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
      {modal?.type === 'reconnect' ? (
        <ReconnectDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
      {modal?.type === 'locations' ? (
        <LocationsDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
      {modal?.type === 'disconnect' ? (
        <DisconnectDialog connector={modal.connector} connection={modal.connection} onClose={close} onDone={done} />
      ) : null}
    </>
  )
}
