import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Runs npm against one registry and nothing else of the host's npm setup: no inherited `npm_config_*` variables (an
 * `npm test` or `npm start` parent sets many), an empty user config, a scratch cache, scripts never run. npm is the
 * one Node.js ships; it is looked up on PATH.
 */
export const createNpmRunner = (registry: string | null, o: { timeoutMs?: number } = {}) => ({
  registry,
  run: async (cwd: string, args: string[]): Promise<void> => {
    if (!registry) throw new Error('no npm registry is configured')
    const home = mkdtempSync(join(tmpdir(), 'vulnsync-npm-'))
    try {
      writeFileSync(join(home, 'npmrc'), '')
      const env: Record<string, string> = {}
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v
      await run('npm', [...args, '--registry', `${registry.replace(/\/+$/, '')}/`], {
        cwd,
        timeout: o.timeoutMs ?? 120_000,
        maxBuffer: 8 * 1024 * 1024,
        env: {
          ...env,
          npm_config_userconfig: join(home, 'npmrc'),
          npm_config_cache: join(home, 'cache'),
          npm_config_update_notifier: 'false',
          npm_config_ignore_scripts: 'true',
        },
      })
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  },
})
