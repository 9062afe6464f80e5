// A minimal markdown reader for comments: paragraphs, line breaks, lists, quotes, code blocks, `code`, **strong**,
// *emphasis*, [links](https://…) and bare links. It returns a tree of plain text nodes that React renders as text:
// no HTML in a comment is ever interpreted, and only http(s) and mailto links become links.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' }

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; children: Inline[] }
  | { type: 'quote'; children: Inline[] }
  | { type: 'code'; text: string }
  | { type: 'list'; ordered: boolean; items: Inline[][] }

/** A link target is kept only when it is http(s) or mailto. */
export function safeHref(url: string): string | null {
  const u = url.trim()
  return /^(https?:\/\/|mailto:)[^\s<>"]+$/i.test(u) ? u : null
}

const BULLET = /^\s*[-*+]\s+(.*)$/
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/
const FENCE = /^\s*```/
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/
const QUOTE = /^\s*>\s?(.*)$/

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n')
  const blocks: Block[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i] as string
    if (!line.trim()) {
      i++
      continue
    }
    if (FENCE.test(line)) {
      const body: string[] = []
      i++
      while (i < lines.length && !FENCE.test(lines[i] as string)) body.push(lines[i++] as string)
      i++ // the closing fence (or the end)
      blocks.push({ type: 'code', text: body.join('\n') })
      continue
    }
    const heading = HEADING.exec(line)
    if (heading) {
      blocks.push({ type: 'heading', children: parseInline(heading[1] ?? '') })
      i++
      continue
    }
    const listKind = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null
    if (listKind) {
      const items: Inline[][] = []
      while (i < lines.length) {
        const m = listKind.exec(lines[i] as string)
        if (!m) break
        items.push(parseInline(m[1] ?? ''))
        i++
      }
      blocks.push({ type: 'list', ordered: listKind === NUMBERED, items })
      continue
    }
    if (QUOTE.test(line)) {
      const body: string[] = []
      while (i < lines.length && QUOTE.test(lines[i] as string)) body.push(QUOTE.exec(lines[i++] as string)?.[1] ?? '')
      blocks.push({ type: 'quote', children: withBreaks(body) })
      continue
    }
    const body: string[] = []
    while (i < lines.length) {
      const l = lines[i] as string
      if (!l.trim() || FENCE.test(l) || HEADING.test(l) || BULLET.test(l) || NUMBERED.test(l) || QUOTE.test(l)) break
      body.push(l)
      i++
    }
    blocks.push({ type: 'paragraph', children: withBreaks(body) })
  }
  return blocks
}

const withBreaks = (lines: string[]): Inline[] =>
  lines.flatMap((l, k) => (k ? [{ type: 'break' } as Inline, ...parseInline(l)] : parseInline(l)))

// the next inline construct: `code`, **strong**, *em* or _em_, [text](url), a bare http(s) link
const INLINE =
  /`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s](?:[^*]*[^*\s])?)\*|\b_([^_\s](?:[^_]*[^_\s])?)_\b|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])/

export function parseInline(text: string): Inline[] {
  const out: Inline[] = []
  let rest = text
  while (rest) {
    const m = INLINE.exec(rest)
    if (!m) {
      out.push({ type: 'text', text: rest })
      break
    }
    if (m.index > 0) out.push({ type: 'text', text: rest.slice(0, m.index) })
    const [all, code, strong, em, em2, linkText, linkUrl, bare] = m
    if (code !== undefined) out.push({ type: 'code', text: code })
    else if (strong !== undefined) out.push({ type: 'strong', children: parseInline(strong) })
    else if (em !== undefined || em2 !== undefined) out.push({ type: 'em', children: parseInline(em ?? em2 ?? '') })
    else if (linkText !== undefined) {
      const href = safeHref(linkUrl ?? '')
      // a link to anything else (javascript:, data:) stays the text it was written as
      out.push(href ? { type: 'link', href, children: parseInline(linkText) } : { type: 'text', text: all })
    } else if (bare !== undefined) out.push({ type: 'link', href: bare, children: [{ type: 'text', text: bare }] })
    rest = rest.slice(m.index + all.length)
  }
  return merge(out)
}

/** adjacent text nodes as one */
const merge = (xs: Inline[]): Inline[] => {
  const out: Inline[] = []
  for (const x of xs) {
    const last = out[out.length - 1]
    if (x.type === 'text' && last?.type === 'text') last.text += x.text
    else out.push(x)
  }
  return out
}
