import { canonicalRepoKey } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { parseThenMap } from '../kit/records.ts'
import { gitlabMessage, gitlabWaitMs } from './client.ts'
import { GitlabConfig } from './config.ts'
import diaspora from './fixtures/project-diaspora.json' with { type: 'json' }
import empty from './fixtures/project-empty.json' with { type: 'json' }
import nested from './fixtures/project-nested-archived.json' with { type: 'json' }
import { mapGitlabProject as mapProject } from './map.ts'
import { GitlabProject } from './raw.ts'

/** a raw project as the connector handles it: validated once by read, then mapped */
const mapGitlabProject = parseThenMap(GitlabProject, 'a GitLab project', mapProject)

describe('mapGitlabProject', () => {
  it('maps the documented example project', () => {
    expect(mapGitlabProject(diaspora)).toEqual({
      provider: 'gitlab',
      externalId: '4',
      fullName: 'diaspora/diaspora-client',
      cloneUrl: 'http://example.com/diaspora/diaspora-client.git',
      sshUrl: 'git@example.com:diaspora/diaspora-client.git',
      webUrl: 'http://example.com/diaspora/diaspora-client',
      defaultBranch: 'master',
      archived: false,
      visibility: 'private',
    })
  })

  it('keeps every nested group in fullName, and archived/internal', () => {
    expect(mapGitlabProject(nested)).toMatchObject({
      fullName: 'acme/platform/Backend/payments/Payments-API',
      archived: true,
      visibility: 'internal',
    })
  })

  it('gives web, clone and ssh-on-port-2222 URLs that reduce to one canonical key', () => {
    const r = mapGitlabProject(nested) as { webUrl: string; cloneUrl: string; sshUrl: string }
    expect(new Set([r.webUrl, r.cloneUrl, r.sshUrl].map((u) => canonicalRepoKey(u)))).toEqual(
      new Set(['gitlab.example.com/acme/platform/backend/payments/payments-api']),
    )
  })

  it('maps an empty repository with no default branch', () => {
    expect(mapGitlabProject(empty)).toMatchObject({ externalId: '99', defaultBranch: undefined, visibility: 'public' })
  })

  it('skips a record without id or path_with_namespace as invalid_record', () => {
    expect(mapGitlabProject({ path_with_namespace: 'a/b', web_url: 'https://gitlab.com/a/b' })).toMatchObject({
      skip: 'invalid_record',
    })
    expect(mapGitlabProject({ id: 1, web_url: 'https://gitlab.com/a/b' })).toMatchObject({ skip: 'invalid_record' })
    expect(mapGitlabProject(null)).toMatchObject({ skip: 'invalid_record' })
  })
})

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  url: 'https://gitlab.com/api/v4/projects',
  text: () => body,
  json: () => JSON.parse(body),
})

describe('gitlab client helpers', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)
  it('reads the plain-text 429 body and JSON error shapes', () => {
    expect(gitlabMessage(res(429, 'Retry later\n'))).toBe('Retry later')
    expect(gitlabMessage(res(401, '{"message":"401 Unauthorized"}'))).toBe('401 Unauthorized')
    expect(
      gitlabMessage(
        res(
          403,
          '{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}',
        ),
      ),
    ).toBe('insufficient_scope: The request requires higher privileges than provided by the access token.')
    expect(gitlabMessage(res(400, '{"message":{"name":["is too long"]}}'))).toBe('{"name":["is too long"]}')
  })
  it('waits Retry-After, else until RateLimit-Reset, else RateLimit-ResetTime', () => {
    expect(gitlabWaitMs(res(429, 'Retry later', { 'retry-after': '17' }), now)).toBe(17_000)
    expect(gitlabWaitMs(res(429, 'Retry later', { 'ratelimit-reset': String(now / 1000 + 40) }), now)).toBe(41_000)
    expect(
      gitlabWaitMs(res(429, 'Retry later', { 'ratelimit-resettime': new Date(now + 10_000).toUTCString() }), now),
    ).toBe(11_000)
    expect(gitlabWaitMs(res(429, 'Retry later'), now, 1)).toBe(60_000)
  })
})

describe('GitlabConfig', () => {
  it('strips a trailing slash and /api/v4 from the URL and slashes around the group', () => {
    expect(GitlabConfig.parse({ baseUrl: 'https://gitlab.example.com/api/v4/', group: '/acme/platform/' })).toEqual({
      baseUrl: 'https://gitlab.example.com',
      group: 'acme/platform',
    })
  })
  it('refuses a URL that is not http(s) and a group with spaces', () => {
    expect(GitlabConfig.safeParse({ baseUrl: 'ftp://x' }).success).toBe(false)
    expect(GitlabConfig.safeParse({ group: 'my group' }).success).toBe(false)
  })
})
