import type { TestProject } from 'vitest/node'
import { createPostgresDb } from '../driver.ts'
import { migrate } from '../migrate.ts'
import { startEmbeddedPostgres } from './embedded-postgres.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string
  }
}

export const TEMPLATE_DB = 'vulnsync_template'

/**
 * One PostgreSQL server per test run: TEST_DATABASE_URL when set, else an embedded PostgreSQL started here
 * (embedded-postgres.ts). A migrated template database is created once; each test file clones it.
 */
export default async function setup(project: TestProject) {
  let stop = async () => {}
  let baseUrl = process.env.TEST_DATABASE_URL
  if (!baseUrl) {
    const server = await startEmbeddedPostgres({
      user: 'vulnsync',
      password: 'vulnsync',
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 200 },
    })
    baseUrl = server.url
    stop = server.stop
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
