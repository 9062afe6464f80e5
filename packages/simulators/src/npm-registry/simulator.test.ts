import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NpmRegistrySimulator, startNpmRegistrySimulator } from './index.ts'

let sim: NpmRegistrySimulator
beforeAll(async () => {
  sim = await startNpmRegistrySimulator()
})
afterAll(() => sim.close())

/** npm with nothing of the caller's npm configuration (npm test sets npm_config_* variables). */
const npm = (cwd: string, args: string[]) => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v
  writeFileSync(join(cwd, '.npmrc-empty'), '')
  return promisify(execFile)(
    'npm',
    [...args, '--registry', `${sim.url}/`, '--no-audit', '--no-fund', '--ignore-scripts'],
    {
      cwd,
      env: { ...env, npm_config_userconfig: join(cwd, '.npmrc-empty'), npm_config_cache: join(cwd, '.npm-cache') },
    },
  )
}

describe('npm registry simulator', () => {
  it('serves packuments with versions, dependencies, deprecations and dist-tags', async () => {
    const doc = (await (await fetch(`${sim.url}/lodash`)).json()) as any
    expect(Object.keys(doc.versions)).toContain('4.17.21')
    expect(doc.versions['4.17.16'].deprecated).toMatch(/broken build/)
    expect(doc['dist-tags'].latest).toBe('4.17.21')
    const mkdirp = (await (await fetch(`${sim.url}/mkdirp`)).json()) as any
    expect(mkdirp.versions['0.5.1'].dependencies).toEqual({ minimist: '0.0.8' })
    expect((await fetch(`${sim.url}/left-pad`)).status).toBe(404)
  })

  it('serves tarballs whose bytes match the integrity and shasum of the packument', async () => {
    const doc = (await (await fetch(`${sim.url}/minimist`)).json()) as any
    const dist = doc.versions['1.2.6'].dist
    const bytes = Buffer.from(await (await fetch(dist.tarball)).arrayBuffer())
    expect(`sha512-${createHash('sha512').update(bytes).digest('base64')}`).toBe(dist.integrity)
    expect(createHash('sha1').update(bytes).digest('hex')).toBe(dist.shasum)
  })

  it('is a registry npm installs from: a lockfile, then npm ci', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npm-sim-'))
    try {
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { mkdirp: '0.5.1', axios: '^0.21.0' } }),
      )
      await npm(dir, ['install', '--package-lock-only'])
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
      expect(lock.packages['node_modules/minimist'].version).toBe('0.0.8')
      expect(lock.packages['node_modules/axios'].version).toBe('0.21.4')
      expect(lock.packages['node_modules/axios'].resolved).toContain(sim.url)
      await npm(dir, ['ci'])
      const installed = JSON.parse(readFileSync(join(dir, 'node_modules/follow-redirects/package.json'), 'utf8'))
      expect(installed.version).toBe('1.15.6')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
