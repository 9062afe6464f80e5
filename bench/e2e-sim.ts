/**
 * The Endor Labs simulator of the end-to-end benchmark, in a process of its own (so generating and serving pages
 * does not share the sync's event loop). Args: findings, projects. Prints one JSON line {url} once it listens and
 * runs until its stdin closes.
 */
import { startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'

const findings = Number(process.argv[2] ?? 100_000)
const projects = Number(process.argv[3] ?? 5_000)
const sim = await startEndorSimulator({ findings, projects })
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`)
process.stdin.resume()
process.stdin.on('end', () => void sim.close().then(() => process.exit(0)))
