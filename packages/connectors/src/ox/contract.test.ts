import { type OxSimulator, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import { describeConnectorContract } from '../kit/contract.ts'
import { oxConnector } from './index.ts'
import { oxTuning } from './read.ts'
import { words } from './words.ts'

const connection = (baseUrl: string, apiToken: string) => ({
  config: oxConnector.configSchema.parse({ baseUrl }),
  secrets: { apiToken },
})

describeConnectorContract(oxConnector, {
  start: async (): Promise<OxSimulator> => {
    oxTuning.pageSize = 50 // the 111 in-scope issues of the captures in three pages
    return startOxSimulator()
  },
  connection: (sim) => connection(sim.url, sim.apiKey),
  unauthorised: (sim) => connection(sim.url, 'a-revoked-key'),
  forbidden: (sim) => {
    sim.setFaults({ denyIssues: true })
    return connection(sim.url, sim.apiKey)
  },
  unreachable: () => connection('http://127.0.0.1:9', 'x'),
  says: {
    ok: 'connected to OX Security: 29 applications, 635 issues visible',
    unauthorised: `${words.tokenRejected('HTTP 401')}: verify the API token is correct and has not expired`,
    forbidden: /^the OX API token was accepted but has no read access to issues \(OX said: ".+"\)$/,
    unreachable:
      /^could not reach OX Security at 127\.0\.0\.1:9 \(.+\): check that your network allows connections to OX Security's API$/,
  },
  recordId: (raw) => raw.issue.issueId,
  unmappable: ([r]) => ({
    raw: { ...r!, issue: { ...r!.issue, category: { name: 'Code Security' } } },
    reason: 'out_of_scope',
  }),
})
