#!/usr/bin/env node
// Builds the web app (apps/web/dist) through the server's web-build module:
//   build-web.mjs              type-checks it against the API contract, then builds it (npm run build:web)
//   build-web.mjs --if-stale   only when it is missing or older than its sources (npm install runs this: `prepare`)
import { register } from 'tsx/esm/api'

register()
const { buildWebApp, typecheckWebApp, webAppState } = await import('../src/web-build.ts')
const ifStale = process.argv.includes('--if-stale')
if (!ifStale) {
  // the web app's response types are the server's schemas: a change it does not handle fails here
  const t = typecheckWebApp()
  if (!t.ok) {
    process.stderr.write(`${t.output}\nvulnsync: the web app does not type-check against the API contract (above)\n`)
    process.exit(1)
  }
}
const state = webAppState()
if (ifStale && state === 'fresh') {
  process.stdout.write('vulnsync: the web app is built and up to date\n')
  process.exit(0)
}
const r = await buildWebApp(undefined, { output: 'inherit' })
if (r.ok) {
  process.stdout.write(`vulnsync: built the web app in ${(r.ms / 1000).toFixed(1)} s (apps/web/dist)\n`)
} else {
  process.stderr.write(`vulnsync: ${r.message}\nvulnsync: to build it, run: ${r.fix}\n`)
  // without dev dependencies (npm install --omit=dev) the install still succeeds; the server says what to run
  process.exit(r.reason === 'failed' ? 1 : 0)
}
