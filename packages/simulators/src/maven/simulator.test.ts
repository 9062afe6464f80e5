import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MavenSimulator, startMavenSimulator } from './index.ts'

let sim: MavenSimulator
beforeAll(async () => {
  sim = await startMavenSimulator()
})
afterAll(() => sim.close())

describe('Maven repository simulator', () => {
  it('serves maven-metadata.xml at the group path, versions in deployment order', async () => {
    const r = await fetch(`${sim.url}/org/apache/logging/log4j/log4j-core/maven-metadata.xml`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/xml/)
    const text = await r.text()
    const versions = [...text.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])
    expect(versions).toEqual(['2.14.1', '2.15.0', '2.16.0', '2.17.0', '2.17.1', '2.18.0', '3.0.0-beta1'])
    expect(text).toContain('<release>2.18.0</release>')
    expect(text).toContain('<latest>3.0.0-beta1</latest>')
  })

  it('answers 404 for an unknown artifact or path', async () => {
    expect((await fetch(`${sim.url}/org/example/nothing/maven-metadata.xml`)).status).toBe(404)
    expect((await fetch(`${sim.url}/org/apache/logging/log4j/log4j-core/2.17.1/log4j-core-2.17.1.jar`)).status).toBe(
      404,
    )
  })
})
