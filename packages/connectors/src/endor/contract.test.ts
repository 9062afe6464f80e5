import { type EndorSimulator, startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { describeConnectorContract } from '../kit/contract.ts'
import { endorConnector } from './index.ts'
import { words } from './words.ts'

const KEY = { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' }
const connection = (baseUrl: string, namespace = 'acme', secrets = KEY) => ({
  config: endorConnector.configSchema.parse({ namespace, baseUrl }),
  secrets,
})

describeConnectorContract(endorConnector, {
  start: (): Promise<EndorSimulator> => startEndorSimulator({ findings: 1200 }), // three pages of 500
  connection: (sim) => connection(sim.url),
  unauthorised: (sim) => connection(sim.url, 'acme', { ...KEY, apiSecret: 'endr+wrong' }),
  forbidden: (sim) => connection(sim.url, 'globex'),
  unreachable: () => connection('http://127.0.0.1:9'),
  says: {
    ok: /^connected to Endor Labs namespace acme: \d+ projects visible$/,
    unauthorised: words.keyRejected(401),
    forbidden: words.namespaceDenied('globex'),
    unreachable: words.unreachable('could not reach 127.0.0.1:9: connection refused'),
  },
  recordId: (raw) => raw.finding.uuid,
  unmappable: ([r]) => ({
    raw: { ...r!, finding: { ...r!.finding, context: { type: 'CONTEXT_TYPE_CI_RUN' } } },
    reason: 'non_main_context',
  }),
})
