import { describe, expect, it } from 'vitest'
import { artifactIdentity } from './artifact.ts'

describe('an artifact without its version', () => {
  it.each([
    ['Npm', 'pkg-000010/-', 'pkg-000010-1.3.0.tgz', 'pkg-000010', '1.3.0'],
    ['Npm', '@acme/ui-kit/-', 'ui-kit-2.0.0-beta.1.tgz', '@acme/ui-kit', '2.0.0-beta.1'],
    ['Npm', 'lodash/-', 'lodash-4.17.21.tgz', 'lodash', '4.17.21'],
    ['Maven', 'org/acme/lib/2.1.0', 'lib-2.1.0.jar', 'org/acme/lib', '2.1.0'],
    ['Maven', 'org/acme/lib/2.1.0-SNAPSHOT', 'lib-2.1.0-20260101.120000-1.jar', 'org/acme/lib', '2.1.0-SNAPSHOT'],
    ['Gradle', 'com/example/app/10.4', 'app-10.4-all.jar', 'com/example/app', '10.4'],
    ['Pypi', 'requests/2.31.0', 'requests-2.31.0-py3-none-any.whl', 'requests', '2.31.0'],
    ['Go', 'github.com/acme/mod/@v', 'v1.2.3.zip', 'github.com/acme/mod', 'v1.2.3'],
    ['NuGet', '.', 'Newtonsoft.Json.13.0.3.nupkg', 'Newtonsoft.Json', '13.0.3'],
    ['Docker', 'app/web/1.4.0', 'manifest.json', 'app/web', '1.4.0'],
    [
      'Docker',
      'component/open-liberty/21.0.0.3-1-full-alpine-java8-openj9',
      'manifest.json',
      'component/open-liberty',
      '21.0.0.3-1-full-alpine-java8-openj9',
    ],
    ['Generic', 'releases/tool/3.2', 'tool-linux-amd64.tar.gz', 'releases/tool/tool-linux-amd64', '3.2'],
    ['Generic', 'bin', 'agent-5.0.1.zip', 'bin/agent', '5.0.1'],
  ])('%s %s/%s → %s @ %s', (type, path, name, artifact, version) => {
    expect(artifactIdentity(type, path, name)).toEqual({ artifact, version })
  })

  it('keeps a file whole when no version can be told', () => {
    expect(artifactIdentity('Generic', 'docs', 'README.txt')).toEqual({ artifact: 'docs/README.txt' })
    expect(artifactIdentity('Generic', '.', 'install.sh')).toEqual({ artifact: 'install.sh' })
  })
})
