import type { ProgressUpdate, ReadEvent } from '@vulnsync/core'
import { UpstreamError } from '@vulnsync/core'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import type { GithubConfig, GithubSecrets } from './config.ts'
import { githubConnector } from './index.ts'
import type { GithubRecord, GithubRepo } from './raw.ts'
import type { GithubCursor } from './read.ts'

const REPOS = 1234

const ctxFor = (sim: { apiUrl: string }, token: string, config: Partial<GithubConfig> = { org: 'acme-corp' }) => {
  const waits: number[] = []
  const progress: ProgressUpdate[] = []
  const ctx = createConnectorContext<GithubConfig, GithubSecrets>({
    config: { baseUrl: sim.apiUrl, ...config },
    secrets: { token },
    allowPrivateNetworks: true,
    sleep: async (ms) => {
      waits.push(ms)
    },
    progress: (p) => progress.push(p),
  })
  return { ctx, waits, progress }
}

type Ev = ReadEvent<GithubRepo, GithubCursor>
const collect = async (it: AsyncIterable<Ev>): Promise<Ev[]> => {
  const out: Ev[] = []
  for await (const e of it) out.push(e)
  return out
}
const records = (evs: Ev[]) =>
  evs.filter((e): e is Extract<Ev, { type: 'record' }> => e.type === 'record').map((e) => e.raw)
const checkpoints = (evs: Ev[]) =>
  evs.filter((e): e is Extract<Ev, { type: 'checkpoint' }> => e.type === 'checkpoint').map((e) => e.cursor)

let sim: GithubSimulator
beforeAll(async () => {
  sim = await startGithubSimulator({ seed: 7, repos: REPOS, org: 'Acme-Corp' })
})
afterAll(async () => {
  await sim.close()
})
beforeEach(() => {
  sim.setFaults({})
  sim.resetStats()
})

describe('github read against the simulator', () => {
  it('reads every organisation repository across 13 pages of 100, following link rel=next, with a checkpoint per page', async () => {
    const { ctx } = ctxFor(sim, 'ghp_admin')
    const evs = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
    const ids = records(evs).map((r) => r.id)
    expect(ids).toHaveLength(REPOS)
    expect(new Set(ids).size).toBe(REPOS)
    expect(ids.sort()).toEqual(sim.visibleIds('ghp_admin').sort())
    expect(sim.stats.byRoute['GET /orgs/:org/repos']).toBe(13)
    const cps = checkpoints(evs)
    expect(cps).toHaveLength(12)
    expect(cps[0]).toMatchObject({ listing: 'org', pages: 1 })
    expect(cps[0]!.next).toContain('page=2')
    expect(cps[0]!.next).toContain('per_page=100')
    expect(
      evs.filter((e) => e.type === 'record').every((e) => (e as { scope?: string }).scope === 'org:acme-corp'),
    ).toBe(true)
  })

  it('maps archived repositories and all three visibilities', async () => {
    const { ctx } = ctxFor(sim, 'ghp_admin')
    const recs = records(await collect(githubConnector.read(ctx, { selection: null, cursor: null }))).map((r) =>
      githubConnector.map(r, { fetchedAt: new Date() }),
    )
    const mapped = recs.filter((r): r is Exclude<typeof r, { skip: string }> => !('skip' in r))
    expect(mapped).toHaveLength(REPOS)
    expect(mapped.filter((r) => r.archived).length).toBeGreaterThan(40)
    expect(new Set(mapped.map((r) => r.visibility))).toEqual(new Set(['public', 'private', 'internal']))
    expect(mapped[0]).toMatchObject({
      provider: 'github',
      webUrl: expect.stringMatching(/^https:\/\/github\.com\/Acme-Corp\//),
      sshUrl: expect.stringMatching(/^git@github\.com:Acme-Corp\//),
    })
  })

  it('gives a token restricted to public repositories only those', async () => {
    const { ctx } = ctxFor(sim, 'ghp_public')
    const recs = records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))
    expect(recs.length).toBe(sim.visibleIds('ghp_public').length)
    expect(recs.length).toBeLessThan(REPOS / 2)
    expect(recs.every((r) => r.visibility === 'public')).toBe(true)
  })

  it('lists an app installation (ghs_ token, no org) through /installation/repositories', async () => {
    const { ctx } = ctxFor(sim, 'ghs_installation', {})
    const evs = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
    expect(records(evs).map((r) => r.id)).toEqual(sim.visibleIds('ghs_installation'))
    expect(sim.stats.byRoute['GET /installation/repositories']).toBe(
      Math.ceil(sim.visibleIds('ghs_installation').length / 100),
    )
    expect(checkpoints(evs)[0]).toMatchObject({ listing: 'installation' })
  })

  it('lists the repositories of a user token without org through /user/repos', async () => {
    const { ctx } = ctxFor(sim, 'ghp_admin', {})
    const recs = records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))
    expect(recs).toHaveLength(REPOS)
    expect(sim.stats.byRoute['GET /user/repos']).toBe(13)
  })

  it('falls back to /installation/repositories when an installation token without ghs_ prefix gets 403 from /user/repos', async () => {
    const s = await startGithubSimulator({
      seed: 1,
      repos: 250,
      tokens: { 'v1.0123abcd': { type: 'installation', repoIds: undefined } },
    })
    try {
      const { ctx } = ctxFor(s, 'v1.0123abcd', {})
      const recs = records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))
      expect(recs).toHaveLength(250)
      expect(s.stats.byRoute['GET /user/repos']).toBe(1)
      expect(s.stats.byRoute['GET /installation/repositories']).toBe(3)
    } finally {
      await s.close()
    }
  })

  it('resumes from a checkpoint cursor (JSON round-trip) and reads only the rest', async () => {
    const { ctx } = ctxFor(sim, 'ghp_admin')
    const all = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
    const cursor = JSON.parse(JSON.stringify(checkpoints(all)[4])) as GithubCursor
    const firstFive = records(all)
      .slice(0, 500)
      .map((r) => r.id)
    sim.resetStats()
    const rest = records(await collect(githubConnector.read(ctx, { selection: null, cursor }))).map((r) => r.id)
    expect(rest).toHaveLength(REPOS - 500)
    expect(sim.stats.byRoute['GET /orgs/:org/repos']).toBe(8)
    expect(new Set([...firstFive, ...rest]).size).toBe(REPOS)
  })

  it('waits out a primary limit (403, remaining 0) until x-ratelimit-reset instead of failing', async () => {
    sim.setFaults({ primaryLimitNext: 1, primaryResetSeconds: 120 })
    const { ctx, waits, progress } = ctxFor(sim, 'ghp_admin')
    const recs = records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))
    expect(recs).toHaveLength(REPOS)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThan(118_000)
    expect(waits[0]).toBeLessThanOrEqual(121_000)
    expect(progress.some((p) => p.pausedUntil instanceof Date)).toBe(true)
    expect(sim.stats.statuses[403]).toBe(1)
  })

  it('waits out a primary limit answered as 429', async () => {
    sim.setFaults({ primaryLimitNext: 2, primaryStatus: 429, primaryResetSeconds: 30 })
    const { ctx, waits } = ctxFor(sim, 'ghp_admin')
    expect(records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(REPOS)
    expect(waits).toHaveLength(2)
    expect(waits.every((w) => w > 28_000 && w <= 31_000)).toBe(true)
  })

  it('pauses before the next call when a successful answer says remaining 0, without taking a 403', async () => {
    sim.setFaults({ primaryRemainingZeroNext: 1, primaryResetSeconds: 45 })
    const { ctx, waits } = ctxFor(sim, 'ghp_admin')
    expect(records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(REPOS)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThan(43_000)
    expect(sim.stats.statuses[403]).toBeUndefined()
  })

  it('waits a secondary limit out for retry-after seconds', async () => {
    sim.setFaults({ secondaryLimitNext: 1, secondaryRetryAfter: 30 })
    const { ctx, waits } = ctxFor(sim, 'ghp_admin')
    expect(records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(REPOS)
    expect(waits).toEqual([30_000])
  })

  it('waits a minute, then two, for secondary limits without retry-after (403 and 429)', async () => {
    sim.setFaults({ secondaryLimitNext: 2, secondaryStatus: 429, secondaryRetryAfter: null })
    const { ctx, waits } = ctxFor(sim, 'ghp_admin')
    expect(records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(REPOS)
    expect(waits).toEqual([60_000, 120_000])
  })

  it('gives up with a clear rate_limited error after a bounded number of waits', async () => {
    sim.setFaults({ primaryLimitNext: 1000, primaryResetSeconds: 10 })
    const { ctx, waits } = ctxFor(sim, 'ghp_admin')
    const err = await collect(githubConnector.read(ctx, { selection: null, cursor: null })).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('rate_limited')
    expect(err.message).toMatch(
      /^GitHub's API rate limit for this token is used up \(HTTP 403: API rate limit exceeded for user ID 1234\.\) and stayed so after 12 waits\. It resets at .*Z\. Try again after the reset/,
    )
    expect(waits).toHaveLength(12)
  })

  it('fails the run (never an empty result) when the token is revoked mid-run', async () => {
    sim.setFaults({ authFailAfter: 3 })
    // three listing calls only: CODEOWNERS reads would spend the calls before the revocation
    const { ctx } = ctxFor(sim, 'ghp_admin', { org: 'acme-corp', skipCodeowners: true })
    const seen: Ev[] = []
    const err = await (async () => {
      for await (const e of githubConnector.read(ctx, { selection: null, cursor: null })) seen.push(e)
    })().catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('auth')
    expect(records(seen)).toHaveLength(300)
  })

  it('reads a selection: an organisation, a repository by id and by owner/name, and warns about a missing one', async () => {
    const ids = sim.visibleIds('ghp_admin')
    const byName = sim.repo(ids[10]!)!.full_name as string
    const { ctx } = ctxFor(sim, 'ghp_admin')
    const evs = await collect(
      githubConnector.read(ctx, { selection: [String(ids[3]), byName.toUpperCase(), '999'], cursor: null }),
    )
    expect(records(evs).map((r) => r.id)).toEqual([ids[3], ids[10]])
    expect(evs.find((e) => e.type === 'warning')).toMatchObject({ code: 'repository_not_found' })
    const orgEvs = await collect(githubConnector.read(ctx, { selection: ['org:Acme-Corp'], cursor: null }))
    expect(records(orgEvs)).toHaveLength(REPOS)
  })

  it('reads a GitHub Enterprise Server under /api/v3 without rate-limit headers', async () => {
    const s = await startGithubSimulator({ seed: 3, repos: 150, ghes: true, webBaseUrl: 'https://ghe.example.com' })
    try {
      expect(s.apiUrl).toMatch(/\/api\/v3$/)
      const { ctx, waits } = ctxFor(s, 'ghp_admin')
      const recs = records(await collect(githubConnector.read(ctx, { selection: null, cursor: null })))
      expect(recs).toHaveLength(150)
      expect(waits).toHaveLength(0)
      expect(recs[0]!.html_url).toMatch(/^https:\/\/ghe\.example\.com\/Acme-Corp\//)
      expect((await githubConnector.check(ctx)).ok).toBe(true)
    } finally {
      await s.close()
    }
  })
})

describe('github CODEOWNERS read with the repositories', () => {
  it("reads each repository's file at the first of GitHub's locations, base64-decoded, and none where there is none", async () => {
    const small = await startGithubSimulator({ seed: 3, repos: 30, org: 'Acme-Corp' })
    try {
      const { ctx } = ctxFor(small, 'ghp_admin')
      const evs = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
      const recs = records(evs) as GithubRecord[]
      expect(recs).toHaveLength(30)
      const withFile = recs.filter((r) => r.codeowners)
      const without = recs.filter((r) => r.codeowners === null)
      expect(withFile.length).toBeGreaterThan(20)
      expect(without.length).toBeGreaterThan(0)
      expect(withFile.length + without.length).toBe(30)
      for (const r of recs) {
        const files = small.codeowners(r.id)
        // GitHub uses the first location that has a file: .github/, then the root, then docs/
        const first = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS']
          .map((p) => files.find((f) => f.path === p))
          .find(Boolean)
        if (!first) expect(r.codeowners).toBeNull()
        else expect(r.codeowners).toEqual({ path: first.path, dialect: 'github', content: first.content })
      }
      // a repository with two files: the stale root one is never the one used
      expect(recs.some((r) => small.codeowners(r.id).length === 2)).toBe(true)
      const mapped = githubConnector.map(withFile[0]!, { fetchedAt: new Date() })
      expect(mapped).toMatchObject({ codeowners: withFile[0]!.codeowners })
      expect(evs.filter((e) => e.type === 'warning')).toEqual([])
    } finally {
      await small.close()
    }
  })

  it('warns once and keeps what was stored when the token may not read contents (403)', async () => {
    const { ctx } = ctxFor(sim, 'github_pat_metadata')
    const evs = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
    const recs = records(evs) as GithubRecord[]
    expect(recs.length).toBeGreaterThan(0)
    // no file, and not "none" either: what vulnsync stored stays
    expect(recs.every((r) => !('codeowners' in r))).toBe(true)
    const warnings = evs.filter((e) => e.type === 'warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ code: 'codeowners_forbidden' })
    expect((warnings[0] as { message: string }).message).toContain('"Contents" permission')
    expect('codeowners' in (githubConnector.map(recs[0]!, { fetchedAt: new Date() }) as object)).toBe(false)
  })

  it('stops reading files when the rate-limit budget runs low, keeping it for the inventory, and says how many were not read', async () => {
    const tight = await startGithubSimulator({ seed: 5, repos: 150, org: 'Acme-Corp', rateLimit: 300 })
    try {
      const { ctx } = ctxFor(tight, 'ghp_admin')
      const evs = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
      const recs = records(evs) as GithubRecord[]
      expect(recs).toHaveLength(150)
      const unread = recs.filter((r) => !('codeowners' in r)).length
      expect(unread).toBeGreaterThan(0)
      expect(unread).toBeLessThan(150)
      const w = evs.find((e) => e.type === 'warning' && e.code === 'codeowners_budget') as { message: string }
      expect(w.message).toContain(`of ${unread} repositories were not read`)
      // the budget kept: a fifth of the limit is left (give or take the eight files asked for at once)
      expect(tight.stats.requests).toBeLessThanOrEqual(300 - 60 + 8)
    } finally {
      await tight.close()
    }
  })

  it('does not read files when told not to', async () => {
    const { ctx } = ctxFor(sim, 'ghp_admin', { org: 'acme-corp', skipCodeowners: true })
    sim.resetStats()
    const evs = await collect(githubConnector.read(ctx, { selection: null, cursor: null }))
    expect(records(evs).every((r) => !('codeowners' in r))).toBe(true)
    expect(sim.stats.byRoute['GET /repos/:owner/:repo/contents/*']).toBeUndefined()
  })

  it('fails the run when the token is revoked while files are read', async () => {
    const small = await startGithubSimulator({ seed: 3, repos: 30, org: 'Acme-Corp' })
    try {
      small.setFaults({ authFailAfter: 5 })
      const { ctx } = ctxFor(small, 'ghp_admin')
      const err = await collect(githubConnector.read(ctx, { selection: null, cursor: null })).catch((e) => e)
      expect(err).toBeInstanceOf(UpstreamError)
      expect(err.kind).toBe('auth')
    } finally {
      await small.close()
    }
  })
})

describe('github discover', () => {
  it('yields the organisation, then every repository with its id, name and target', async () => {
    const { ctx } = ctxFor(sim, 'ghp_admin')
    const locs = []
    for await (const l of githubConnector.discover!(ctx)) locs.push(l)
    expect(locs[0]).toMatchObject({ id: 'org:acme-corp', kind: 'organization' })
    const repos = locs.filter((l) => l.kind === 'repository')
    expect(repos).toHaveLength(REPOS)
    expect(repos[0]).toMatchObject({
      id: String(sim.visibleIds('ghp_admin')[0]),
      target: { kind: 'repository', externalId: { provider: 'github' } },
    })
  })
})

describe('github check', () => {
  it('succeeds with the login, organisation and repository count', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'ghp_admin').ctx)
    expect(r).toEqual({
      ok: true,
      message: `Connected to GitHub as octo-admin: organisation acme-corp, ${REPOS} repositories visible.`,
      details: expect.any(Object),
    })
  })

  it('notes a token without the repo scope', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'ghp_public').ctx)
    expect(r.ok).toBe(true)
    expect(r.message).toContain('the token has no "repo" scope, so private repositories are not listed')
  })

  it('succeeds for an installation token without org', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'ghs_installation', {}).ctx)
    expect(r).toMatchObject({
      ok: true,
      message: `Connected to GitHub with a GitHub App installation token: ${sim.visibleIds('ghs_installation').length} repositories visible to the installation.`,
    })
  })

  it('tells a bad token (401)', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'ghp_wrong').ctx)
    expect(r).toEqual({
      ok: false,
      code: 'auth',
      message:
        'GitHub rejected the token (HTTP 401: Bad credentials): check that it was copied whole and has not expired or been revoked (GitHub App installation tokens expire after one hour).',
    })
  })

  it('tells a missing organisation (404)', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'ghp_admin', { org: 'no-such-org' }).ctx)
    expect(r).toEqual({
      ok: false,
      code: 'not_found',
      message:
        'GitHub organisation "no-such-org" was not found (HTTP 404): check the organisation login (as in github.com/<org>), and that the token\'s owner can see it (GitHub answers 404 to tokens that may not).',
    })
  })

  it('tells a token without permission on the organisation (403)', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'github_pat_restricted').ctx)
    expect(r).toEqual({
      ok: false,
      code: 'permission',
      message:
        'the token may not list the repositories of organisation "acme-corp" (HTTP 403: Resource not accessible by personal access token): give a fine-grained token access to the organisation\'s repositories with the read-only "Metadata" permission, or a classic token the "repo" and "read:org" scopes; a GitHub App needs "Metadata: read".',
    })
  })

  it('tells a token not authorised for SAML SSO (403 with X-GitHub-SSO)', async () => {
    const r = await githubConnector.check(ctxFor(sim, 'ghp_sso').ctx)
    expect(r).toEqual({
      ok: false,
      code: 'permission',
      message:
        "the token is not authorised for the organisation's SAML single sign-on (HTTP 403: Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.): open https://github.com/orgs/Acme-Corp/sso?authorization_request=A5OZ7SIM to authorise it, then try again.",
    })
  })

  it('tells a rate limit that will not clear soon', async () => {
    sim.setFaults({ primaryLimitNext: 5, primaryResetSeconds: 1800 })
    const r = await githubConnector.check(ctxFor(sim, 'ghp_admin').ctx)
    expect(r.ok).toBe(false)
    expect(r).toMatchObject({ code: 'rate_limited' })
    expect(r.message).toMatch(
      /^GitHub's API rate limit for this token is used up \(HTTP 403: API rate limit exceeded for user ID 1234\.\)\. It resets at \d{4}-.*Z\. Try again after the reset, or use a token with its own budget \(a GitHub App installation gets a higher limit\)\.$/,
    )
  })

  it('tells a secondary limit during the check', async () => {
    sim.setFaults({ secondaryLimitNext: 5, secondaryRetryAfter: null })
    const r = await githubConnector.check(ctxFor(sim, 'ghp_admin').ctx)
    expect(r).toEqual({
      ok: false,
      code: 'rate_limited',
      message:
        "GitHub's secondary rate limit was hit (HTTP 403: You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID SIM:1.): wait 60 s and try again, and avoid running other heavy jobs with the same token at the same time.",
    })
  })

  it('tells an unreachable server', async () => {
    const r = await githubConnector.check(ctxFor({ apiUrl: 'http://127.0.0.1:9' }, 'ghp_admin').ctx)
    expect(r).toMatchObject({
      ok: false,
      code: 'unreachable',
      message: 'could not reach 127.0.0.1:9: connection refused',
    })
    expect((r as { hint?: string }).hint).toContain('https://HOST/api/v3')
  })

  it('tells a GHES base URL without /api/v3', async () => {
    const s = await startGithubSimulator({ repos: 10, ghes: true })
    try {
      const r = await githubConnector.check(ctxFor({ apiUrl: s.url }, 'ghp_admin').ctx)
      expect(r).toEqual({
        ok: false,
        code: 'not_found',
        message: `GitHub found nothing to read the authenticated user (GET /user) (HTTP 404: Not Found). If this is GitHub Enterprise Server, the API base URL is ${s.url}/api/v3.`,
      })
    } finally {
      await s.close()
    }
  })
})
