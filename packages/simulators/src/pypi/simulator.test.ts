import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PypiSimulator, startPypiSimulator } from './index.ts'

let sim: PypiSimulator
beforeAll(async () => {
  sim = await startPypiSimulator()
})
afterAll(() => sim.close())

describe('PyPI JSON API simulator', () => {
  it('lists releases with PEP 592 yanked flags, by normalised name', async () => {
    const doc = (await (await fetch(`${sim.url}/pypi/Requests/json`)).json()) as any
    expect(doc.info.name).toBe('requests')
    expect(Object.keys(doc.releases)).toContain('2.32.2')
    expect(doc.releases['2.32.0'][0]).toMatchObject({ yanked: true })
    expect(doc.releases['2.32.0'][0].yanked_reason).toMatch(/regression/)
    expect(doc.releases['2.31.0'][0].yanked).toBe(false)
    expect(doc.info.version).toBe('2.32.3')
    expect((await fetch(`${sim.url}/pypi/Jinja_2/json`)).status).toBe(404)
    expect((await fetch(`${sim.url}/pypi/JINJA2/json`)).status).toBe(200)
  })

  it('answers an unknown project 404 as PyPI does', async () => {
    const r = await fetch(`${sim.url}/pypi/no-such-project/json`)
    expect(r.status).toBe(404)
    expect(await r.json()).toEqual({ message: 'Not Found' })
  })
})
