import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildWebApp, ensureWebApp, REPO_ROOT, WEB_APP, webAppState } from './web-build.ts'

const scratch = mkdtempSync(join(tmpdir(), 'vulnsync-web-build-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('the web app build', () => {
  it('builds a missing web app (a fresh install), then rebuilds it once it is older than its sources', async () => {
    // the real web app's sources, built into a scratch folder (the real apps/web/dist is left alone)
    const w = { dir: WEB_APP.dir, dist: join(scratch, 'dist') }
    expect(webAppState(w)).toBe('missing')
    const first = await ensureWebApp(w)
    expect(first.was).toBe('missing')
    expect(first.built!.ms).toBeGreaterThan(0)
    expect(first.problem).toBeUndefined()
    expect(webAppState(w)).toBe('fresh')
    expect(await ensureWebApp(w)).toEqual({ was: 'fresh' })

    // a build older than the newest source (as after `git pull`) is stale and built again
    const index = join(w.dist, 'index.html')
    utimesSync(index, new Date('2001-01-01'), new Date('2001-01-01'))
    expect(webAppState(w)).toBe('stale')
    const again = await ensureWebApp(w)
    expect(again.was).toBe('stale')
    expect(again.built).toBeDefined()
    expect(statSync(index).mtime.getFullYear()).toBeGreaterThan(2001)
    expect(webAppState(w)).toBe('fresh')
  }, 120_000)

  it('without vite (npm install --omit=dev) it cannot build, and says to install the dev dependencies', async () => {
    const dir = mkdtempSync(join(scratch, 'no-vite-'))
    writeFileSync(join(dir, 'package.json'), '{"name":"web","private":true}')
    const w = { dir, dist: join(dir, 'dist') }
    const r = await ensureWebApp(w)
    expect(r.was).toBe('missing')
    expect(r.problem).toEqual({
      message: 'the web app cannot be built: vite is not installed (dev dependencies were left out)',
      fix: 'npm install --include=dev',
    })
    expect(existsSync(w.dist)).toBe(false)
  })

  it("a failing build reports vite's error and the command that shows it again", async () => {
    const dir = mkdtempSync(join(scratch, 'broken-'))
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'))
    writeFileSync(join(dir, 'package.json'), '{"name":"web","private":true,"type":"module"}')
    writeFileSync(join(dir, 'index.html'), '<script type="module" src="/src/main.js"></script>')
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'main.js'), 'export const broken = (;\n')
    const r = await buildWebApp({ dir, dist: join(dir, 'dist') })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.reason).toBe('failed')
    expect(r.message).toMatch(/^the web app build failed:\n/)
    expect(r.message).toContain('main.js')
    expect(r.fix).toBe('npm run build:web')
  }, 60_000)
})
