import { describe, expect, it } from 'vitest'
import { parseCodeowners } from './codeowners.ts'
import { compileGlob, globProblem } from './glob.ts'
import { createOwnershipWorld, type OwnershipSubject, type OwnershipWorldInput, slugify } from './resolve.ts'

const team = (id: string, name: string, memberIds: string[] = []) => ({ id, name, slug: slugify(name), memberIds })

const world = (o: Partial<OwnershipWorldInput> = {}): OwnershipWorldInput => ({
  teams: [
    team('t-pay', 'Payments', ['u-alice']),
    team('t-plat', 'Platform'),
    team('t-web', 'Web'),
    team('t-sec', 'Sec'),
  ],
  users: [
    { id: 'u-alice', username: 'alice' },
    { id: 'u-bob', username: 'bob@acme.example' },
  ],
  applications: [
    {
      id: 'a-bank',
      name: 'Bank-Website',
      businessPriority: 97,
      sourceLabel: 'OX',
      connectionId: 'c-ox',
      externalKey: '584352228',
      targetKeys: [],
    },
    {
      id: 'a-shop',
      name: 'Shop',
      businessPriority: 40,
      sourceLabel: null,
      connectionId: null,
      externalKey: null,
      targetKeys: ['repo:1', 'image:registry.acme.io/shop/web'],
    },
  ],
  rules: [],
  codeowners: new Map([
    [
      1,
      {
        path: '.github/CODEOWNERS',
        file: parseCodeowners(
          ['*                @acme/platform', '/services/pay/   @acme/payments', '*.md             @alice'].join('\n'),
          'github',
        ),
      },
    ],
  ]),
  defaultTeams: new Map([[1, 't-sec']]),
  ...o,
})

const subject = (o: Partial<OwnershipSubject> = {}): OwnershipSubject => ({
  targetKey: 'repo:1',
  targetKind: 'repository',
  targetName: 'acme/pay-api',
  repositoryId: 1,
  repositoryName: 'acme/pay-api',
  manifestPath: 'services/pay/package.json',
  scanners: [
    {
      connectionId: 'c-ox',
      data: { label: 'OX', owners: ['Web'], application: { key: '584352228', name: 'Bank-Website' } },
    },
  ],
  ...o,
})

describe('ownership precedence: the first source that answers wins', () => {
  it('a manual rule first', () => {
    const w = createOwnershipWorld(
      world({
        rules: [
          { id: 'r1', position: 1, match: { path: 'docs/**' }, teamId: 't-web', applicationId: null },
          { id: 'r2', position: 2, match: { repository: 'acme/pay-*' }, teamId: 't-plat', applicationId: null },
        ],
      }),
    )
    const a = w.resolve(subject())
    expect(a.source).toBe('rule')
    expect(a.team?.name).toBe('Platform')
    expect(a.reason).toBe(
      'team Platform, ownership rule 2 (repository acme/pay-*), matched repository acme/pay-api; application Bank-Website (OX business priority 97), OX application',
    )
  })

  it('rules are taken by position, not by the order they were written', () => {
    const w = createOwnershipWorld(
      world({
        rules: [
          { id: 'r2', position: 2, match: { path: '**/package.json' }, teamId: 't-plat', applicationId: null },
          { id: 'r1', position: 1, match: { path: 'services/**' }, teamId: 't-web', applicationId: null },
        ],
      }),
    )
    expect(w.resolve(subject()).team?.name).toBe('Web')
  })

  it('then CODEOWNERS, matched against the manifest path', () => {
    const a = createOwnershipWorld(world()).resolve(subject())
    expect(a.source).toBe('codeowners')
    expect(a.team?.name).toBe('Payments')
    expect(a.reason).toBe(
      'team Payments, .github/CODEOWNERS line 2 `/services/pay/   @acme/payments`, matched `services/pay/package.json`; application Bank-Website (OX business priority 97), OX application',
    )
  })

  it('a user in CODEOWNERS stands for their team', () => {
    const a = createOwnershipWorld(world()).resolve(subject({ manifestPath: 'docs/README.md' }))
    expect(a.team?.name).toBe('Payments')
    expect(a.reason).toMatch(/^team Payments \(through alice, a member\), \.github\/CODEOWNERS line 3/)
  })

  it('then the scanner, when no CODEOWNERS owner is a known team', () => {
    const w = world()
    w.codeowners = new Map([[1, { path: 'CODEOWNERS', file: parseCodeowners('* @acme/nobody', 'github') }]])
    const a = createOwnershipWorld(w).resolve(subject())
    expect(a).toMatchObject({ source: 'scanner', team: { name: 'Web' } })
    expect(a.reason).toMatch(/^team Web, OX owner Web; /)
    // an email names a user, who stands for their team
    const b = createOwnershipWorld(world({ codeowners: new Map() })).resolve(
      subject({ scanners: [{ connectionId: 'c-endor', data: { label: 'Endor Labs', owners: ['@alice'] } }] }),
    )
    expect(b.reason).toBe(
      'team Payments (through alice, a member), Endor Labs owner @alice; application Shop (business priority 40), which lists acme/pay-api',
    )
    // a tag equal to a team's slug names that team
    const c = createOwnershipWorld(world({ codeowners: new Map() })).resolve(
      subject({ scanners: [{ connectionId: 'c-endor', data: { label: 'Endor Labs', tags: ['tier-1', 'platform'] } }] }),
    )
    expect(c.reason).toMatch(/^team Platform, Endor Labs tag platform/)
  })

  it("last, the repository's default team", () => {
    const a = createOwnershipWorld(world({ codeowners: new Map() })).resolve(subject({ scanners: [] }))
    expect(a).toMatchObject({ source: 'default', team: { name: 'Sec' }, application: { name: 'Shop' } })
    expect(a.reason).toBe(
      'team Sec, default team of repository acme/pay-api; application Shop (business priority 40), which lists acme/pay-api',
    )
  })

  it('nobody: the reason says every source was asked', () => {
    const a = createOwnershipWorld(world({ codeowners: new Map(), defaultTeams: new Map(), applications: [] })).resolve(
      subject({ scanners: [] }),
    )
    expect(a).toEqual({
      team: null,
      application: null,
      source: 'default',
      reason: 'unowned: no ownership rule, CODEOWNERS line, scanner owner or default team answers',
    })
  })

  it('a GitHub last matching line without owners does not fall back to earlier lines', () => {
    const w = world({
      codeowners: new Map([
        [1, { path: 'CODEOWNERS', file: parseCodeowners('/services/ @acme/payments\n/services/pay/\n', 'github') }],
      ]),
    })
    expect(createOwnershipWorld(w).resolve(subject({ scanners: [] })).source).toBe('default')
  })

  it('GitLab: the last section whose entry names a known team answers, and says its section', () => {
    const w = world({
      codeowners: new Map([
        [
          1,
          {
            path: 'CODEOWNERS',
            file: parseCodeowners(
              ['* @acme/sec', '[Backend]', '/services/ @acme/web', '[Docs]', '*.md @acme/writers'].join('\n'),
              'gitlab',
            ),
          },
        ],
      ]),
    })
    const a = createOwnershipWorld(w).resolve(subject({ manifestPath: 'services/README.md' }))
    expect(a.reason).toMatch(/^team Web, CODEOWNERS \[Backend\] line 3 `\/services\/ @acme\/web`/)
  })

  it('rules may answer the application and leave the team to the next source', () => {
    const w = createOwnershipWorld(
      world({
        rules: [
          { id: 'r', position: 1, match: { image: 'registry.acme.io/**' }, teamId: null, applicationId: 'a-shop' },
        ],
      }),
    )
    const a = w.resolve(
      subject({
        targetKey: 'image:registry.acme.io/pay',
        targetKind: 'image',
        targetName: 'registry.acme.io/pay',
        manifestPath: 'Dockerfile',
        scanners: [],
      }),
    )
    expect(a.team?.name).toBe('Platform') // CODEOWNERS `*` of the image's source repository
    expect(a.application?.name).toBe('Shop')
    expect(a.reason).toMatch(
      /; application Shop \(business priority 40\), ownership rule 1 \(image registry\.acme\.io\/\*\*\), matched image registry\.acme\.io\/pay$/,
    )
  })
})

describe('rule globs', () => {
  it.each([
    ['acme/pay-*', 'acme/pay-api', true],
    ['acme/pay-*', 'acme/pay/api', false],
    ['ACME/*', 'acme/x', true],
    ['**/package.json', 'package.json', true],
    ['**/package.json', 'a/b/package.json', true],
    ['services/pay/', 'services/pay/a/go.mod', true],
    ['services/{pay,bill}/**', 'services/bill/x/pom.xml', true],
    ['services/?ay/*', 'services/pay/pom.xml', true],
  ])('%s matches %s → %s', (glob, name, expected) => {
    expect(globProblem(glob)).toBeNull()
    expect(compileGlob(glob, { ignoreCase: true }).test(name)).toBe(expected)
  })

  it('path globs keep case', () => {
    expect(compileGlob('Services/**', { ignoreCase: false }).test('services/a')).toBe(false)
  })

  it.each([
    ['', 'must not be empty'],
    ['!acme/*', 'negation with ! is not supported: write a rule for what you want to match'],
    ['acme/[ab]*', 'character ranges with [ ] are not supported; use * or {a,b}'],
    ['a/***', 'has *** (use * within a segment or ** across segments)'],
    ['a//b', 'has an empty path segment (//)'],
    ['a/{b,c', 'has an unclosed { alternative'],
    ['a\\b', 'backslashes are not supported; use / between path segments'],
  ])('refuses %j: %s', (glob, why) => {
    expect(globProblem(glob)).toBe(why)
  })
})

describe('team slugs', () => {
  it('are the name in lower case with dashes', () => {
    expect(slugify('Payments Team')).toBe('payments-team')
    expect(slugify('  Équipe Données / ML ')).toBe('equipe-donnees-ml')
  })
})
