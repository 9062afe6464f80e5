// The connector catalogue (GET /api/v1/connectors): every kind the server ships, with its display data (title, logo
// letters, description) and form schemas. It changes only with the server: fetched once per page load (again after a
// failure) and shared by every page. Nothing in the web app keeps its own table of kinds.
import { useEffect, useSyncExternalStore } from 'react'
import { api, type ConnectorInfo } from './api.ts'
import { cap } from './format.ts'

export type Catalogue =
  | { status: 'loading' }
  | { status: 'ready'; items: ConnectorInfo[] }
  | { status: 'failed'; error: unknown }

let current: Catalogue = { status: 'loading' }
let pending: Promise<ConnectorInfo[]> | null = null
const listeners = new Set<() => void>()
const publish = (next: Catalogue) => {
  current = next
  for (const l of listeners) l()
}
const subscribe = (l: () => void) => {
  listeners.add(l)
  return () => {
    listeners.delete(l)
  }
}
const snapshot = () => current

/**
 * The catalogue, fetched at most once at a time. A failure is remembered until the next call retries; the retry does
 * not go back to 'loading' (what waits for the first answer does not wait again, and cannot loop).
 */
function loadConnectors(): Promise<ConnectorInfo[]> {
  if (!pending) {
    pending = api<{ items: ConnectorInfo[] }>('GET', '/connectors').then(
      (r) => {
        publish({ status: 'ready', items: r.items })
        return r.items
      },
      (e) => {
        pending = null
        publish({ status: 'failed', error: e })
        throw e
      },
    )
  }
  return pending
}

/** The catalogue, loaded on first use (and retried after a failure) by the component that asks. */
export function useConnectors(): Catalogue {
  const catalogue = useSyncExternalStore(subscribe, snapshot)
  useEffect(() => {
    if (current.status !== 'ready') loadConnectors().catch(() => {})
  }, [])
  return catalogue
}

export interface KindDisplay {
  title: string
  logoLetters: string
}

/**
 * How a connector kind is shown. A kind the server no longer ships (the source of a disconnected old connection) or a
 * catalogue that could not load falls back to the kind itself: "Snyk", "SN".
 */
export function kindDisplay(catalogue: Catalogue, kind: string): KindDisplay {
  const c = catalogue.status === 'ready' ? catalogue.items.find((i) => i.kind === kind) : undefined
  return c
    ? { title: c.title, logoLetters: c.logoLetters }
    : { title: cap(kind), logoLetters: kind.slice(0, 2).toUpperCase() }
}

/** kindDisplay against the shared catalogue; re-renders when it arrives. Does not start loading it (the shell does). */
export function useKindDisplay(): (kind: string) => KindDisplay {
  const catalogue = useSyncExternalStore(subscribe, snapshot)
  return (kind) => kindDisplay(catalogue, kind)
}

/** The title of a connector kind, for text ("Open in Endor Labs"). */
export function useKindTitle(): (kind: string) => string {
  const display = useKindDisplay()
  return (kind) => display(kind).title
}
