// How far V8 lets the JavaScript heap grow past what survived its last full collection (ADR 0014, "Update,
// 2026-12-04 (later)"). A sync allocates fast and keeps little (its batches): left to its own heuristics V8 grew
// the heap to four or five times the live data, and a 100,000-finding Endor sync peaked 412–535 MB above the
// process's RSS before it. At 50 % the same sync peaks 180–214 MB above, with no hard limit: an operation that
// needs more heap still gets it. A `--heap-growing-percent` given to node on the command line wins.
import { setFlagsFromString } from 'node:v8'

const HEAP_GROWING_PERCENT = 50

if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent')))
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
