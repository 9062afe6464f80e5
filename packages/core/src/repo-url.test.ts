import { describe, expect, it } from 'vitest'
import { canonicalRepo, canonicalRepoKey } from './repo-url.ts'

/** Real-world forms (scm.md §5.2/§5.3 and scanner payloads), each with the one key it must reduce to. */
const TABLE: Array<[input: string, key: string]> = [
  // ---- github.com: clone, ssh, git, credentials, web deep links
  ['https://github.com/Octo-Org/Hello-World.git', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world/', 'github.com/octo-org/hello-world'],
  ['https://GitHub.com/octo-org/hello-world.git/', 'github.com/octo-org/hello-world'],
  ['https://www.github.com/octo-org/hello-world', 'github.com/octo-org/hello-world'],
  ['http://github.com/octo-org/hello-world', 'github.com/octo-org/hello-world'],
  ['https://ghp_abc123@github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['https://x-access-token:ghs_abc@github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['git@github.com:octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['git@github.com:Octo-Org/Hello-World', 'github.com/octo-org/hello-world'],
  ['git@github.com:/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['ssh://git@github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['ssh://git@github.com:22/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['ssh://git@ssh.github.com:443/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['git://github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['git+https://github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['git+ssh://git@github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['scm:git:git@github.com:octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['scm:git:https://github.com/octo-org/hello-world.git', 'github.com/octo-org/hello-world'],
  ['github:octo-org/hello-world', 'github.com/octo-org/hello-world'],
  ['github.com/octo-org/hello-world', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world/tree/main/src', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world/blob/main/package.json#L10', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world/pull/12', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world/pull/12/files', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world/security/dependabot/2', 'github.com/octo-org/hello-world'],
  ['https://github.com/octo-org/hello-world?tab=readme-ov-file', 'github.com/octo-org/hello-world'],
  ['https://api.github.com/repos/octo-org/hello-world', 'github.com/octo-org/hello-world'],
  ['https://raw.githubusercontent.com/octo-org/hello-world/main/package.json', 'github.com/octo-org/hello-world'],
  // ---- GitHub Enterprise Server (host declared by the caller, or named github.*)
  ['https://github.acme.io/Platform/API.git', 'github.acme.io/platform/api'],
  ['git@github.acme.io:platform/api.git', 'github.acme.io/platform/api'],
  ['https://github.acme.io/api/v3/repos/platform/api', 'github.acme.io/platform/api'],
  // ---- gitlab.com and self-managed: nested groups, /-/ links, tokens, custom ssh port
  ['https://gitlab.com/group/sub/project.git', 'gitlab.com/group/sub/project'],
  ['https://gitlab.com/Group/Sub/Project', 'gitlab.com/group/sub/project'],
  ['git@gitlab.com:group/sub/project.git', 'gitlab.com/group/sub/project'],
  ['https://oauth2:glpat-xxxxxxxx@gitlab.com/group/sub/project.git', 'gitlab.com/group/sub/project'],
  ['https://gitlab.com/group/sub/project/-/blob/main/package.json', 'gitlab.com/group/sub/project'],
  ['https://gitlab.com/group/sub/project/-/tree/main?ref_type=heads', 'gitlab.com/group/sub/project'],
  ['https://gitlab.com/group/sub/project/-/merge_requests/3', 'gitlab.com/group/sub/project'],
  ['https://gitlab.com/group/sub/project/blob/master/Gemfile.lock', 'gitlab.com/group/sub/project'],
  ['gitlab:group/sub/project', 'gitlab.com/group/sub/project'],
  ['https://gitlab.com/api/v4/projects/group%2Fsub%2Fproject', 'gitlab.com/group/sub/project'],
  ['ssh://git@gitlab.example.com:2222/group/sub/project.git', 'gitlab.example.com/group/sub/project'],
  ['https://gitlab-ci-token:TOKEN@gitlab.example.com/Group/Sub/Project.git', 'gitlab.example.com/group/sub/project'],
  ['https://gitlab.example.com:8443/group/sub/project/-/tree/main', 'gitlab.example.com/group/sub/project'],
  // ---- Bitbucket Cloud
  ['https://bitbucket.org/Workspace/Repo.git', 'bitbucket.org/workspace/repo'],
  ['https://jdoe@bitbucket.org/workspace/repo.git', 'bitbucket.org/workspace/repo'],
  ['https://x-token-auth:TOKEN@bitbucket.org/workspace/repo', 'bitbucket.org/workspace/repo'],
  ['git@bitbucket.org:workspace/repo.git', 'bitbucket.org/workspace/repo'],
  ['https://bitbucket.org/workspace/repo/src/main/package.json', 'bitbucket.org/workspace/repo'],
  ['https://bitbucket.org/workspace/repo/pull-requests/7', 'bitbucket.org/workspace/repo'],
  // ---- Bitbucket Server / Data Center
  ['https://bitbucket.example.com/scm/PROJ/repo.git', 'bitbucket.example.com/proj/repo'],
  ['https://jdoe@bitbucket.example.com/scm/proj/repo.git', 'bitbucket.example.com/proj/repo'],
  ['ssh://git@bitbucket.example.com:7999/proj/repo.git', 'bitbucket.example.com/proj/repo'],
  ['https://bitbucket.example.com/projects/PROJ/repos/repo/browse', 'bitbucket.example.com/proj/repo'],
  [
    'https://bitbucket.example.com/projects/PROJ/repos/repo/browse/src/pom.xml?at=refs%2Fheads%2Fmain',
    'bitbucket.example.com/proj/repo',
  ],
  ['https://bitbucket.example.com/rest/api/1.0/projects/PROJ/repos/repo', 'bitbucket.example.com/proj/repo'],
  ['https://code.corp.example/scm/PROJ/repo.git', 'code.corp.example/proj/repo'],
  ['ssh://git@code.corp.example:7999/proj/repo.git', 'code.corp.example/proj/repo'],
  ['https://code.corp.example/projects/PROJ/repos/repo/browse', 'code.corp.example/proj/repo'],
  ['https://bitbucket.example.com/scm/~jdoe/repo.git', 'bitbucket.example.com/~jdoe/repo'],
  ['https://bitbucket.example.com/users/jdoe/repos/repo/browse', 'bitbucket.example.com/~jdoe/repo'],
  // ---- Azure DevOps, new and legacy hosts, https and ssh
  ['https://dev.azure.com/org/proj/_git/repo', 'dev.azure.com/org/proj/repo'],
  ['https://org@dev.azure.com/org/proj/_git/repo', 'dev.azure.com/org/proj/repo'],
  ['https://dev.azure.com/Org/Proj/_git/Repo?path=/package.json&version=GBmain', 'dev.azure.com/org/proj/repo'],
  ['https://dev.azure.com/org/proj/_git/repo/pullrequest/42', 'dev.azure.com/org/proj/repo'],
  ['git@ssh.dev.azure.com:v3/org/proj/repo', 'dev.azure.com/org/proj/repo'],
  ['ssh://git@ssh.dev.azure.com/v3/org/proj/repo', 'dev.azure.com/org/proj/repo'],
  ['https://org.visualstudio.com/proj/_git/repo', 'dev.azure.com/org/proj/repo'],
  ['https://org.visualstudio.com/DefaultCollection/proj/_git/repo', 'dev.azure.com/org/proj/repo'],
  ['org@vs-ssh.visualstudio.com:v3/org/proj/repo', 'dev.azure.com/org/proj/repo'],
  ['https://dev.azure.com/org/repo/_git/repo', 'dev.azure.com/org/repo/repo'],
  ['https://dev.azure.com/org/_git/repo', 'dev.azure.com/org/repo/repo'],
  ['https://dev.azure.com/org/My%20Project/_git/My%20Repo', 'dev.azure.com/org/my project/my repo'],
  // ---- generic self-hosted (Gitea, cgit …): case kept, port dropped
  ['https://git.example.org/Team/Service.git', 'git.example.org/Team/Service'],
  ['ssh://git@git.example.org:2200/Team/Service.git', 'git.example.org/Team/Service'],
  ['git@git.example.org:Team/Service.git', 'git.example.org/Team/Service'],
  ['https://git.example.org/Team/Service/src/branch/main/go.mod', 'git.example.org/Team/Service'],
]

describe('canonicalRepo: the URL table', () => {
  it('holds at least 40 real-world forms', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40)
  })
  it.each(TABLE)('%s → %s', (input, key) => {
    expect(canonicalRepoKey(input)).toBe(key)
  })
})

describe('canonicalRepo', () => {
  it('never keeps credentials anywhere in the result', () => {
    for (const [input] of TABLE) {
      const c = canonicalRepo(input)!
      const text = JSON.stringify(c)
      for (const secret of ['ghp_abc123', 'ghs_abc', 'glpat', 'TOKEN', 'x-access-token', 'oauth2', 'jdoe@'])
        expect(text).not.toContain(secret)
    }
  })

  it('returns host, path segments and fullName beside the key', () => {
    expect(canonicalRepo('git@gitlab.com:Group/Sub/Project.git')).toEqual({
      key: 'gitlab.com/group/sub/project',
      host: 'gitlab.com',
      path: ['group', 'sub', 'project'],
      fullName: 'group/sub/project',
    })
  })

  it('keeps case on hosts of unknown kind and folds it for hosts the caller declares', () => {
    expect(canonicalRepoKey('https://ghe.corp/Platform/API.git')).toBe('ghe.corp/Platform/API')
    expect(canonicalRepoKey('https://ghe.corp/Platform/API/tree/main/x', { hosts: { 'ghe.corp': 'github' } })).toBe(
      'ghe.corp/platform/api',
    )
    expect(canonicalRepoKey('git@ghe.corp:Platform/API.git', { hosts: { 'ghe.corp': 'github' } })).toBe(
      'ghe.corp/platform/api',
    )
    expect(canonicalRepoKey('https://scm.corp/G/S/P/-/blob/x', { hosts: { 'scm.corp': 'gitlab' } })).toBe(
      'scm.corp/g/s/p',
    )
  })

  it('refuses things that are not repository URLs', () => {
    for (const bad of [
      null,
      undefined,
      '',
      '   ',
      'octo-org/hello-world',
      'not a url',
      'https://github.com/octo-org',
      'https://github.com/',
      'mailto:a@b.c',
      'https://gitlab.com/api/v4/projects/42',
      'file:///srv/repo.git',
    ])
      expect(canonicalRepo(bad as string)).toBeNull()
  })

  it('treats host:port/path as a port, not an scp path', () => {
    expect(canonicalRepoKey('gitlab.example.com:8443/group/project')).toBe('gitlab.example.com/group/project')
  })
})
