import type { ScmConnector } from '@vulnsync/core'
import { defineConnector } from '../kit/define.ts'
import { check } from './check.ts'
import { GitlabConfig, GitlabSecrets, gitlabApiBase } from './config.ts'
import { mapGitlabProject } from './map.ts'
import { gitlabMergeRequests } from './merge-requests.ts'
import type { GitlabProject, GitlabRecord } from './raw.ts'
import { discover, type GitlabCursor, read } from './read.ts'

export const gitlabConnector = defineConnector<
  ScmConnector<'gitlab', GitlabConfig, GitlabSecrets, GitlabRecord, GitlabCursor>
>({
  kind: 'gitlab',
  role: 'scm',
  title: 'GitLab',
  logoLetters: 'GL',
  description:
    "Project inventory from gitlab.com or a self-managed GitLab: a group with its subgroups, or every project the token's user is a member of.",
  help: "Create a personal, group or project access token with the read_api scope (GitLab → Preferences → Access tokens; for a group token: the group's Settings → Access tokens, role Reporter or higher). Give the group's full path to limit the import to it.",
  configSchema: GitlabConfig,
  secretsSchema: GitlabSecrets,
  baseUrl: (config) => gitlabApiBase(config),
  check,
  discover,
  read,
  map: (raw) => mapGitlabProject(raw),
  pullRequests: gitlabMergeRequests,
})
