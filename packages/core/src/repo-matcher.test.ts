import { describe, expect, it } from 'vitest'
import { matchKeys } from './match.ts'
import { createRepoMatcher } from './repo-matcher.ts'

const repos = [
  { id: 1, provider: 'github', externalId: '111', fullName: 'acme/api', urlKey: 'github.com/acme/api' },
  { id: 2, provider: 'gitlab', externalId: '222', fullName: 'acme/api', urlKey: 'gitlab.com/acme/api' },
  { id: 3, provider: 'github', externalId: '333', fullName: 'acme/web', urlKey: 'github.com/acme/web' },
]
const m = createRepoMatcher(repos, [{ matchKey: 'name:legacy/thing', repositoryId: 3 }])

describe('repository matching order', () => {
  it('prefers the provider external id over the URL', () => {
    expect(
      m.match(
        matchKeys({
          kind: 'repository',
          name: 'x',
          url: 'https://github.com/acme/web',
          externalId: { provider: 'GitHub', id: '111' },
        }),
      ),
    ).toBe(1)
  })
  it('matches every URL form of a repository on its canonical key', () => {
    for (const url of [
      'https://github.com/ACME/api.git',
      'git@github.com:acme/api.git',
      'ssh://git@github.com/acme/api',
      'https://github.com/acme/api/blob/main/package.json',
    ])
      expect(m.match(matchKeys({ kind: 'repository', name: 'x', url }))).toBe(1)
    expect(m.match(matchKeys({ kind: 'repository', name: 'x', url: 'https://gitlab.com/acme/api' }))).toBe(2)
  })
  it('matches owner/name when the scanner gives no URL, and an image by its source repository', () => {
    expect(m.match(matchKeys({ kind: 'repository', name: 'acme/web' }))).toBe(3)
    expect(
      m.match(matchKeys({ kind: 'image', name: 'registry.acme.io/web', sourceRepoUrl: 'https://github.com/acme/web' })),
    ).toBe(3)
  })
  it('falls back to a manual mapping, and to nothing', () => {
    expect(m.match(matchKeys({ kind: 'repository', name: 'legacy/thing' }))).toBe(3)
    expect(m.match(matchKeys({ kind: 'repository', name: 'x', url: 'https://bitbucket.org/acme/other' }))).toBeNull()
  })
})
