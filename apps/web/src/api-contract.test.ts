import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * The web app's response types are the server's zod schemas (@vulnsync/api). This proves the contract holds: in a
 * scratch copy of the contract and the web app, renaming a field of a response schema makes the web app's type
 * check fail where the app reads the old field.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..')
// inside the repository, so that react, zod and the type declarations resolve from its node_modules
const scratch = join(ROOT, '.test-artifacts', 'api-contract')
const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const typecheck = (): string => {
  try {
    execFileSync(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' })
    return ''
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err)
  }
}

describe('the API contract between server and web app', () => {
  it('a response field the server renames breaks the web app where it reads it', () => {
    rmSync(scratch, { recursive: true, force: true })
    mkdirSync(scratch, { recursive: true })
    cpSync(join(ROOT, 'packages', 'api', 'src'), join(scratch, 'api'), { recursive: true })
    cpSync(join(ROOT, 'apps', 'web', 'src'), join(scratch, 'web'), { recursive: true })
    const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'))
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...base.compilerOptions, paths: { '@vulnsync/api': ['./api/index.ts'] } },
        include: ['web', 'api'],
        exclude: ['web/**/*.test.ts'],
      }),
    )
    // as the code is, it type-checks
    expect(typecheck()).toBe('')

    // the server renames `cve` to `cveId` in the queue's item schema
    const file = join(scratch, 'api', 'vulnerabilities.ts')
    const schema = readFileSync(file, 'utf8')
    expect(schema).toContain('  cve: z.string(),\n')
    writeFileSync(file, schema.replace('  cve: z.string(),\n', '  cveId: z.string(),\n'))
    const out = typecheck()
    // the queue's table (pages/vulnerabilities/) and the detail page read it
    expect(out).toMatch(
      /web\/pages\/vulnerabilities\/table\.tsx\(\d+,\d+\): error TS2339: Property 'cve' does not exist/,
    )
    expect(out).toMatch(
      /web\/pages\/vulnerability-detail\/index\.tsx\(\d+,\d+\): error TS2339: Property 'cve' does not exist/,
    )
  }, 120_000)
})
