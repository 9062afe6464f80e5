/**
 * npm registry simulator: packuments and tarballs of the catalog's npm packages (fixable/catalog.ts), enough for the
 * npm CLI to resolve and install from it (`npm install --package-lock-only`, `npm ci`) and for vulnsync's registry
 * client to list versions and deprecations.
 *
 * ```ts
 * const sim = await startNpmRegistrySimulator()
 * sim.url                      // http://127.0.0.1:PORT, the registry URL (npm --registry, VULNSYNC_NPM_REGISTRY)
 * sim.dataset.dist('lodash', '4.17.21', sim.url)   // tarball URL, shasum, integrity
 * ```
 *
 * Endpoints: GET /:name and GET /@scope%2f:name (the packument; the abbreviated form is the full one, which npm
 * accepts), GET /:name/-/:file.tgz (the tarball). Unknown packages answer 404 `{"error":"Not found"}` as the registry
 * does. Kit faults apply (rate limits, 5xx, latency).
 */
import { type Faults, type SimRequest, type SimResponse, type Simulator, startSimulator } from '../kit/server.ts'
import { createNpmDataset, type NpmDataset } from './dataset.ts'

export type { NpmDataset } from './dataset.ts'
export { createNpmDataset, tarball } from './dataset.ts'

export interface NpmRegistrySimulatorOptions {
  dataset?: NpmDataset
  faults?: Faults
  port?: number
}

export interface NpmRegistrySimulator extends Simulator {
  dataset: NpmDataset
}

const notFound: SimResponse = { status: 404, body: { error: 'Not found' } }

export const startNpmRegistrySimulator = async (o: NpmRegistrySimulatorOptions = {}): Promise<NpmRegistrySimulator> => {
  const dataset = o.dataset ?? createNpmDataset()
  let url = ''
  const packument = (name: string): SimResponse => {
    const doc = dataset.packument(name, url)
    return doc ? { headers: { 'content-type': 'application/json' }, body: doc } : notFound
  }
  const tgz = (name: string, file: string): SimResponse => {
    const t = dataset.tarball(name, file)
    return t ? { headers: { 'content-type': 'application/octet-stream' }, body: t } : notFound
  }
  const sim = await startSimulator({
    name: 'npm-registry',
    port: o.port,
    faults: o.faults,
    errorBody: (_status, message) => ({ error: message }),
    routes: [
      {
        method: 'GET',
        path: '/:scope/:name/-/:file',
        handler: (r: SimRequest) => tgz(`${r.params.scope}/${r.params.name}`, r.params.file!),
      },
      { method: 'GET', path: '/:name/-/:file', handler: (r: SimRequest) => tgz(r.params.name!, r.params.file!) },
      // `@scope%2fname` arrives decoded as one segment
      { method: 'GET', path: '/:name', handler: (r: SimRequest) => packument(r.params.name!) },
      {
        method: 'GET',
        path: '/:scope/:name',
        handler: (r: SimRequest) => packument(`${r.params.scope}/${r.params.name}`),
      },
    ],
  })
  url = sim.url
  return Object.assign(sim, { dataset })
}
