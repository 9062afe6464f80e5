import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'

/** `vulnsync vulns` and `vulnsync triage` as an operator scripts them, against a running server. */
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vulnsync.mjs')
const run = promisify(execFile)

describe('the triage CLI', () => {
  let t: TestApp
  const cli = async (...args: string[]) => {
    try {
      const r = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, VULNSYNC_URL: t.url, VULNSYNC_TOKEN: t.token },
      })
      return { code: 0, out: r.stdout, err: r.stderr }
    } catch (e: any) {
      return { code: e.code as number, out: String(e.stdout), err: String(e.stderr) }
    }
  }
  beforeAll(async () => {
    const rows = [
      {
        id: 'x1',
        ids: ['CVE-2023-1111'],
        purl: 'pkg:npm/qs@6.5.0',
        repo: 'https://github.com/acme/cli',
        severity: 'critical',
        detectedAt: '2023-01-01T00:00:00Z',
      },
      {
        id: 'x2',
        ids: ['CVE-2023-2222'],
        purl: 'pkg:npm/ms@2.0.0',
        repo: 'https://github.com/acme/cli',
        severity: 'low',
        detectedAt: new Date().toISOString(),
      },
    ]
    t = await startTestApp({ connectors: { test: createTestConnector(() => arrayDataset(rows)) as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [{ fullName: 'acme/cli', externalId: 'c1' }])
    const c = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'cli', secrets: { token: 'x' } })
    await t.waitForRun(c.body.run.id)
  })
  afterAll(() => t?.close())

  it('lists breached issues, assigns one to me, and lists what is assigned to me', async () => {
    const breached = await cli('vulns', '--sla', 'breached', '--json')
    expect(breached.code).toBe(0)
    const items = JSON.parse(breached.out).items
    expect(items.map((i: any) => i.cve)).toEqual(['CVE-2023-1111'])
    const id = items[0].id
    const triage = await cli('triage', id, '--assign', 'me', '--stage', 'in_progress', '--comment', 'on it')
    expect(triage.code).toBe(0)
    expect(triage.out).toMatch(/CVE-2023-1111 in acme\/cli \(qs\): open, stage in_progress/)
    expect(triage.out).toMatch(/assignee: admin/)
    const mine = await cli('vulns', '--assignee', 'me', '--sla', 'breached')
    expect(mine.code).toBe(0)
    expect(mine.out).toMatch(/CVE-2023-1111\s+critical\s+in_progress\s+admin\s+breached -\d+d/)
    expect(mine.out).toMatch(/1 of 1\n$/)
  }, 180_000)

  it('records decisions and refuses incomplete ones with a clear message', async () => {
    const list = JSON.parse((await cli('vulns', '--json')).out).items
    const low = list.find((i: any) => i.cve === 'CVE-2023-2222')
    const noUntil = await cli('triage', low.id, '--accept', '--reason', 'internal tool')
    expect(noUntil.code).toBe(1)
    expect(noUntil.err).toMatch(/expiresAt: a risk acceptance needs an expiry date/)
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
    const ok = await cli('triage', low.id, '--accept', '--until', until, '--reason', 'internal tool')
    expect(ok.code).toBe(0)
    expect(ok.out).toMatch(new RegExp(`decision \\d+: accepted \\(issue\\) until ${until}: internal tool`))
    const crit = list.find((i: any) => i.cve === 'CVE-2023-1111')
    const fp = await cli('triage', crit.id, '--false-positive', '--reason', 'qs is only a dev dependency here')
    expect(fp.code).toBe(0)
    expect(fp.out).toMatch(/: false_positive\n/)
    const decided = await cli('vulns', '--status', 'accepted,false_positive', '--json')
    expect(JSON.parse(decided.out).total).toBe(2)
    const nothing = await cli('triage', crit.id)
    expect(nothing.code).toBe(2)
    expect(nothing.err).toMatch(/nothing to do/)
  }, 180_000)
})
