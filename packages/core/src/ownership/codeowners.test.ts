import { describe, expect, it } from 'vitest'
import { type CodeownersDialect, matchCodeowners, parseCodeowners } from './codeowners.ts'

/** The owners decided for `path` by a one-line file `pattern @o`, or null when the line does not match. */
const owns = (dialect: CodeownersDialect, pattern: string, path: string): boolean => {
  const f = parseCodeowners(`${pattern} @acme/o`, dialect)
  expect(f.errors).toEqual([])
  return matchCodeowners(f, path).length > 0
}

/**
 * The matching table: one pattern, one path, whether the line owns it. GitHub rows follow the examples of GitHub's
 * "About code owners" page (gitignore rules); GitLab rows follow its fnmatch rules (a pattern without a leading
 * slash matches at any depth).
 */
const TABLE: [CodeownersDialect, string, string, boolean][] = [
  // `*`: everything
  ['github', '*', 'package.json', true],
  ['github', '*', 'services/pay/package.json', true],
  ['gitlab', '*', 'services/pay/package.json', true],
  // unanchored name patterns: any depth
  ['github', '*.js', 'app.js', true],
  ['github', '*.js', 'web/src/app.js', true],
  ['github', '*.js', 'web/src/app.ts', false],
  ['github', 'package.json', 'services/pay/package.json', true],
  ['gitlab', 'package.json', 'services/pay/package.json', true],
  ['gitlab', '*.rb', 'lib/deep/x.rb', true],
  // anchored: a leading slash, or a slash inside
  ['github', '/package.json', 'package.json', true],
  ['github', '/package.json', 'services/pay/package.json', false],
  ['gitlab', '/package.json', 'services/pay/package.json', false],
  ['github', 'services/pay/package.json', 'services/pay/package.json', true],
  ['github', 'services/pay/package.json', 'x/services/pay/package.json', false],
  // GitLab puts `/**/` in front of any pattern without a leading slash, even one with a slash inside
  ['gitlab', 'services/pay/package.json', 'x/services/pay/package.json', true],
  // directories: a trailing slash owns everything below
  ['github', '/build/logs/', 'build/logs/a/b.log', true],
  ['github', '/build/logs/', 'src/build/logs/a.log', false],
  ['github', 'apps/', 'apps/web/package.json', true],
  ['github', 'apps/', 'src/apps/web/package.json', true],
  ['github', '/services/pay/', 'services/pay/package.json', true],
  ['github', '/services/pay/', 'services/payroll/package.json', false],
  ['gitlab', '/docs/', 'docs/a/b.md', true],
  ['gitlab', 'internal/', 'a/internal/b/c.go', true],
  // a directory without a trailing slash: GitHub owns what is below it too; GitLab's fnmatch only the path itself
  ['github', '/apps/github', 'apps/github/package.json', true],
  ['gitlab', '/apps/github', 'apps/github/package.json', false],
  ['gitlab', '/apps/github', 'apps/github', true],
  // `dir/*`: GitHub owns the directory's files, not deeper ones
  ['github', 'docs/*', 'docs/getting-started.md', true],
  ['github', 'docs/*', 'docs/build-app/troubleshooting.md', false],
  ['gitlab', '/docs/*', 'docs/build-app/troubleshooting.md', false],
  // `**`
  ['github', '**/logs', 'build/logs', true],
  ['github', '**/logs', 'deeply/nested/logs/x.log', true],
  ['github', '**/logs', 'logs/x.log', true],
  ['github', '/docs/**', 'docs/a/b/c.md', true],
  ['github', 'services/**/package.json', 'services/package.json', true],
  ['github', 'services/**/package.json', 'services/a/b/package.json', true],
  ['gitlab', '/services/**/pom.xml', 'services/a/b/pom.xml', true],
  ['gitlab', '/services/**/pom.xml', 'pom.xml', false],
  // case sensitive
  ['github', '/Services/', 'services/x.json', false],
  ['gitlab', '/Services/', 'services/x.json', false],
  // `?` and GitLab classes and braces
  ['github', 'v?.txt', 'v1.txt', true],
  ['gitlab', '*.{js,ts}', 'web/app.ts', true],
  ['gitlab', '/lib/[a-c]*.rb', 'lib/banana.rb', true],
  ['gitlab', '/lib/[a-c]*.rb', 'lib/zebra.rb', false],
  // dots and leading ./ in the path
  ['github', '*', '.github/workflows/ci.yml', true],
  ['github', '/services/pay/', './services/pay/go.mod', true],
]

describe('CODEOWNERS matching table', () => {
  it.each(TABLE)('%s: %s owns %s → %s', (dialect, pattern, path, expected) => {
    expect(owns(dialect, pattern, path)).toBe(expected)
  })
})

describe('CODEOWNERS: which line decides', () => {
  it('the last matching line wins, as in git (GitHub)', () => {
    const f = parseCodeowners(
      ['*       @acme/platform', '/services/pay/ @acme/payments', '*.md    docs@acme.example'].join('\n'),
      'github',
    )
    expect(matchCodeowners(f, 'services/pay/package.json')[0]!.entry.owners).toEqual(['@acme/payments'])
    expect(matchCodeowners(f, 'services/pay/README.md')[0]!.entry.owners).toEqual(['docs@acme.example'])
    expect(matchCodeowners(f, 'web/package.json')[0]!.entry).toMatchObject({ line: 1, owners: ['@acme/platform'] })
  })

  it('a matching line without owners leaves the path unowned, even when an earlier line owns it (GitHub)', () => {
    const f = parseCodeowners('/apps/ @octo-org/octocats\n/apps/github\n', 'github')
    const m = matchCodeowners(f, 'apps/github/package.json')
    expect(m).toHaveLength(1)
    expect(m[0]!.entry).toMatchObject({ line: 2, owners: [] })
    expect(matchCodeowners(f, 'apps/web/package.json')[0]!.entry.owners).toEqual(['@octo-org/octocats'])
  })

  it('GitLab sections: each section answers for itself, in file order, the last match within it', () => {
    const f = parseCodeowners(
      [
        '* @acme/platform',
        '[Backend] @acme/backend',
        '/services/',
        '/services/pay/ @acme/payments',
        '[Docs]',
        '*.md @acme/writers',
        '[backend]',
        '/services/pay/legacy/ @acme/legacy',
      ].join('\n'),
      'gitlab',
    )
    expect(f.errors).toEqual([])
    expect(f.sections).toEqual([null, 'Backend', 'Docs'])
    const m = matchCodeowners(f, 'services/pay/legacy/pom.xml')
    expect(m.map((x) => [x.section, x.entry.owners])).toEqual([
      [null, ['@acme/platform']],
      // the two [Backend]/[backend] headers are one section: its last matching entry is the legacy one
      ['Backend', ['@acme/legacy']],
    ])
    // an entry without owners takes the section's default owners
    expect(matchCodeowners(f, 'services/orders/pom.xml')[1]).toMatchObject({
      section: 'Backend',
      entry: { line: 3, owners: ['@acme/backend'] },
    })
    expect(matchCodeowners(f, 'services/pay/README.md').map((x) => x.section)).toEqual([null, 'Backend', 'Docs'])
  })

  it('GitLab exclusions take a path out of their section', () => {
    const f = parseCodeowners(['[Web]', '*.js @acme/web', '!/vendor/'].join('\n'), 'gitlab')
    expect(matchCodeowners(f, 'src/app.js')).toHaveLength(1)
    expect(matchCodeowners(f, 'vendor/lib.js')).toHaveLength(0)
  })

  it('without a manifest path only lines that own every file answer', () => {
    const f = parseCodeowners('* @acme/platform\n/services/ @acme/svc\n', 'github')
    expect(matchCodeowners(f, null)[0]!.entry.line).toBe(1)
    expect(matchCodeowners(parseCodeowners('/services/ @acme/svc', 'github'), null)).toEqual([])
  })
})

describe('CODEOWNERS: lines that cannot be used are reported and skipped', () => {
  it('reports each bad line with its number and why, and keeps the good ones', () => {
    const f = parseCodeowners(
      [
        '# owners',
        '*            @acme/platform   # everyone else',
        'payments-team /services/pay/',
        '/services/pay/ payments-team',
        '!/vendor/ @acme/platform',
        '/lib/[a-c]*.rb @acme/ruby',
        '\\#notes @acme/writers',
        '/docs/ @acme/writers',
      ].join('\n'),
      'github',
    )
    expect(f.entries.map((e) => [e.line, e.owners])).toEqual([
      [2, ['@acme/platform']],
      [8, ['@acme/writers']],
    ])
    expect(f.errors.map((e) => [e.line, e.message])).toEqual([
      [3, 'owner "/services/pay/" is not an @user, an @org/team or an email address'],
      [4, 'owner "payments-team" is not an @user, an @org/team or an email address'],
      [5, 'negation with ! is not supported in GitHub CODEOWNERS'],
      [6, 'character ranges with [ ] are not supported in GitHub CODEOWNERS'],
      [7, 'escaping a leading # with \\ is not supported in GitHub CODEOWNERS'],
    ])
  })

  it('GitLab: bad section headers and entries without any owner', () => {
    const f = parseCodeowners(['[]', '[Docs][two] @acme/writers', '[Docs', '/x/', '[Ok]', '/y/'].join('\n'), 'gitlab')
    expect(f.errors.map((e) => [e.line, e.message])).toEqual([
      [1, 'a section needs a name between [ and ]'],
      [2, 'the number of required approvals [two] must be a whole number'],
      [3, 'a section header needs a closing ]'],
      [4, 'the entry has no owner'],
      [6, 'the entry has no owner and section [Ok] has none'],
    ])
  })

  it('accepts GitLab owners GitHub does not know: nested groups and roles', () => {
    const f = parseCodeowners('/a/ @acme/platform/backend @@maintainer dev@acme.example\n', 'gitlab')
    expect(f.errors).toEqual([])
    expect(f.entries[0]!.owners).toEqual(['@acme/platform/backend', '@@maintainer', 'dev@acme.example'])
    expect(parseCodeowners('/a/ @@maintainer', 'github').errors).toHaveLength(1)
  })

  it('ignores a file larger than 3 MB entirely, as GitHub does', () => {
    const big = `${'# padding\n'.repeat(330_000)}* @acme/platform\n`
    const f = parseCodeowners(big, 'github')
    expect(f.entries).toEqual([])
    expect(f.errors[0]!.message).toMatch(/larger than 3 MB/)
  })
})
