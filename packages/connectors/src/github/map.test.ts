import { canonicalRepoKey } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { parseLink } from '../kit/paging.ts'
import { parseThenMap } from '../kit/records.ts'
import { classifyRateLimit } from './client.ts'
import errors from './fixtures/errors.json' with { type: 'json' }
import installation from './fixtures/installation-repositories.json' with { type: 'json' }
import ghes from './fixtures/repo-ghes-legacy.json' with { type: 'json' }
import octocat from './fixtures/repo-octocat.json' with { type: 'json' }
import { mapGithubRepo as mapRepo } from './map.ts'
import { GithubRepo } from './raw.ts'

/** a raw repository as the connector handles it: validated once by read, then mapped */
const mapGithubRepo = parseThenMap(GithubRepo, 'a GitHub repository', mapRepo)

describe('mapGithubRepo', () => {
  it('maps the official example repository to a RepositoryRecord keyed on the numeric id', () => {
    expect(mapGithubRepo(octocat)).toEqual({
      provider: 'github',
      externalId: '1296269',
      fullName: 'octocat/Hello-World',
      cloneUrl: 'https://github.com/octocat/Hello-World.git',
      sshUrl: 'git@github.com:octocat/Hello-World.git',
      webUrl: 'https://github.com/octocat/Hello-World',
      defaultBranch: 'master',
      archived: false,
      visibility: 'public',
    })
  })

  it('keeps archived and internal visibility from an installation listing', () => {
    const rec = mapGithubRepo(installation.repositories[1])
    expect(rec).toMatchObject({
      externalId: '217723378',
      fullName: 'octo-org/octo-repo',
      archived: true,
      visibility: 'internal',
      defaultBranch: 'main',
    })
  })

  it('falls back to private/public when an old GHES answer has no visibility', () => {
    expect(mapGithubRepo(ghes)).toMatchObject({
      visibility: 'private',
      webUrl: 'https://ghe.example.com/Platform/API',
      defaultBranch: 'develop',
    })
  })

  it('gives web, clone and ssh URLs that all reduce to the same canonical key', () => {
    const rec = mapGithubRepo(octocat) as { webUrl: string; cloneUrl: string; sshUrl: string }
    const keys = new Set(
      [rec.webUrl, rec.cloneUrl, rec.sshUrl, (octocat as { git_url: string }).git_url].map((u) => canonicalRepoKey(u)),
    )
    expect([...keys]).toEqual(['github.com/octocat/hello-world'])
  })

  it('skips a record without id or full_name as invalid_record', () => {
    expect(mapGithubRepo({ full_name: 'a/b', html_url: 'https://github.com/a/b' })).toMatchObject({
      skip: 'invalid_record',
    })
    expect(mapGithubRepo({ id: 3, html_url: 'https://github.com/a/b' })).toMatchObject({ skip: 'invalid_record' })
    expect(mapGithubRepo('nonsense')).toMatchObject({ skip: 'invalid_record' })
  })

  it('tolerates unknown extra fields and nulls', () => {
    expect(mapGithubRepo({ ...octocat, default_branch: null, ssh_url: null, brand_new_field: { x: 1 } })).toMatchObject(
      { defaultBranch: undefined, sshUrl: undefined, externalId: '1296269' },
    )
  })
})

const res = (status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return {
    status,
    headers: new Headers(headers),
    url: 'https://api.github.com/x',
    text: () => text,
    json: () => JSON.parse(text),
  }
}

describe('classifyRateLimit', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)
  const reset = String(now / 1000 + 600)
  it('reads a 403 with remaining 0 as the primary limit, waiting until the reset', () => {
    const v = classifyRateLimit(
      res(403, errors.primaryRateLimit, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }),
      now,
    )
    expect(v).toMatchObject({ kind: 'primary', waitMs: 601_000 })
  })
  it('reads a 429 with remaining 0 as the primary limit too', () => {
    expect(
      classifyRateLimit(
        res(429, errors.primaryRateLimit, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }),
        now,
      )?.kind,
    ).toBe('primary')
  })
  it('reads a secondary limit with retry-after as that many seconds', () => {
    expect(
      classifyRateLimit(
        res(403, errors.secondaryRateLimit, { 'x-ratelimit-remaining': '4000', 'retry-after': '30' }),
        now,
      ),
    ).toMatchObject({ kind: 'secondary', waitMs: 30_000 })
  })
  it('waits a minute, then doubles, for a secondary limit without retry-after', () => {
    const r = res(403, errors.secondaryRateLimit, { 'x-ratelimit-remaining': '4000' })
    expect(classifyRateLimit(r, now, 0)?.waitMs).toBe(60_000)
    expect(classifyRateLimit(r, now, 1)?.waitMs).toBe(120_000)
  })
  it('recognises the old abuse-detection wording as secondary', () => {
    expect(classifyRateLimit(res(403, errors.abuseOld), now)?.kind).toBe('secondary')
  })
  it('leaves a permission 403 alone', () => {
    expect(classifyRateLimit(res(403, errors.integration, { 'x-ratelimit-remaining': '4999' }), now)).toBeNull()
    expect(classifyRateLimit(res(401, errors.badCredentials), now)).toBeNull()
  })
})

describe('parseLink', () => {
  const link =
    '<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first"'
  it('finds next and last in the documented header', () => {
    expect(parseLink(link)).toBe('https://api.github.com/repositories/1300192/issues?page=4')
    expect(parseLink(link, 'last')).toBe('https://api.github.com/repositories/1300192/issues?page=515')
  })
  it('is case-insensitive and returns null without a next', () => {
    expect(parseLink('<https://x/y?page=2>; rel="Next"')).toBe('https://x/y?page=2')
    expect(parseLink('<https://x/y?page=1>; rel="first"')).toBeNull()
    expect(parseLink(null)).toBeNull()
  })
})

describe('GithubConfig', () => {
  it('strips a trailing slash, maps github.com to the API host, keeps a GHES /api/v3 base', async () => {
    const { GithubConfig, githubApiBase } = await import('./config.ts')
    expect(GithubConfig.parse({ baseUrl: 'https://ghe.example.com/api/v3/', org: ' acme-corp ' })).toEqual({
      baseUrl: 'https://ghe.example.com/api/v3',
      org: 'acme-corp',
    })
    expect(githubApiBase({ baseUrl: 'https://github.com' })).toBe('https://api.github.com')
    expect(githubApiBase({})).toBe('https://api.github.com')
    expect(githubApiBase({ baseUrl: 'https://ghe.example.com/api/v3' })).toBe('https://ghe.example.com/api/v3')
  })
  it('refuses a non-http URL and an organisation with a slash', async () => {
    const { GithubConfig } = await import('./config.ts')
    expect(GithubConfig.safeParse({ baseUrl: 'file:///etc/passwd' }).success).toBe(false)
    expect(GithubConfig.safeParse({ org: 'acme/api' }).success).toBe(false)
  })
})
