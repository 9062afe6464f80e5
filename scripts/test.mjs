#!/usr/bin/env node
// The full test suite, as `npm test` runs it on a fresh clone and in CI:
//   1. lint and format check, type check of the whole tree
//   2. unit and integration tests (vitest; PGlite in process and one embedded PostgreSQL for the run)
//   3. the web app build and the browser tests in real Chromium (Debian's chromium at /usr/bin/chromium)
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'

const step = (title, cmd, args, opts = {}) => {
  process.stdout.write(`\n== ${title}\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.status !== 0) {
    process.stdout.write(`\n== FAILED: ${title}\n${totals()}\n`)
    process.exit(r.status ?? 1)
  }
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ensureChromium = () => {
  if (existsSync(CHROMIUM)) return true
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    process.stdout.write('\n== installing Debian chromium for the browser tests (apt-get install chromium)\n')
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
  }
  return existsSync(CHROMIUM)
}

// vitest writes a JSON report next to its usual output; the totals are summed into one closing line
const REPORTS = ['.test-artifacts/vitest-unit.json', '.test-artifacts/vitest-browser.json'].map((f) => resolve(f))
for (const r of REPORTS) rmSync(r, { force: true })
const report = (file) => ['--reporter=default', '--reporter=json', `--outputFile.json=${file}`]
const totals = () => {
  const t = { passed: 0, failed: 0, skipped: 0 }
  for (const r of REPORTS) {
    if (!existsSync(r)) continue
    const j = JSON.parse(readFileSync(r, 'utf8'))
    t.passed += j.numPassedTests
    t.failed += j.numFailedTests
    t.skipped += j.numPendingTests + j.numTodoTests
  }
  return `tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`
}

const only = process.argv[2]
if (!only || only === 'unit') {
  step('lint and format check (Biome)', 'npx', ['biome', 'check', '.'])
  step('type check', 'npx', ['tsc', '-p', 'tsconfig.json'])
  step('unit and integration tests', 'npx', ['vitest', 'run', ...report(REPORTS[0])])
}
if (!only || only === 'browser') {
  step('web app build', 'npm', ['run', 'build:web'])
  if (existsSync('apps/web/vitest.e2e.config.ts')) {
    if (!ensureChromium()) {
      process.stdout.write(
        `\n== FAILED: browser tests need Chromium at ${CHROMIUM}; install it with: apt-get install chromium\n`,
      )
      process.exit(1)
    }
    step('browser tests (Chromium)', 'npx', [
      'vitest',
      'run',
      '--config',
      'apps/web/vitest.e2e.config.ts',
      ...report(REPORTS[1]),
    ])
  }
}
process.stdout.write(`\n== all tests passed\n${totals()}\n`)
