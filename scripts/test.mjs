#!/usr/bin/env node
// The full test suite, as `npm test` runs it on a fresh clone and in CI:
//   1. type check of the whole tree
//   2. unit and integration tests (vitest; PGlite in process and one embedded PostgreSQL for the run)
//   3. the web app build and the browser tests in real Chromium (Debian's chromium at /usr/bin/chromium)
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const step = (title, cmd, args, opts = {}) => {
  process.stdout.write(`\n== ${title}\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.status !== 0) {
    process.stdout.write(`\n== FAILED: ${title}\n`)
    process.exit(r.status ?? 1)
  }
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ensureChromium = () => {
  if (existsSync(CHROMIUM)) return true
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    process.stdout.write('\n== installing Debian chromium for the browser tests (apt-get install chromium)\n')
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  return existsSync(CHROMIUM)
}

const only = process.argv[2]
if (!only || only === 'unit') {
  step('type check', 'npx', ['tsc', '-p', 'tsconfig.json'])
  step('unit and integration tests', 'npx', ['vitest', 'run'])
}
if (!only || only === 'browser') {
  step('web app build', 'npm', ['run', 'build:web'])
  if (existsSync('apps/web/vitest.e2e.config.ts')) {
    if (!ensureChromium()) {
      process.stdout.write(`\n== FAILED: browser tests need Chromium at ${CHROMIUM}; install it with: apt-get install chromium\n`)
      process.exit(1)
    }
    step('browser tests (Chromium)', 'npx', ['vitest', 'run', '--config', 'apps/web/vitest.e2e.config.ts'])
  }
}
process.stdout.write('\n== all tests passed\n')
