import type { ScmConnector } from '@vulnsync/core'
import { defineConnector } from '../kit/define.ts'
import { check } from './check.ts'
import { GithubConfig, GithubSecrets, githubApiBase } from './config.ts'
import { mapGithubRepo } from './map.ts'
import { githubPullRequests } from './pulls.ts'
import type { GithubRecord, GithubRepo } from './raw.ts'
import { discover, type GithubCursor, read } from './read.ts'

export const githubConnector = defineConnector<
  ScmConnector<'github', GithubConfig, GithubSecrets, GithubRecord, GithubCursor>
>({
  kind: 'github',
  role: 'scm',
  title: 'GitHub',
  logoLetters: 'GH',
  description:
    'Repository inventory from GitHub.com or GitHub Enterprise Server: an organisation, everything a token can see, or a GitHub App installation.',
  help: 'Create a fine-grained personal access token (Settings → Developer settings → Personal access tokens) with the organisation as resource owner, access to all repositories and the read-only "Metadata" and "Contents" permissions (Contents: to read CODEOWNERS files); or a classic token with "repo" and "read:org"; or use a GitHub App installation token (Metadata: read, Contents: read). Authorise classic tokens for SAML SSO when the organisation enforces it.',
  configSchema: GithubConfig,
  secretsSchema: GithubSecrets,
  baseUrl: (config) => githubApiBase(config),
  check,
  discover,
  read,
  map: (raw) => mapGithubRepo(raw),
  pullRequests: githubPullRequests,
})
