/**
 * PyPI JSON API simulator: `GET /pypi/<name>/json` for the catalog's Python packages (fixable/catalog.ts), with yanked
 * releases as PEP 592 says (`yanked: true`, `yanked_reason`). Names are matched after PEP 503 normalisation
 * (`Jinja2`, `jinja_2`); an unknown project answers 404 `{"message": "Not Found"}`.
 *
 * ```ts
 * const sim = await startPypiSimulator()
 * sim.url   // http://127.0.0.1:PORT, the base of VULNSYNC_PYPI_URL
 * ```
 */
import { type Faults, type SimRequest, type Simulator, startSimulator } from '../kit/server.ts'
import { createPypiDataset, type PypiDataset } from './dataset.ts'

export type { PypiDataset } from './dataset.ts'
export { createPypiDataset } from './dataset.ts'

export interface PypiSimulatorOptions {
  dataset?: PypiDataset
  faults?: Faults
  port?: number
}

export interface PypiSimulator extends Simulator {
  dataset: PypiDataset
}

export const startPypiSimulator = async (o: PypiSimulatorOptions = {}): Promise<PypiSimulator> => {
  const dataset = o.dataset ?? createPypiDataset()
  const sim = await startSimulator({
    name: 'pypi',
    port: o.port,
    faults: o.faults,
    errorBody: (_status, message) => ({ message }),
    routes: [
      {
        method: 'GET',
        path: '/pypi/:name/json',
        handler: (r: SimRequest) => {
          const doc = dataset.project(r.params.name!)
          return doc ? { body: doc } : { status: 404, body: { message: 'Not Found' } }
        },
      },
    ],
  })
  return Object.assign(sim, { dataset })
}
