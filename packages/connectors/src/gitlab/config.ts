import { z } from 'zod'
import { httpBaseUrl } from '../kit/schema.ts'

export const GITLAB_DEFAULT_BASE_URL = 'https://gitlab.com'

const httpUrl = httpBaseUrl('https://gitlab.com or https://gitlab.example.com').transform((v) =>
  v.replace(/\/api\/v4$/i, ''),
)

export const GitlabConfig = z.object({
  baseUrl: httpUrl.optional().meta({
    label: 'GitLab URL',
    help: 'Leave empty for gitlab.com. For a self-managed instance give its address, e.g. https://gitlab.example.com (the API is at /api/v4 below it).',
    placeholder: GITLAB_DEFAULT_BASE_URL,
  }),
  group: z
    .string()
    .trim()
    .transform((v) => v.replace(/^\/+|\/+$/g, ''))
    .pipe(
      z
        .string()
        .regex(
          /^(\d+|[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*)$/,
          'a group is its full path (e.g. "acme" or "acme/platform") or its numeric id',
        ),
    )
    .optional()
    .meta({
      label: 'Group',
      help: "Import only the projects of this group and its subgroups: its full path as in the URL (gitlab.com/<group>/<subgroup>) or its numeric id. Leave empty to import every project the token's user is a member of.",
      placeholder: 'acme/platform',
    }),
  fixPullRequests: z.boolean().optional().meta({
    label: 'Open fix merge requests',
    help: 'Let vulnsync open merge requests that upgrade vulnerable dependencies (one per project and manifest directory, on a vulnsync/fix/… branch). The token then needs the api scope and at least the Developer role on the projects.',
  }),
  skipCodeowners: z.boolean().optional().meta({
    label: 'Do not read CODEOWNERS files',
    help: 'CODEOWNERS files at the default branch say which team owns which path; reading them costs up to three calls per project (CODEOWNERS, docs/CODEOWNERS, .gitlab/CODEOWNERS) on each sync, and stops by itself when the rate-limit budget runs low. Tick to skip them (ownership then comes from rules, the scanners and default teams).',
  }),
})
export type GitlabConfig = z.infer<typeof GitlabConfig>

export const GitlabSecrets = z.object({
  token: z.string().trim().min(1, 'the token is required').meta({
    label: 'Access token',
    help: "A personal, group or project access token with the read_api scope (GitLab → Preferences → Access tokens, or the group's Settings → Access tokens with at least the Reporter role). It is sent as the PRIVATE-TOKEN header.",
    placeholder: 'glpat-…',
    secret: true,
  }),
})
export type GitlabSecrets = z.infer<typeof GitlabSecrets>

/** The instance URL (no trailing slash, no /api/v4). */
export const gitlabInstanceUrl = (config: Pick<GitlabConfig, 'baseUrl'>): string =>
  (config.baseUrl ?? GITLAB_DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/api\/v4$/i, '')

/** The REST base: `<instance>/api/v4`. */
export const gitlabApiBase = (config: Pick<GitlabConfig, 'baseUrl'>): string => `${gitlabInstanceUrl(config)}/api/v4`
