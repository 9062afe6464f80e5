/**
 * Maven repository simulator: `GET /<group as path>/<artifact>/maven-metadata.xml` for the catalog's Maven artifacts
 * (fixable/catalog.ts), as Maven Central lays it out; anything else answers 404 (plain text, as a repository does).
 *
 * ```ts
 * const sim = await startMavenSimulator()
 * sim.url   // http://127.0.0.1:PORT, the base of VULNSYNC_MAVEN_URL (a repository root like https://repo1.maven.org/maven2)
 * ```
 */
import { type Faults, type SimRequest, type Simulator, startSimulator } from '../kit/server.ts'
import { createMavenDataset, type MavenDataset } from './dataset.ts'

export type { MavenDataset } from './dataset.ts'
export { createMavenDataset } from './dataset.ts'

export interface MavenSimulatorOptions {
  dataset?: MavenDataset
  faults?: Faults
  port?: number
}

export interface MavenSimulator extends Simulator {
  dataset: MavenDataset
}

export const startMavenSimulator = async (o: MavenSimulatorOptions = {}): Promise<MavenSimulator> => {
  const dataset = o.dataset ?? createMavenDataset()
  const sim = await startSimulator({
    name: 'maven',
    port: o.port,
    faults: o.faults,
    errorBody: (status) => `${status}`,
    routes: [
      {
        method: 'GET',
        path: '/*',
        handler: (r: SimRequest) => {
          const parts = r.params['*']!.split('/').filter(Boolean)
          if (parts.at(-1) !== 'maven-metadata.xml' || parts.length < 3) return { status: 404, body: 'Not Found' }
          const artifact = parts.at(-2)!
          const group = parts.slice(0, -2).join('.')
          const doc = dataset.metadata(group, artifact)
          return doc
            ? { headers: { 'content-type': 'application/xml' }, body: doc }
            : { status: 404, body: 'Not Found' }
        },
      },
    ],
  })
  return Object.assign(sim, { dataset })
}
