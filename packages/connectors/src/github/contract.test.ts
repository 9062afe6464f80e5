import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { describeConnectorContract } from '../kit/contract.ts'
import { githubConnector } from './index.ts'
import { words } from './words.ts'

const connection = (baseUrl: string, token: string) => ({
  config: githubConnector.configSchema.parse({ baseUrl, org: 'acme-corp' }),
  secrets: { token },
})

describeConnectorContract(githubConnector, {
  start: (): Promise<GithubSimulator> => startGithubSimulator({ seed: 11, repos: 250, org: 'acme-corp' }),
  connection: (sim) => connection(sim.apiUrl, 'ghp_admin'),
  unauthorised: (sim) => connection(sim.apiUrl, 'ghp_wrong'),
  forbidden: (sim) => connection(sim.apiUrl, 'github_pat_restricted'),
  unreachable: () => connection('http://127.0.0.1:9', 'ghp_admin'),
  says: {
    ok: /^Connected to GitHub as \S+: organisation acme-corp, 250 repositories visible\.$/,
    unauthorised: words.tokenRejected(': Bad credentials'),
    forbidden:
      /^the token may not .+ \(HTTP 403: .+\): give a fine-grained token access to the organisation's repositories/,
    unreachable: /^could not reach 127\.0\.0\.1:9: /,
  },
  recordId: (raw) => String(raw.id),
  unmappable: ([r]) => ({ raw: { ...r!, html_url: null, url: null }, reason: 'invalid_record' }),
})
