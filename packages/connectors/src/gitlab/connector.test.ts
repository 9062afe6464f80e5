import type { ProgressUpdate, ReadEvent } from '@vulnsync/core'
import { matchCodeowners, parseCodeowners, UpstreamError } from '@vulnsync/core'
import { GITLAB_MALFORMED_LINE } from '@vulnsync/simulators/gitlab/codeowners.ts'
import { type GitlabSimulator, startGitlabSimulator } from '@vulnsync/simulators/gitlab/index.ts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createConnectorContext } from '../kit/context.ts'
import type { GitlabConfig, GitlabSecrets } from './config.ts'
import { gitlabConnector } from './index.ts'
import type { GitlabProject, GitlabRecord } from './raw.ts'
import type { GitlabCursor } from './read.ts'

const PROJECTS = 1234

const ctxFor = (url: string, token: string, config: Partial<GitlabConfig> = {}) => {
  const waits: number[] = []
  const progress: ProgressUpdate[] = []
  const ctx = createConnectorContext<GitlabConfig, GitlabSecrets>({
    config: { baseUrl: url, ...config },
    secrets: { token },
    allowPrivateNetworks: true,
    sleep: async (ms) => {
      waits.push(ms)
    },
    progress: (p) => progress.push(p),
  })
  return { ctx, waits, progress }
}

type Ev = ReadEvent<GitlabProject, GitlabCursor>
const collect = async (it: AsyncIterable<Ev>): Promise<Ev[]> => {
  const out: Ev[] = []
  for await (const e of it) out.push(e)
  return out
}
const records = (evs: Ev[]) =>
  evs.filter((e): e is Extract<Ev, { type: 'record' }> => e.type === 'record').map((e) => e.raw)
const checkpoints = (evs: Ev[]) =>
  evs.filter((e): e is Extract<Ev, { type: 'checkpoint' }> => e.type === 'checkpoint').map((e) => e.cursor)

let sim: GitlabSimulator
beforeAll(async () => {
  sim = await startGitlabSimulator({
    seed: 11,
    repos: PROJECTS,
    org: 'acme',
    webBaseUrl: 'https://gitlab.example.com',
    sshPort: 2222,
  })
})
afterAll(async () => {
  await sim.close()
})
beforeEach(() => {
  sim.setFaults({})
  sim.resetStats()
})

describe('gitlab read against the simulator', () => {
  it('reads every membership project with keyset pagination (id_after links), one checkpoint per page', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin')
    const evs = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
    const ids = records(evs).map((r) => r.id)
    expect(ids).toEqual(sim.visibleIds('glpat-admin'))
    expect(ids).toHaveLength(PROJECTS)
    const cps = checkpoints(evs)
    expect(cps[0]).toMatchObject({ listing: 'membership', mode: 'keyset', pages: 1 })
    expect(cps[0]!.next).toContain(`id_after=${ids[99]}`)
    expect(cps[0]!.next).toContain('membership=true')
    expect(sim.stats.byRoute['GET /api/v4/projects']).toBe(13)
  })

  it('keeps nested groups in path_with_namespace, archived projects and all visibilities', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin')
    const mapped = records(await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))).map(
      (r) => gitlabConnector.map(r, { fetchedAt: new Date() }) as any,
    )
    expect(mapped.every((m) => !m.skip)).toBe(true)
    expect(mapped.some((m) => m.fullName.split('/').length >= 5)).toBe(true)
    expect(mapped.some((m) => m.fullName.startsWith('acme/platform/Backend/payments/'))).toBe(true)
    expect(mapped.filter((m) => m.archived).length).toBeGreaterThan(30)
    expect(new Set(mapped.map((m) => m.visibility))).toEqual(new Set(['private', 'internal', 'public']))
    expect(mapped[0].sshUrl).toMatch(/^ssh:\/\/git@gitlab\.example\.com:2222\/acme\//)
  })

  it('lists a group with subgroups, falling back from keyset to offset paging with x-next-page', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin', { group: 'acme/platform' })
    const evs = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
    const ids = records(evs).map((r) => r.id)
    expect(ids).toEqual(sim.visibleIds('glpat-admin', 'acme/platform'))
    expect(ids.length).toBeGreaterThan(300)
    expect(records(evs).every((r) => r.path_with_namespace.toLowerCase().startsWith('acme/platform/'))).toBe(true)
    expect(checkpoints(evs)[0]).toMatchObject({ listing: 'group', mode: 'offset' })
    expect(checkpoints(evs)[0]!.next).toContain('page=2')
    expect(sim.stats.statuses[400]).toBe(1)
    expect(evs.filter((e) => e.type === 'record').every((e) => (e as any).scope === 'group:acme/platform')).toBe(true)
  })

  it('lists a group with keyset pagination where the instance offers it', async () => {
    const s = await startGitlabSimulator({ seed: 2, repos: 400, groupKeyset: true })
    try {
      const { ctx } = ctxFor(s.url, 'glpat-admin', { group: 'acme' })
      const evs = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
      expect(records(evs)).toHaveLength(400)
      expect(checkpoints(evs)[0]).toMatchObject({ mode: 'keyset' })
      expect(s.stats.statuses[400]).toBeUndefined()
    } finally {
      await s.close()
    }
  })

  it('gives a token that is a member of one subgroup only its projects', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-platform')
    const recs = records(await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })))
    expect(recs.map((r) => r.id)).toEqual(sim.visibleIds('glpat-platform'))
    expect(recs.length).toBeLessThan(PROJECTS / 2)
    expect(recs.every((r) => r.path_with_namespace.toLowerCase().startsWith('acme/platform/'))).toBe(true)
  })

  it('gives a token restricted to public projects only those', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-public')
    const recs = records(await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })))
    expect(recs.length).toBe(sim.visibleIds('glpat-public').length)
    expect(recs.every((r) => r.visibility === 'public')).toBe(true)
  })

  it('resumes from a checkpoint cursor (JSON round-trip) and reads only the rest', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin')
    const all = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
    const cursor = JSON.parse(JSON.stringify(checkpoints(all)[6])) as GitlabCursor
    sim.resetStats()
    const rest = records(await collect(gitlabConnector.read(ctx, { selection: null, cursor }))).map((r) => r.id)
    expect(rest).toEqual(
      records(all)
        .slice(700)
        .map((r) => r.id),
    )
    expect(sim.stats.byRoute['GET /api/v4/projects']).toBe(6)
  })

  it('resumes an offset-paged group listing from its cursor', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin', { group: 'acme' })
    const all = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
    const cursor = checkpoints(all)[2]!
    expect(cursor.mode).toBe('offset')
    const rest = records(await collect(gitlabConnector.read(ctx, { selection: null, cursor }))).map((r) => r.id)
    expect(rest).toEqual(
      records(all)
        .slice(300)
        .map((r) => r.id),
    )
  })

  it('waits out a 429 "Retry later" for its Retry-After', async () => {
    sim.setFaults({ gitlabRateLimitNext: 2, gitlabRetryAfter: 25 })
    const { ctx, waits, progress } = ctxFor(sim.url, 'glpat-admin')
    expect(records(await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(PROJECTS)
    expect(waits).toEqual([25_000, 25_000])
    expect(progress.some((p) => p.pausedUntil instanceof Date)).toBe(true)
    expect(sim.stats.statuses[429]).toBe(2)
  })

  it('waits until RateLimit-Reset when a 429 has no Retry-After', async () => {
    sim.setFaults({ gitlabRateLimitNext: 1, gitlabRetryAfter: null, gitlabResetSeconds: 40 })
    const { ctx, waits } = ctxFor(sim.url, 'glpat-admin')
    expect(records(await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(PROJECTS)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThan(38_000)
    expect(waits[0]).toBeLessThanOrEqual(41_000)
  })

  it('pauses before the next call when RateLimit-Remaining says 0', async () => {
    sim.setFaults({ gitlabRemainingZeroNext: 1, gitlabResetSeconds: 20 })
    const { ctx, waits } = ctxFor(sim.url, 'glpat-admin')
    expect(records(await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })))).toHaveLength(PROJECTS)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThan(18_000)
    expect(sim.stats.statuses[429]).toBeUndefined()
  })

  it('gives up with a clear rate_limited error after a bounded number of waits', async () => {
    sim.setFaults({ gitlabRateLimitNext: 1000, gitlabRetryAfter: 5 })
    const { ctx, waits } = ctxFor(sim.url, 'glpat-admin')
    const err = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('rate_limited')
    expect(err.message).toBe(
      'GitLab is rate-limiting this token (HTTP 429: Retry later; throttle_authenticated_api, 2000 requests per minute) and kept doing so after 12 waits: wait 5 s and try again, or ask the GitLab administrator about the authenticated API rate limit.',
    )
    expect(waits).toHaveLength(12)
  })

  it('fails the run when the token is revoked mid-run, never an empty result', async () => {
    sim.setFaults({ authFailAfter: 4 })
    const { ctx } = ctxFor(sim.url, 'glpat-admin')
    const err = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null })).catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.kind).toBe('auth')
  })

  it('reads a selection: a group, a project by id and by path, and warns about a missing one', async () => {
    const ids = sim.visibleIds('glpat-admin')
    const byPath = sim.project(ids[5]!)!.path_with_namespace as string
    const { ctx } = ctxFor(sim.url, 'glpat-admin')
    const evs = await collect(
      gitlabConnector.read(ctx, { selection: [String(ids[2]), byPath, '1', 'group:acme/data'], cursor: null }),
    )
    const recs = records(evs)
    expect(recs.slice(0, 2).map((r) => r.id)).toEqual([ids[2], ids[5]])
    expect(recs.slice(2).map((r) => r.id)).toEqual(sim.visibleIds('glpat-admin', 'acme/data'))
    expect(evs.find((e) => e.type === 'warning')).toMatchObject({ code: 'repository_not_found' })
  })
})

describe('gitlab CODEOWNERS read with the projects', () => {
  it("reads each project's file (GitLab's locations, sections and all) at the default branch, and none where there is none", async () => {
    const small = await startGitlabSimulator({ seed: 4, repos: 40, org: 'acme' })
    try {
      const { ctx } = ctxFor(small.url, 'glpat-admin')
      const evs = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
      const recs = records(evs) as GitlabRecord[]
      expect(recs).toHaveLength(40)
      for (const r of recs) {
        const files = small.codeowners(r.id)
        if (files.length === 0) expect(r.codeowners).toBeNull()
        else expect(r.codeowners).toEqual({ path: files[0]!.path, dialect: 'gitlab', content: files[0]!.content })
      }
      const read = recs.filter((r) => r.codeowners)
      expect(read.length).toBeGreaterThan(25)
      expect(new Set(read.map((r) => r.codeowners!.path))).toEqual(
        new Set(['CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS']),
      )
      // what was read parses as GitLab's dialect: sections, and the malformed line reported with its number
      const parsed = parseCodeowners(read[0]!.codeowners!.content, 'gitlab')
      expect(parsed.sections).toEqual([null, 'Services', 'Documentation', 'Deploy'])
      const bad = read.map((r) => parseCodeowners(r.codeowners!.content, 'gitlab')).filter((f) => f.errors.length)
      expect(bad.length).toBeGreaterThan(0)
      expect(bad[0]!.errors).toEqual([expect.objectContaining({ line: GITLAB_MALFORMED_LINE })])
      const m = matchCodeowners(parsed, 'services/pay/pom.xml')
      expect(m.map((x) => x.section)).toEqual([null, 'Services'])
      expect(evs.filter((e) => e.type === 'warning')).toEqual([])
    } finally {
      await small.close()
    }
  })

  it('reads no file for an empty project, and none when told not to', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin', { skipCodeowners: true })
    const evs = await collect(gitlabConnector.read(ctx, { selection: null, cursor: null }))
    expect(records(evs).every((r) => !('codeowners' in r))).toBe(true)
    expect(sim.stats.byRoute['GET /api/v4/projects/:id/repository/files/:file']).toBeUndefined()
    const small = await startGitlabSimulator({ seed: 4, repos: 40, org: 'acme' })
    try {
      const recs = records(
        await collect(gitlabConnector.read(ctxFor(small.url, 'glpat-admin').ctx, { selection: null, cursor: null })),
      ) as GitlabRecord[]
      const empty = recs.filter((r) => r.empty_repo || !r.default_branch)
      for (const r of empty) expect(r.codeowners).toBeNull()
    } finally {
      await small.close()
    }
  })
})

describe('gitlab discover', () => {
  it('yields nested groups as namespaces and every project', async () => {
    const { ctx } = ctxFor(sim.url, 'glpat-admin', { group: 'acme' })
    const locs = []
    for await (const l of gitlabConnector.discover!(ctx)) locs.push(l)
    expect(locs[0]).toMatchObject({ id: 'group:acme', kind: 'namespace' })
    expect(locs.filter((l) => l.kind === 'repository')).toHaveLength(PROJECTS)
    expect(locs.some((l) => l.id.toLowerCase() === 'group:acme/platform/backend/payments')).toBe(true)
  })
})

describe('gitlab check', () => {
  it('succeeds with the user, group and project count', async () => {
    const r = await gitlabConnector.check(ctxFor(sim.url, 'glpat-admin', { group: 'acme' }).ctx)
    expect(r).toMatchObject({
      ok: true,
      message: `Connected to GitLab as root-admin: group acme (subgroups included), ${PROJECTS} projects visible.`,
    })
  })

  it('succeeds for membership listing', async () => {
    const r = await gitlabConnector.check(ctxFor(sim.url, 'glpat-platform').ctx)
    expect(r).toMatchObject({
      ok: true,
      message: `Connected to GitLab as pat-platform: ${sim.visibleIds('glpat-platform').length} projects the user is a member of.`,
    })
  })

  it('tells a bad token (401)', async () => {
    expect(await gitlabConnector.check(ctxFor(sim.url, 'glpat-wrong').ctx)).toEqual({
      ok: false,
      code: 'auth',
      message:
        'GitLab rejected the token (HTTP 401: 401 Unauthorized): check that it was copied whole, has not passed its expiry date and was not revoked.',
    })
  })

  it('tells a missing group (404)', async () => {
    expect(await gitlabConnector.check(ctxFor(sim.url, 'glpat-admin', { group: 'acme/nope' }).ctx)).toEqual({
      ok: false,
      code: 'not_found',
      message: `GitLab group "acme/nope" was not found (HTTP 404): check its full path as in the URL (${sim.url}/<group>/<subgroup>) or its numeric id, and that the token's user is a member of it.`,
    })
  })

  it('tells a token without the read_api scope (from the token itself)', async () => {
    expect(await gitlabConnector.check(ctxFor(sim.url, 'glpat-readuser').ctx)).toEqual({
      ok: false,
      code: 'permission',
      message:
        'the token has the scopes read_user but not read_api, which listing projects needs: create a token with the read_api scope.',
    })
  })

  it('tells a missing scope from a 403 insufficient_scope when the instance cannot describe the token', async () => {
    const s = await startGitlabSimulator({ repos: 10, tokens: { 'glpat-old': { scopes: ['read_repository'] } } })
    try {
      // an older GitLab without /personal_access_tokens/self: the project listing answers 403 insufficient_scope
      s.setFaults({})
      const { ctx } = ctxFor(s.url, 'glpat-old', { group: undefined })
      const orig = ctx.http.request
      ctx.http.request = async (req) =>
        String(req.url).includes('/personal_access_tokens/self')
          ? orig({ ...req, url: String(req.url).replace('personal_access_tokens/self', 'no_such_route') })
          : orig(req)
      expect(await gitlabConnector.check(ctx)).toEqual({
        ok: false,
        code: 'permission',
        message:
          "the token lacks the scope to list the projects of the token's user (HTTP 403: insufficient_scope: The request requires higher privileges than provided by the access token.): create a token with the read_api scope.",
      })
    } finally {
      await s.close()
    }
  })

  it('tells a rate limit that will not clear soon', async () => {
    sim.setFaults({ gitlabRateLimitNext: 5, gitlabRetryAfter: 60 })
    expect(await gitlabConnector.check(ctxFor(sim.url, 'glpat-admin').ctx)).toEqual({
      ok: false,
      code: 'rate_limited',
      message:
        'GitLab is rate-limiting this token (HTTP 429: Retry later; throttle_authenticated_api, 2000 requests per minute): wait 60 s and try again, or ask the GitLab administrator about the authenticated API rate limit.',
    })
  })

  it('tells an unreachable server', async () => {
    const r = await gitlabConnector.check(ctxFor('http://127.0.0.1:9', 'glpat-admin').ctx)
    expect(r).toMatchObject({
      ok: false,
      code: 'unreachable',
      message: 'could not reach 127.0.0.1:9: connection refused',
    })
  })

  it('tells a URL that has no GitLab API', async () => {
    const r = await gitlabConnector.check(ctxFor(`${sim.url}/some/where`, 'glpat-admin').ctx)
    expect(r).toMatchObject({
      ok: false,
      code: 'not_found',
      message: `127.0.0.1:${sim.port} has no GitLab API at ${sim.url}/some/where/api/v4 (GET /user answered HTTP 404).`,
    })
  })
})
