import { type GitlabSimulator, startGitlabSimulator } from '@vulnsync/simulators/gitlab/index.ts'
import { describeConnectorContract } from '../kit/contract.ts'
import { gitlabConnector } from './index.ts'
import { words } from './words.ts'

const connection = (baseUrl: string, token: string) => ({
  config: gitlabConnector.configSchema.parse({ baseUrl }),
  secrets: { token },
})

describeConnectorContract(gitlabConnector, {
  start: (): Promise<GitlabSimulator> => startGitlabSimulator({ seed: 11, repos: 250 }),
  connection: (sim) => connection(sim.url, 'glpat-admin'),
  unauthorised: (sim) => connection(sim.url, 'glpat-wrong'),
  forbidden: (sim) => connection(sim.url, 'glpat-readuser'),
  unreachable: () => connection('http://127.0.0.1:9', 'glpat-admin'),
  says: {
    ok: /^Connected to GitLab as root-admin: \d+ projects the user is a member of\.$/,
    unauthorised: /^GitLab rejected the token \(HTTP 401(: .+)?\): check that it was copied whole/,
    forbidden: words.noReadApi(['read_user']),
    unreachable: /^could not reach 127\.0\.0\.1:9: /,
  },
  recordId: (raw) => String(raw.id),
  unmappable: ([r]) => ({ raw: { ...r!, web_url: null, http_url_to_repo: null }, reason: 'invalid_record' }),
})
