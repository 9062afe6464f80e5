import { execFile, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

/**
 * The web app's build: `npm install` builds it (the root `prepare` script), and `vulnsync serve` (so also `npm
 * start` and `vulnsync demo`) builds it again at start when apps/web/dist is missing or older than its sources.
 * When it cannot be built, the server answers `/` with a page that says the one command to run (http/web-app.ts).
 */
export interface WebApp {
  /** apps/web: index.html, vite.config.ts, src/ */
  dir: string
  /** where the build goes and the server serves from */
  dist: string
}

const WEB_DIR = resolve(import.meta.dirname, '..', '..', 'web')
export const WEB_APP: WebApp = { dir: WEB_DIR, dist: join(WEB_DIR, 'dist') }
/** the repository root, where the commands below are run */
export const REPO_ROOT = resolve(WEB_DIR, '..', '..')

export type WebAppState = 'fresh' | 'stale' | 'missing'

/** Newest modification time of the sources the build reads (directories count: a deleted file changes them). */
const newestSource = (w: WebApp): number => {
  let newest = 0
  const visit = (p: string) => {
    if (!existsSync(p)) return
    const s = statSync(p)
    newest = Math.max(newest, s.mtimeMs)
    if (s.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e))
  }
  for (const p of ['index.html', 'vite.config.ts', 'package.json', 'src']) visit(join(w.dir, p))
  return newest
}

export const webAppState = (w: WebApp = WEB_APP): WebAppState => {
  const index = join(w.dist, 'index.html')
  if (!existsSync(index)) return 'missing'
  return statSync(index).mtimeMs >= newestSource(w) ? 'fresh' : 'stale'
}

/** vite's command-line entry as installed for the web app, or null when it is not installed (npm install --omit=dev). */
const viteBin = (w: WebApp): string | null => {
  try {
    const pkgFile = createRequire(join(w.dir, 'package.json')).resolve('vite/package.json')
    const bin = JSON.parse(readFileSync(pkgFile, 'utf8')).bin
    return join(dirname(pkgFile), typeof bin === 'string' ? bin : bin.vite)
  } catch {
    return null
  }
}

/** The one command that builds the web app here, for messages and the not-built page. */
export const webAppFix = (w: WebApp = WEB_APP): string =>
  viteBin(w) ? 'npm run build:web' : 'npm install --include=dev'

export type BuildResult =
  | { ok: true; ms: number }
  /** not_installed: vite is missing (npm install --omit=dev); failed: the build itself failed */
  | { ok: false; reason: 'not_installed' | 'failed'; message: string; fix: string }

export const buildWebApp = (w: WebApp = WEB_APP, o: { output?: 'inherit' | 'capture' } = {}): Promise<BuildResult> => {
  const vite = viteBin(w)
  if (!vite)
    return Promise.resolve({
      ok: false,
      reason: 'not_installed',
      message: 'the web app cannot be built: vite is not installed (dev dependencies were left out)',
      fix: webAppFix(w),
    })
  const started = Date.now()
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [vite, 'build', '--outDir', w.dist, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: w.dir, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        if (!err && existsSync(join(w.dist, 'index.html'))) return done({ ok: true, ms: Date.now() - started })
        // vite's message without the stack trace that follows it
        const lines = `${stderr}${stdout}`.split('\n')
        const stack = lines.findIndex((l) => /^\s+at /.test(l))
        const tail = (stack < 0 ? lines : lines.slice(0, stack)).join('\n').trim().split('\n').slice(-12).join('\n')
        done({
          ok: false,
          reason: 'failed',
          message: `the web app build failed${tail ? `:\n${tail}` : ` (${err?.message ?? 'no index.html'})`}`,
          fix: webAppFix(w),
        })
      },
    )
    if (o.output === 'inherit') {
      child.stdout?.pipe(process.stdout)
      child.stderr?.pipe(process.stderr)
    }
  })
}

export interface EnsureResult {
  /** the state before */
  was: WebAppState
  /** set when it was built now */
  built?: { ms: number }
  /** set when it had to be built and could not be */
  problem?: { message: string; fix: string }
}

/** Builds the web app when it is missing or older than its sources; never throws. */
export const ensureWebApp = async (w: WebApp = WEB_APP): Promise<EnsureResult> => {
  const was = webAppState(w)
  if (was === 'fresh') return { was }
  const r = await buildWebApp(w)
  return r.ok ? { was, built: { ms: r.ms } } : { was, problem: { message: r.message, fix: r.fix } }
}

/**
 * Type-checks the web app (its sources, browser tests and dev helpers) against the API contract (@vulnsync/api):
 * `npm run build:web` runs it first, so a response schema change the web app does not handle fails the build.
 */
export const typecheckWebApp = (w: WebApp = WEB_APP): { ok: boolean; output: string } => {
  let tsc: string
  try {
    tsc = createRequire(join(w.dir, 'package.json')).resolve('typescript/bin/tsc')
  } catch {
    return { ok: true, output: 'typescript is not installed: type check skipped' }
  }
  const r = spawnSync(process.execPath, [tsc, '-p', join(w.dir, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' })
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() }
}
