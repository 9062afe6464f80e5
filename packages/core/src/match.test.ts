import { describe, expect, it } from 'vitest'
import { matchKeys, stripCredentials } from './match.ts'

describe('stripCredentials', () => {
  it('removes userinfo and token query parameters, keeps everything else', () => {
    expect(stripCredentials('https://x-access-token:ghs_abc@github.com/o/r.git')).toBe('https://github.com/o/r.git')
    expect(stripCredentials('https://gitlab.com/g/p.git?private_token=glpat-1')).toBe('https://gitlab.com/g/p.git')
    expect(stripCredentials('https://h/g/p?ref=main&access_token=x&tab=1')).toBe('https://h/g/p?ref=main&tab=1')
    expect(stripCredentials('git@github.com:o/r.git')).toBe('git@github.com:o/r.git')
  })
})

describe('matchKeys', () => {
  it('derives external, url and name keys from a repository target', () => {
    const k = matchKeys({
      kind: 'repository',
      name: 'Octo-Org/Hello-World',
      url: 'https://tok@github.com/Octo-Org/Hello-World.git',
      externalId: { provider: 'GitHub', id: '1296269' },
    })
    expect(k).toEqual({
      externalKey: 'github:1296269',
      urlKey: 'github.com/octo-org/hello-world',
      nameKey: 'octo-org/hello-world',
      matchKey: 'github.com/octo-org/hello-world',
      display: 'https://github.com/Octo-Org/Hello-World.git',
    })
  })
  it('falls back to a name key for a bare owner/name', () => {
    const k = matchKeys({ kind: 'repository', name: 'Acme/API' })
    expect(k.urlKey).toBeNull()
    expect(k.nameKey).toBe('acme/api')
    expect(k.matchKey).toBe('name:acme/api')
  })
  it('matches an image target on its source repository URL', () => {
    const k = matchKeys({ kind: 'image', name: 'ghcr.io/acme/api', sourceRepoUrl: 'git@gitlab.com:Acme/Sub/API.git' })
    expect(k.urlKey).toBe('gitlab.com/acme/sub/api')
  })
})
