import { z } from 'zod'
import { httpBaseUrl } from '../kit/schema.ts'

/**
 * The platform root: what the admin types with `/artifactory` (or `/xray`, `/ui`) and trailing slashes removed.
 * Artifactory is at `<root>/artifactory`, Xray at `<root>/xray` (jfrog.md §1).
 */
export const platformRoot = (input: string): string => {
  let s = input
    .trim()
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
  for (;;) {
    const next = s.replace(/\/(artifactory|xray|ui)(\/.*)?$/i, '').replace(/\/+$/, '')
    if (next === s) break
    s = next
  }
  return s
}

const platformUrl = httpBaseUrl('https://acme.jfrog.io').transform(platformRoot)

export const JfrogConfig = z.object({
  platformUrl: platformUrl.meta({
    label: 'JFrog Platform URL',
    help: 'The address of your JFrog Platform, e.g. https://acme.jfrog.io (JFrog Cloud) or https://jfrog.acme.internal. A URL ending in /artifactory is accepted too. Xray must run on the same platform (at /xray).',
    placeholder: 'https://acme.jfrog.io',
  }),
  username: z.string().trim().min(1, 'the user name is required').meta({
    label: 'User name',
    help: 'The JFrog user the access token belongs to (shown top right in the JFrog Platform, under your profile). Used for the legacy API-key form and in messages.',
    placeholder: 'vulnsync-reader',
  }),
  versions: z.enum(['recent', 'all']).default('recent').meta({
    label: 'Versions that count',
    help: 'recent: the newest version of each artifact and image, plus every version downloaded or pulled in the last days below (Artifactory download statistics); all: every version kept in the repository. An issue is fixed once no counted version contains it.',
  }),
  recentDays: z.number().int().min(1).max(3650).default(90).meta({
    label: 'Recently used (days)',
    help: 'With "recent": a version downloaded or pulled within this many days counts.',
  }),
})
export type JfrogConfig = z.infer<typeof JfrogConfig>

export const JfrogSecrets = z.object({
  accessToken: z.string().trim().min(1, 'the access token is required').meta({
    label: 'Access token',
    help: 'A user-scoped access token: in the JFrog Platform open your profile (Edit Profile → Generate an Identity Token, a short reference token), or Administration → User Management → Access Tokens → Generate Token with scope "User" for the user above. The user needs a permission target granting Read on the local repositories to scan (and Xray must be enabled for them). vulnsync only reads: it never deploys, deletes or triggers scans.',
    placeholder: 'cmVmdGtuOjAxOj…',
    secret: true,
  }),
})
export type JfrogSecrets = z.infer<typeof JfrogSecrets>

/** jfrog-client-go `IsApiKey`: a legacy Artifactory API key starts with AKCp8 and is at least 73 characters long. */
export const isLegacyApiKey = (token: string): boolean => token.startsWith('AKCp8') && token.length >= 73
