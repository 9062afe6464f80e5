import { describe, expect, it } from 'vitest'
import { parseInline, parseMarkdown, safeHref } from './markdown.ts'

describe('comments in markdown', () => {
  it('reads paragraphs, line breaks, lists, quotes, headings and code blocks', () => {
    const md =
      'Upgrade **lodash**\nthen redeploy.\n\n- one\n- *two*\n\n1. first\n2) second\n\n> quoted\n\n## Plan\n\n```\n<b>x</b>\n```'
    expect(parseMarkdown(md)).toEqual([
      {
        type: 'paragraph',
        children: [
          { type: 'text', text: 'Upgrade ' },
          { type: 'strong', children: [{ type: 'text', text: 'lodash' }] },
          { type: 'break' },
          { type: 'text', text: 'then redeploy.' },
        ],
      },
      {
        type: 'list',
        ordered: false,
        items: [[{ type: 'text', text: 'one' }], [{ type: 'em', children: [{ type: 'text', text: 'two' }] }]],
      },
      { type: 'list', ordered: true, items: [[{ type: 'text', text: 'first' }], [{ type: 'text', text: 'second' }]] },
      { type: 'quote', children: [{ type: 'text', text: 'quoted' }] },
      { type: 'heading', children: [{ type: 'text', text: 'Plan' }] },
      { type: 'code', text: '<b>x</b>' },
    ])
  })

  it('keeps HTML as text: nothing in a comment becomes markup', () => {
    const blocks = parseMarkdown('<img src=x onerror="alert(1)"> <script>alert(1)</script>')
    expect(blocks).toEqual([
      {
        type: 'paragraph',
        children: [{ type: 'text', text: '<img src=x onerror="alert(1)"> <script>alert(1)</script>' }],
      },
    ])
  })

  it('makes links of http(s) and mailto only; other schemes stay text', () => {
    expect(parseInline('see [the fix](https://github.com/acme/web/pull/7).')).toEqual([
      { type: 'text', text: 'see ' },
      { type: 'link', href: 'https://github.com/acme/web/pull/7', children: [{ type: 'text', text: 'the fix' }] },
      { type: 'text', text: '.' },
    ])
    expect(parseInline('[click](javascript:alert(1))')).toEqual([
      { type: 'text', text: '[click](javascript:alert(1))' },
    ])
    expect(parseInline('[x](data:text/html,hi)')).toEqual([{ type: 'text', text: '[x](data:text/html,hi)' }])
    expect(parseInline('at https://nvd.nist.gov/vuln/detail/CVE-2024-1. Done')).toEqual([
      { type: 'text', text: 'at ' },
      {
        type: 'link',
        href: 'https://nvd.nist.gov/vuln/detail/CVE-2024-1',
        children: [{ type: 'text', text: 'https://nvd.nist.gov/vuln/detail/CVE-2024-1' }],
      },
      { type: 'text', text: '. Done' },
    ])
    expect(safeHref('mailto:sec@example.com')).toBe('mailto:sec@example.com')
    expect(safeHref('JAVASCRIPT:alert(1)')).toBeNull()
    expect(safeHref('https://x.example/"onmouseover="a')).toBeNull()
  })

  it('reads `code` literally and leaves snake_case words and lone stars alone', () => {
    expect(parseInline('run `npm i **x**` in my_package_name, 2 * 3 * 4')).toEqual([
      { type: 'text', text: 'run ' },
      { type: 'code', text: 'npm i **x**' },
      { type: 'text', text: ' in my_package_name, 2 * 3 * 4' },
    ])
  })
})
