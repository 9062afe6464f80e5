import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { splitJsonList } from './json-list.ts'

const PATH = ['list', 'objects']
const fixture = (name: string) =>
  readFileSync(new URL(`../endor/fixtures/${name}`, import.meta.url).pathname, 'utf8') as string

/** what JSON.parse makes of the whole text, as the split gives it back */
const whole = (text: string) => {
  const doc = JSON.parse(text)
  const items = doc.list.objects
  doc.list.objects = []
  return { doc, items }
}

describe('splitJsonList', () => {
  it('gives each record of a captured Endor page as its own text, and the rest of the page parsed', () => {
    const text = fixture('findings_list_log4j.json')
    const split = splitJsonList(text, PATH)!
    expect(split.items.length).toBeGreaterThan(0)
    expect({ doc: split.doc, items: split.items.map((t) => JSON.parse(t)) }).toEqual(whole(text))
  })

  it('splits compact and pretty-printed pages alike, with the array anywhere among the members', () => {
    const value = {
      count_response: null,
      list: {
        response: { next_page_id: 'abc' },
        objects: [{ a: 1 }, [1, [2, { b: [] }]], 'x', -1.5e3, true, null, {}],
        after: { objects: [9] },
      },
      tail: [1, 2],
    }
    for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2), JSON.stringify(value, null, '\t')]) {
      const split = splitJsonList(`\n ${text} \r\n`, PATH)!
      expect(split.items.map((t) => JSON.parse(t))).toEqual(value.list.objects)
      expect(split.doc).toEqual({ ...value, list: { ...value.list, objects: [] } })
    }
  })

  it('is not misled by quotes, backslashes and brackets inside strings', () => {
    const tricky = [
      { s: 'a "quoted" ] } , [ {' },
      { s: 'ends in a backslash \\' },
      { s: '\\"', t: '\\\\' },
      { 'key "with" quotes': '}', u: '\u00e9\u4e2d\ud83d\ude00' },
    ]
    const text = JSON.stringify({ 'li\\st': 0, list: { 'obj"ects': [1], objects: tricky } })
    const split = splitJsonList(text, PATH)!
    expect(split.items.map((t) => JSON.parse(t))).toEqual(tricky)
  })

  it('finds a member whose name is written with escapes', () => {
    const text = '{"l\\u0069st":{"objects":[{"a":1}]}}'
    expect(splitJsonList(text, PATH)?.items).toEqual(['{"a":1}'])
  })

  it('gives an empty list for an empty array', () => {
    expect(splitJsonList('{"list":{"objects":[ ],"response":{}}}', PATH)).toEqual({
      doc: { list: { objects: [], response: {} } },
      items: [],
    })
  })

  it('says null when the page has no array there, so the caller parses it whole', () => {
    for (const text of [
      '{"count_response":{"count":3}}',
      '{"list":{"objects":null}}',
      '{"list":{}}',
      '{"list":[]}',
      '[]',
      '"list"',
      '{"list":{"objects":{"0":1}}}',
    ])
      expect(splitJsonList(text, PATH)).toBeNull()
  })

  it('says null for a page cut off mid-record, or with the same member twice (JSON.parse keeps the last)', () => {
    const text = JSON.stringify({ list: { objects: [{ a: 'b' }, { c: 'd' }] } })
    for (let cut = text.indexOf('[') + 2; cut < text.length - 2; cut += 3)
      expect(splitJsonList(text.slice(0, cut), PATH)).toBeNull()
    expect(splitJsonList('{"list":{"objects":[1],"objects":[2]}}', PATH)).toBeNull()
  })

  it('throws as JSON.parse does when the rest of the page is not JSON, and leaves a bad record to its reader', () => {
    expect(() => splitJsonList('{"list":{"objects":[1]}, oops}', PATH)).toThrow(SyntaxError)
    const split = splitJsonList('{"list":{"objects":[{"a":1},{"a":nope},2]}}', PATH)!
    expect(split.items).toEqual(['{"a":1}', '{"a":nope}', '2'])
    expect(() => JSON.parse(split.items[1]!)).toThrow(SyntaxError)
  })
})
