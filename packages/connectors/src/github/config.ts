import { z } from 'zod'
import { httpBaseUrl } from '../kit/schema.ts'

export const GITHUB_DEFAULT_BASE_URL = 'https://api.github.com'
export const GITHUB_API_VERSIONS = ['2022-11-28', '2026-03-10'] as const

const httpUrl = httpBaseUrl('https://api.github.com or https://github.example.com/api/v3')

export const GithubConfig = z.object({
  baseUrl: httpUrl.optional().meta({
    label: 'API base URL',
    help: 'Leave empty for github.com (https://api.github.com). GitHub Enterprise Server: https://HOST/api/v3. GHE.com data residency: https://api.SUBDOMAIN.ghe.com.',
    placeholder: GITHUB_DEFAULT_BASE_URL,
  }),
  org: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      'an organisation login is letters, digits and hyphens (as in github.com/<org>), e.g. "acme-corp"',
    )
    .optional()
    .meta({
      label: 'Organisation',
      help: 'The organisation whose repositories form the inventory (its login, as in github.com/<org>). Leave empty to import every repository the token can see (a personal access token), or the repositories of a GitHub App installation (an installation token, ghs_…).',
      placeholder: 'acme-corp',
    }),
  fixPullRequests: z.boolean().optional().meta({
    label: 'Open fix pull requests',
    help: 'Let vulnsync open pull requests that upgrade vulnerable dependencies (one per repository and manifest directory, on a vulnsync/fix/… branch). The token then needs write access: a fine-grained token with "Contents: write" and "Pull requests: write", a classic token with "repo", or a GitHub App with the same permissions.',
  }),
  apiVersion: z.enum(GITHUB_API_VERSIONS).optional().meta({
    label: 'REST API version',
    help: 'Sent as X-GitHub-Api-Version. Leave empty for 2022-11-28.',
    placeholder: '2022-11-28',
  }),
  skipCodeowners: z.boolean().optional().meta({
    label: 'Do not read CODEOWNERS files',
    help: 'CODEOWNERS files at the default branch say which team owns which path; reading them costs up to three calls per repository (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS) on each sync, and stops by itself when the rate-limit budget runs low. Tick to skip them (ownership then comes from rules, the scanners and default teams).',
  }),
})
export type GithubConfig = z.infer<typeof GithubConfig>

export const GithubSecrets = z.object({
  token: z.string().trim().min(1, 'the token is required').meta({
    label: 'Token',
    help: 'A fine-grained personal access token (GitHub → Settings → Developer settings → Personal access tokens → Fine-grained tokens) with the organisation as resource owner, "All repositories" and the read-only "Metadata" and "Contents" repository permissions (Contents: to read CODEOWNERS files); or a classic token with the "repo" scope (plus "read:org"), authorised for SAML SSO if the organisation enforces it; or a GitHub App installation token (ghs_…) of an app with "Metadata: read". Only public repositories are listed with the "public_repo" scope.',
    placeholder: 'github_pat_… or ghp_… or ghs_…',
    secret: true,
  }),
})
export type GithubSecrets = z.infer<typeof GithubSecrets>

/**
 * The REST base for a config: the default for github.com, and `https://github.com` (a common slip) mapped to
 * `https://api.github.com`. A GHES base is used as given: `check` explains when `/api/v3` is missing.
 */
export const githubApiBase = (config: Pick<GithubConfig, 'baseUrl'>): string => {
  const raw = (config.baseUrl ?? GITHUB_DEFAULT_BASE_URL).replace(/\/+$/, '')
  const u = new URL(raw)
  if (/^(www\.)?github\.com$/i.test(u.hostname) && (u.pathname === '/' || u.pathname === ''))
    return GITHUB_DEFAULT_BASE_URL
  return raw
}
