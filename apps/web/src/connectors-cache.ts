import { api, type ConnectorInfo } from './api.ts'

let cache: Promise<ConnectorInfo[]> | null = null

/** The connector catalogue rarely changes: fetched once per page load. */
export function loadConnectors(): Promise<ConnectorInfo[]> {
  if (!cache)
    cache = api<{ items: ConnectorInfo[] }>('GET', '/connectors').then(
      (r) => r.items,
      (e) => {
        cache = null
        throw e
      },
    )
  return cache
}
