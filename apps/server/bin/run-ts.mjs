#!/usr/bin/env node
// Runs a TypeScript file of the repository (benchmarks, scripts) through tsx.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import './heap.mjs'
import { register } from 'tsx/esm/api'

register()
const file = process.argv[2]
if (!file) {
  console.error('usage: run-ts.mjs <file.ts> [args]')
  process.exit(2)
}
process.argv.splice(2, 1)
await import(pathToFileURL(resolve(file)).href)
