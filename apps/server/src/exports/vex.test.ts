import { DRIVERS } from '@vulnsync/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrayDataset, createTestConnector, type TestRaw } from '../sync/test-connector.ts'
import { seedRepositories } from '../sync/test-support.ts'
import { startTestApp, type TestApp } from '../testing.ts'
import { cyclonedxValidator, openvexValidator } from './schemas.ts'

/**
 * VEX exports: decisions and fixes become CycloneDX 1.6 `analysis` and OpenVEX 0.2.0 statements, filtered like the
 * queue, and both documents validate against the official schemas.
 */
let rows: TestRaw[] = []
const scanner = createTestConnector(() => arrayDataset(rows), { pageSize: 50 })
const row = (id: string, cve: string, extra: Partial<TestRaw> = {}): TestRaw => ({
  id,
  ids: [cve, `GHSA-${id}-xxxx-yyyy`],
  purl: `pkg:npm/lib-${id}@1.2.3`,
  repo: 'https://github.com/acme/web',
  severity: 'high',
  detectedAt: '2026-10-01T00:00:00.000Z',
  ...extra,
})

describe.each(DRIVERS)('VEX exports on %s', (driver) => {
  let t: TestApp
  let scannerId = ''
  const issue = async (cve: string) => (await t.api('GET', `/api/v1/vulnerabilities?cve=${cve}`)).body.items[0]
  const decide = async (cve: string, body: Record<string, unknown>) => {
    const r = await t.api('POST', '/api/v1/decisions', { issueId: (await issue(cve)).id, ...body })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
  }
  const get = async (path: string) => {
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.token}` } })
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any }
  }

  beforeAll(async () => {
    rows = [
      row('a', 'CVE-2026-0001'),
      row('b', 'CVE-2026-0002'),
      row('c', 'CVE-2026-0003'),
      row('d', 'CVE-2026-0004'),
      row('e', 'CVE-2026-0005'),
      row('f', 'CVE-2026-0006', { repo: 'https://github.com/acme/api' }),
      row('g', 'CVE-2026-0007'),
    ]
    t = await startTestApp({ driver, connectors: { test: scanner as any } })
    await seedRepositories(t.db, t.rt.workspaceId, [
      { fullName: 'acme/web', externalId: 'w1' },
      { fullName: 'acme/api', externalId: 'a1' },
    ])
    const s = await t.api('POST', '/api/v1/connections', { kind: 'test', name: 'Scanner', secrets: { token: 't' } })
    scannerId = s.body.connection.id
    await t.waitForRun(s.body.run.id)
    await decide('CVE-2026-0001', {
      kind: 'not_affected',
      reason: 'the JNDI lookup is never called',
      justification: 'vulnerable_code_not_in_execute_path',
    })
    await decide('CVE-2026-0002', { kind: 'false_positive', reason: 'the scanner matched the wrong package' })
    await decide('CVE-2026-0003', {
      kind: 'accepted',
      reason: 'internal tool, no exposure',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    })
    await t.api('PATCH', `/api/v1/vulnerabilities/${(await issue('CVE-2026-0004')).id}`, { stage: 'in_progress' })
    // CVE-2026-0007 disappears: fixed
    rows = rows.filter((r) => r.id !== 'g')
    const again = await t.api('POST', `/api/v1/connections/${scannerId}/syncs`)
    await t.waitForRun(again.body.run.id)
    expect((await issue('CVE-2026-0007')).status).toBe('fixed')
  })
  afterAll(() => t?.close())

  it('exports CycloneDX 1.6 VEX that validates, with analysis from decisions and fixes', async () => {
    const r = await get('/api/v1/exports/cyclonedx-vex')
    expect(r.status).toBe(200)
    expect(r.type).toMatch(/^application\/vnd\.cyclonedx\+json; version=1\.6/)
    const v = cyclonedxValidator()(r.body)
    expect(v.errors).toBe('')
    expect(v.ok).toBe(true)
    expect(r.body).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 })
    expect(r.body.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
    const byId = Object.fromEntries(r.body.vulnerabilities.map((x: any) => [x.id, x]))
    expect(byId['CVE-2026-0001'].analysis).toMatchObject({
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'the JNDI lookup is never called',
    })
    expect(byId['CVE-2026-0002'].analysis).toMatchObject({ state: 'false_positive' })
    expect(byId['CVE-2026-0003'].analysis).toMatchObject({ state: 'exploitable', response: ['will_not_fix'] })
    expect(byId['CVE-2026-0003'].analysis.detail).toMatch(/^Risk accepted until \d{4}-\d\d-\d\d: internal tool/)
    expect(byId['CVE-2026-0004'].analysis).toMatchObject({ state: 'exploitable' })
    expect(byId['CVE-2026-0005'].analysis).toMatchObject({ state: 'in_triage' })
    expect(byId['CVE-2026-0007'].analysis).toMatchObject({ state: 'resolved' })
    // the source is named (older Dependency-Track drops VEX without it), aliases are references, affects a component
    expect(byId['CVE-2026-0001'].source).toEqual({ name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2026-0001' })
    expect(byId['CVE-2026-0001'].references).toEqual([{ id: 'GHSA-a-xxxx-yyyy', source: { name: 'GitHub' } }])
    const ref = byId['CVE-2026-0001'].affects[0].ref
    expect(r.body.components.find((c: any) => c['bom-ref'] === ref)).toMatchObject({
      type: 'library',
      purl: 'pkg:npm/lib-a@1.2.3',
      version: '1.2.3',
    })
  })

  it('exports OpenVEX 0.2.0 that validates, with justification, impact or action statements', async () => {
    const r = await get('/api/v1/exports/openvex')
    expect(r.status).toBe(200)
    const v = openvexValidator()(r.body)
    expect(v.errors).toBe('')
    expect(v.ok).toBe(true)
    expect(r.body['@context']).toBe('https://openvex.dev/ns/v0.2.0')
    const byCve = Object.fromEntries(r.body.statements.map((s: any) => [s.vulnerability.name, s]))
    expect(byCve['CVE-2026-0001']).toMatchObject({
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    })
    expect(byCve['CVE-2026-0002']).toMatchObject({ status: 'not_affected', justification: 'component_not_present' })
    expect(byCve['CVE-2026-0003'].status).toBe('affected')
    expect(byCve['CVE-2026-0003'].action_statement).toMatch(/^Risk accepted until/)
    expect(byCve['CVE-2026-0004']).toMatchObject({ status: 'affected' })
    expect(byCve['CVE-2026-0004'].action_statement).toMatch(/No fixed version of lib-d is known yet/)
    expect(byCve['CVE-2026-0005'].status).toBe('under_investigation')
    expect(byCve['CVE-2026-0007'].status).toBe('fixed')
    expect(byCve['CVE-2026-0001'].products[0]).toEqual({
      '@id': 'https://github.com/acme/web',
      subcomponents: [{ '@id': 'pkg:npm/lib-a@1.2.3', identifiers: { purl: 'pkg:npm/lib-a@1.2.3' } }],
    })
    expect(byCve['CVE-2026-0001'].vulnerability.aliases).toEqual(['GHSA-a-xxxx-yyyy'])
  })

  it('filters like the queue, and a document that breaks its schema is caught', async () => {
    const api = await get('/api/v1/exports/openvex?repository=acme/api')
    expect(api.body.statements.map((s: any) => s.vulnerability.name)).toEqual(['CVE-2026-0006'])
    const decided = await get('/api/v1/exports/cyclonedx-vex?status=not_affected,false_positive')
    expect(decided.body.vulnerabilities.map((x: any) => x.id).sort()).toEqual(['CVE-2026-0001', 'CVE-2026-0002'])
    expect((await get('/api/v1/exports/openvex?severity=urgent')).status).toBe(400)
    // the validators are not rubber stamps
    const broken = structuredClone(decided.body)
    broken.vulnerabilities[0].analysis.state = 'probably_fine'
    expect(cyclonedxValidator()(broken).ok).toBe(false)
    const noAction = (await get('/api/v1/exports/openvex?cve=CVE-2026-0004')).body
    delete noAction.statements[0].action_statement
    expect(openvexValidator()(noAction).ok).toBe(false)
  })

  it('adds the workflow, owner and SLA columns to the CSV export', async () => {
    const csv = await t.api('GET', '/api/v1/vulnerabilities/export.csv?cve=CVE-2026-0003')
    const [header, line] = csv.text.trim().split('\n')
    expect(header).toMatch(
      /,stage,assignee,sla_due_at,sla_state,sla_days_left,decision,decision_reason,decision_expires_at,owner_team,application,owner_source,owner_reason$/,
    )
    expect(line).toContain(',accepted,"internal tool, no exposure",')
    expect(line).toMatch(/,(new|triaged),,\d{4}-\d\d-\d\dT[^,]+,(ok|due_soon|breached|met|missed),'?-?\d+,accepted,/)
  })
})
