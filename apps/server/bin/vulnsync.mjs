#!/usr/bin/env node
// Entry point of the `vulnsync` command: runs the TypeScript sources through tsx (no build step).
import './heap.mjs'
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
