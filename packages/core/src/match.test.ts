import { describe, expect, it } from 'vitest'
import { matchKeys, repositoryKeys, scmHostKinds, stripCredentials } from './match.ts'

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

describe('repositoryKeys', () => {
  it('gives one URL key for the web, clone and ssh URLs of a github.com repository', () => {
    expect(
      repositoryKeys({
        provider: 'github',
        externalId: '1296269',
        fullName: 'octocat/Hello-World',
        webUrl: 'https://github.com/octocat/Hello-World',
        cloneUrl: 'https://github.com/octocat/Hello-World.git',
        sshUrl: 'git@github.com:octocat/Hello-World.git',
      }),
    ).toEqual({
      externalKey: 'github:1296269',
      urlKeys: ['github.com/octocat/hello-world'],
      nameKey: 'octocat/hello-world',
    })
  })

  it('folds case for a GitHub Enterprise host so scanner URLs in any case match it', () => {
    const rec = {
      provider: 'github',
      externalId: '42',
      fullName: 'Platform/API',
      webUrl: 'https://ghe.corp/Platform/API',
      cloneUrl: 'https://ghe.corp/Platform/API.git',
      sshUrl: 'git@ghe.corp:Platform/API.git',
    }
    expect(repositoryKeys(rec).urlKeys).toEqual(['ghe.corp/platform/api'])
    const hosts = scmHostKinds([rec])
    expect(hosts).toEqual({ 'ghe.corp': 'github' })
    expect(
      matchKeys({ kind: 'repository', name: 'x', url: 'https://ghe.corp/platform/api/tree/main' }, { hosts }).urlKey,
    ).toBe('ghe.corp/platform/api')
  })

  it('keeps nested GitLab groups and unifies an ssh URL on a custom port', () => {
    const keys = repositoryKeys({
      provider: 'gitlab',
      externalId: '7',
      fullName: 'acme/platform/Backend/api',
      webUrl: 'https://gitlab.corp/acme/platform/Backend/api',
      cloneUrl: 'https://gitlab.corp/acme/platform/Backend/api.git',
      sshUrl: 'ssh://git@gitlab.corp:2222/acme/platform/Backend/api.git',
    })
    expect(keys.urlKeys).toEqual(['gitlab.corp/acme/platform/backend/api'])
    expect(keys.externalKey).toBe('gitlab:7')
  })
})
