// The Integrations page (Integration Hub): scanners and source control, one card per connector kind.
import { useEffect, useMemo, useState } from 'react'
import { api, type Connection, type ConnectorInfo, isRunning } from '../../api.ts'
import { ErrorBox, Spinner } from '../../components/feedback.tsx'
import { PageHeader } from '../../components/page-header.tsx'
import { useInterval, useLoad } from '../../hooks.ts'
import { ConfigureDialog } from './configure-dialog.tsx'
import { ConnectDialog } from './connect-dialog.tsx'
import { ConnectorCard } from './connector-card.tsx'
import { DisconnectDialog } from './disconnect-dialog.tsx'
import { LocationsDialog } from './locations-picker.tsx'
import type { Modal } from './modal.ts'
import { ReconnectDialog } from './reconnect-dialog.tsx'

const KIND_ORDER = ['ox', 'endor', 'jfrog', 'github', 'gitlab']

export function HubPage() {
  useEffect(() => {
    document.title = 'Integrations · vulnsync'
  }, [])
  const connectors = useLoad('connectors', (s) => api<{ items: ConnectorInfo[] }>('GET', '/connectors', undefined, s))
  const connections = useLoad('connections', (s) => api<{ items: Connection[] }>('GET', '/connections', undefined, s))
  const [modal, setModal] = useState<Modal | null>(null)
  const anyRunning = (connections.data?.items ?? []).some((c) => isRunning(c.lastRun))
  useInterval(connections.reload, anyRunning ? 2000 : 30000, true)

  const sorted = useMemo(
    () =>
      [...(connectors.data?.items ?? [])].sort((a, b) => {
        const ia = KIND_ORDER.indexOf(a.kind)
        const ib = KIND_ORDER.indexOf(b.kind)
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib)
      }),
    [connectors.data],
  )
  const scanners = sorted.filter((c) => c.role !== 'scm')
  const scms = sorted.filter((c) => c.role === 'scm')
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
        subtitle="Connect your scanners to import their vulnerabilities, and your source control to map them to repositories."
      />
      <ErrorBox error={connectors.error ?? connections.error} />
      {!connectors.data && connectors.loading ? <Spinner /> : null}
      {[
        { id: 'hub-scanners', title: 'Scanners', items: scanners },
        { id: 'hub-scm', title: 'Source control', items: scms },
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
