import { JFROG_SIM, type JfrogSimulator, startJfrogSimulator } from '@vulnsync/simulators/jfrog/index.ts'
import { describeConnectorContract } from '../kit/contract.ts'
import { jfrogConnector } from './index.ts'
import { words } from './words.ts'

const connection = (url: string, accessToken: string, username: string) => ({
  config: jfrogConnector.configSchema.parse({ platformUrl: `${url}/artifactory/`, username }),
  secrets: { accessToken },
})

describeConnectorContract(jfrogConnector, {
  start: (): Promise<JfrogSimulator> => startJfrogSimulator(), // three readable repositories: a checkpoint after each
  connection: (sim) => connection(sim.url, JFROG_SIM.readerToken, JFROG_SIM.readerUser),
  unauthorised: (sim) => connection(sim.url, 'wrong-token', JFROG_SIM.readerUser),
  forbidden: (sim) => connection(sim.url, JFROG_SIM.noReposToken, 'nobody'),
  unreachable: () => connection('http://127.0.0.1:9', JFROG_SIM.readerToken, JFROG_SIM.readerUser),
  says: {
    ok: /^connected to JFrog Artifactory .+ and Xray .+ at http:\/\/127\.0\.0\.1:\d+ as "vulnsync-reader": 3 local repositories readable$/,
    unauthorised: words.tokenRejected(
      JSON.stringify({ errors: [{ status: 401, message: 'Bad credentials' }] }),
      'vulnsync-reader',
    ),
    forbidden: words.nothingReadable('nobody'),
    unreachable: /^could not reach the JFrog Platform at http:\/\/127\.0\.0\.1:9: .+/,
  },
  recordId: (raw) => JSON.stringify([raw.repo, raw.path, raw.issue.issue_id, raw.issue.summary, raw.issue.cves]),
  unmappable: ([r]) => ({ raw: { ...r!, issue: { ...r!.issue, issue_type: 'license' } }, reason: 'not_vulnerability' }),
})
