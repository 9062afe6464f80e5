import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type NpmRegistrySimulator, startNpmRegistrySimulator } from '@vulnsync/simulators/npm-registry/index.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNpmRunner } from '../npm-cli.ts'
import { mavenManifest } from './maven.ts'
import { moveSpec, npmManifest } from './npm.ts'
import { pipManifest } from './pip.ts'
import type { Bump, EditContext } from './types.ts'

const files = (m: Record<string, string>) => async (p: string) => m[p] ?? null
const bump = (name: string, to: string, strategy: Bump['strategy'] = 'direct'): Bump => ({
  name,
  from: null,
  to,
  strategy,
  cves: ['CVE-2021-23337'],
})
const noNpm: EditContext = { npm: null }

describe('npm: package.json as text, the lockfile by npm', () => {
  it.each([
    ['4.17.15', '4.17.21', '4.17.21'],
    ['^4.17.15', '4.17.21', '^4.17.21'],
    ['~1.2.0', '1.2.6', '~1.2.6'],
    ['>=0.21.0', '1.6.0', '>=1.6.0'],
    ['^4.17', '4.17.21', '^4.17.21'],
    ['1.x', '1.2.6', null],
    ['latest', '1.2.6', null],
    ['^1.0.0 || ^2.0.0', '2.0.1', null],
  ])('declared %s, moved to %s: %s', (spec, to, out) => expect(moveSpec(spec, to)).toBe(out))

  it('bumps a direct dependency where declared, keeping the rest byte for byte (CRLF, key order, spacing)', async () => {
    const pkg =
      '{\r\n    "name": "api",\r\n    "dependencies": {\r\n        "lodash": "^4.17.15",\r\n        "axios":"0.21.0"\r\n    },\r\n    "devDependencies": { "minimist": "1.2.0" }\r\n}\r\n'
    const r = await npmManifest.edit(
      'package.json',
      [bump('lodash', '4.17.21'), bump('minimist', '1.2.6')],
      files({ 'package.json': pkg }),
      noNpm,
    )
    expect(r.changes).toHaveLength(1)
    expect(r.changes[0]!.after).toBe(pkg.replace('^4.17.15', '^4.17.21').replace('"1.2.0"', '"1.2.6"'))
    expect(r.applied.map((a) => a.detail)).toEqual([
      '"lodash": "^4.17.15" → "^4.17.21" in dependencies',
      '"minimist": "1.2.0" → "1.2.6" in devDependencies',
    ])
  })

  it('forces a transitive dependency through overrides (added, then extended)', async () => {
    const pkg = '{\n  "name": "api",\n  "dependencies": {\n    "mkdirp": "0.5.1"\n  }\n}\n'
    const r = await npmManifest.edit(
      'package.json',
      [bump('minimist', '1.2.6', 'override')],
      files({ 'package.json': pkg }),
      noNpm,
    )
    expect(r.changes[0]!.after).toBe(
      '{\n  "name": "api",\n  "dependencies": {\n    "mkdirp": "0.5.1"\n  },\n  "overrides": {\n    "minimist": "1.2.6"\n  }\n}\n',
    )
    const again = await npmManifest.edit(
      'package.json',
      [bump('follow-redirects', '1.15.6', 'override')],
      files({ 'package.json': r.changes[0]!.after }),
      noNpm,
    )
    expect(JSON.parse(again.changes[0]!.after).overrides).toEqual({ 'follow-redirects': '1.15.6', minimist: '1.2.6' })
  })

  it('a dependency the manifest does not declare is overridden even when the scanner said direct', async () => {
    const r = await npmManifest.edit(
      'package.json',
      [bump('minimist', '1.2.6')],
      files({ 'package.json': '{"name":"x"}' }),
      noNpm,
    )
    expect(r.applied[0]!.strategy).toBe('override')
    expect(JSON.parse(r.changes[0]!.after)).toEqual({ name: 'x', overrides: { minimist: '1.2.6' } })
  })

  it('leaves a style it cannot keep to a developer, with the command', async () => {
    const r = await npmManifest.edit(
      'web/package.json',
      [bump('lodash', '4.17.21')],
      files({ 'web/package.json': '{"dependencies":{"lodash":"4.x"}}' }),
      noNpm,
    )
    expect(r.changes).toEqual([])
    expect(r.skipped[0]).toMatchObject({
      reason: expect.stringMatching(/"4.x"/),
      command: 'cd web && npm install lodash@4.17.21',
    })
  })

  describe('with a lockfile, against the registry simulator', () => {
    let sim: NpmRegistrySimulator
    let ctx: EditContext
    beforeAll(async () => {
      sim = await startNpmRegistrySimulator()
      ctx = { npm: createNpmRunner(sim.url) }
    })
    afterAll(() => sim.close())

    const lockOf = async (pkg: object) => {
      const dir = mkdtempSync(join(tmpdir(), 'lock-'))
      try {
        writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2))
        await ctx.npm!.run(dir, ['install', '--package-lock-only'])
        return readFileSync(join(dir, 'package-lock.json'), 'utf8')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }

    it('regenerates package-lock.json with npm, and npm ci installs the result', async () => {
      const pkg = { name: 'svc', version: '1.0.0', dependencies: { lodash: '4.17.15', mkdirp: '0.5.1' } }
      const lock = await lockOf(pkg)
      const r = await npmManifest.edit(
        'svc/package.json',
        [bump('lodash', '4.17.21'), bump('minimist', '1.2.6', 'override')],
        files({ 'svc/package.json': JSON.stringify(pkg, null, 2), 'svc/package-lock.json': lock }),
        ctx,
      )
      expect(r.skipped).toEqual([])
      expect(r.changes.map((c) => c.path)).toEqual(['svc/package.json', 'svc/package-lock.json'])
      const next = JSON.parse(r.changes[1]!.after)
      expect(next.packages['node_modules/lodash'].version).toBe('4.17.21')
      expect(next.packages['node_modules/minimist'].version).toBe('1.2.6')
      expect(next.lockfileVersion).toBe(JSON.parse(lock).lockfileVersion)
      const dir = mkdtempSync(join(tmpdir(), 'ci-'))
      try {
        writeFileSync(join(dir, 'package.json'), r.changes[0]!.after)
        writeFileSync(join(dir, 'package-lock.json'), r.changes[1]!.after)
        await ctx.npm!.run(dir, ['ci'])
        const installed = JSON.parse(readFileSync(join(dir, 'node_modules/minimist/package.json'), 'utf8'))
        expect(installed.version).toBe('1.2.6')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }, 90_000)

    it('a lockfile v1 or an npm failure means no edit and a manual plan', async () => {
      const v1 = await npmManifest.edit(
        'package.json',
        [bump('lodash', '4.17.21')],
        files({
          'package.json': '{"dependencies":{"lodash":"4.17.15"}}',
          'package-lock.json': '{"lockfileVersion":1}',
        }),
        ctx,
      )
      expect(v1.changes).toEqual([])
      expect(v1.skipped[0]!.reason).toMatch(/lockfile version 1/)
      const broken = await npmManifest.edit(
        'package.json',
        [bump('lodash', '4.17.21')],
        files({
          'package.json': '{"dependencies":{"lodash":"4.17.15","no-such-package-here":"1.0.0"}}',
          'package-lock.json': '{"lockfileVersion":3,"packages":{}}',
        }),
        ctx,
      )
      expect(broken.changes).toEqual([])
      expect(broken.skipped[0]!.reason).toMatch(/npm could not regenerate package-lock.json/)
    }, 90_000)
  })
})

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project>
  <properties>
    <!-- <log4j.version>1.0</log4j.version> is old -->
    <log4j.version>2.14.1</log4j.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>\${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>2.9.10</version> <!-- pinned for the old client -->
    </dependency>
  </dependencies>
</project>
`

describe('Maven: pom.xml as text', () => {
  it('edits the property a version names, and a literal version in place (comments untouched)', async () => {
    const r = await mavenManifest.edit(
      'pom.xml',
      [
        bump('org.apache.logging.log4j:log4j-core', '2.17.1'),
        bump('com.fasterxml.jackson.core:jackson-databind', '2.9.10.4'),
      ],
      files({ 'pom.xml': POM }),
      noNpm,
    )
    expect(r.changes[0]!.after).toBe(
      POM.replace('<log4j.version>2.14.1</log4j.version>', '<log4j.version>2.17.1</log4j.version>').replace(
        '<version>2.9.10</version>',
        '<version>2.9.10.4</version>',
      ),
    )
    expect(r.applied.map((a) => a.strategy)).toEqual(['direct', 'direct'])
  })

  it('pins a transitive dependency in dependencyManagement, adding the section in the file’s indentation', async () => {
    const r = await mavenManifest.edit(
      'pom.xml',
      [bump('org.yaml:snakeyaml', '2.0', 'override')],
      files({ 'pom.xml': POM }),
      noNpm,
    )
    const after = r.changes[0]!.after
    expect(after).toContain(
      '  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>org.yaml</groupId>\n        <artifactId>snakeyaml</artifactId>\n        <version>2.0</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n  <dependencies>',
    )
    const again = await mavenManifest.edit(
      'pom.xml',
      [bump('org.yaml:snakeyaml', '2.1', 'override')],
      files({ 'pom.xml': after }),
      noNpm,
    )
    expect(again.changes[0]!.after).toBe(after.replace('<version>2.0</version>', '<version>2.1</version>'))
    expect(again.applied[0]!.detail).toMatch(/in dependencyManagement/)
  })
})

describe('pip: requirements*.txt as text', () => {
  it('moves a pin and keeps its operator, extras, marker, comment and CRLF', async () => {
    const req = '# app\r\nrequests[socks]==2.25.1 ; python_version >= "3.8"  # http\r\nJinja2>=3.1.2\r\n'
    const r = await pipManifest.edit(
      'requirements.txt',
      [bump('requests', '2.32.2'), bump('jinja2', '3.1.4')],
      files({ 'requirements.txt': req }),
      noNpm,
    )
    expect(r.changes[0]!.after).toBe(
      '# app\r\nrequests[socks]==2.32.2 ; python_version >= "3.8"  # http\r\nJinja2>=3.1.4\r\n',
    )
  })

  it('constrains a transitive dependency: a new constraints.txt referenced with -c, or the one referenced already', async () => {
    const r = await pipManifest.edit(
      'svc/requirements.txt',
      [bump('urllib3', '2.2.2', 'override')],
      files({ 'svc/requirements.txt': 'requests==2.32.2\n' }),
      noNpm,
    )
    expect(r.changes).toEqual([
      { path: 'svc/requirements.txt', before: 'requests==2.32.2\n', after: 'requests==2.32.2\n-c constraints.txt\n' },
      { path: 'svc/constraints.txt', before: null, after: 'urllib3==2.2.2\n' },
    ])
    const ref = await pipManifest.edit(
      'requirements.txt',
      [bump('urllib3', '2.2.2', 'override')],
      files({ 'requirements.txt': '-c pins.txt\nrequests\n', 'pins.txt': 'urllib3==1.26.5\n' }),
      noNpm,
    )
    expect(ref.changes).toEqual([{ path: 'pins.txt', before: 'urllib3==1.26.5\n', after: 'urllib3==2.2.2\n' }])
  })

  it('leaves hash-checked requirements to pip-compile', async () => {
    const r = await pipManifest.edit(
      'requirements.txt',
      [bump('requests', '2.32.2')],
      files({ 'requirements.txt': 'requests==2.25.1 \\\n    --hash=sha256:abc\n' }),
      noNpm,
    )
    expect(r.changes).toEqual([])
    expect(r.skipped[0]!.reason).toMatch(/pip-compile/)
  })
})
