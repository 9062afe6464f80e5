import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cyclonedxValidator, openvexValidator } from './exports/schemas.ts'
import { arrayDataset, createTestConnector, type TestRaw } from './sync/test-connector.ts'
import { seedRepositories } from './sync/test-support.ts'
import { startTestApp, type TestApp } from './testing.ts'

/** `vulnsync export`: the VEX documents and the CSV of what the queue's filters match, from a running server. */
const BIN = fileURLToPath(new URL('../bin/vulnsync.mjs', import.meta.url))
const run = promisify(execFile)

const rows: TestRaw[] = [
  { id: 'x1', ids: ['CVE-2026-7001'], purl: 'pkg:npm/a@1.0.0', repo: 'https://github.com/acme/web', severity: 'high' },
  { id: 'x2', ids: ['CVE-2026-7002'], purl: 'pkg:npm/b@2.0.0', repo: 'https://github.com/acme/api', severity: 'low' },
]
const scanner = createTestConnector(() => arrayDataset(rows))

describe('vulnsync export', () => {
  let t: TestApp
  let dir = ''
  const cli = (...args: string[]) =>
    run(process.execPath, [BIN, 'export', ...args], {
      env: { PATH: process.env.PATH, VULNSYNC_URL: t.url, VULNSYNC_TOKEN: t.token },
      maxBuffer: 16 * 1024 * 1024,
    })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vulnsync-export-'))
    t = await startTestApp({ connectors: { test: scanner as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [
      { fullName: 'acme/web', externalId: 'w1' },
      { fullName: 'acme/api', externalId: 'a1' },
    ])
    const s = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
    await t.waitForRun(s.body.run.id)
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints CycloneDX VEX of the filtered queue that validates', async () => {
    const { stdout } = await cli('cyclonedx-vex', '--repository', 'acme/web')
    const doc = JSON.parse(stdout)
    expect(cyclonedxValidator()(doc).errors).toBe('')
    expect(doc.vulnerabilities.map((v: any) => v.id)).toEqual(['CVE-2026-7001'])
  })

  it('writes OpenVEX to a file with --output', async () => {
    const file = join(dir, 'out.openvex.json')
    const { stdout, stderr } = await cli('openvex', '--severity', 'low', '-o', file)
    expect(stdout).toBe('')
    expect(stderr).toContain(`wrote ${file}`)
    const doc = JSON.parse(readFileSync(file, 'utf8'))
    expect(openvexValidator()(doc).errors).toBe('')
    expect(doc.statements.map((s: any) => s.vulnerability.name)).toEqual(['CVE-2026-7002'])
  })

  it('prints the CSV with the workflow columns, and refuses an unknown format', async () => {
    const { stdout } = await cli('csv')
    const [head, ...lines] = stdout.trim().split('\n')
    expect(head).toContain('stage,assignee,sla_due_at,sla_state')
    expect(lines).toHaveLength(2)
    await expect(cli('spdx')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown format spdx: use cyclonedx-vex, openvex, csv'),
    })
  })
})
