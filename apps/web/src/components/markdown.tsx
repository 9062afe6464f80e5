// A comment's markdown as React elements: every piece of its text is rendered as text (never as HTML).
import type { ReactNode } from 'react'
import { type Inline, parseMarkdown } from '../markdown.ts'

export function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      {parseMarkdown(source).map((b, i) => {
        switch (b.type) {
          case 'paragraph':
            // biome-ignore lint/suspicious/noArrayIndexKey: the blocks of one text, never reordered
            return <p key={i}>{inlines(b.children)}</p>
          case 'heading':
            // a heading inside a comment would break the page's outline: it is shown as a strong line
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: the blocks of one text, never reordered
              <p key={i}>
                <strong>{inlines(b.children)}</strong>
              </p>
            )
          case 'quote':
            // biome-ignore lint/suspicious/noArrayIndexKey: the blocks of one text, never reordered
            return <blockquote key={i}>{inlines(b.children)}</blockquote>
          case 'code':
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: the blocks of one text, never reordered
              <pre key={i}>
                <code>{b.text}</code>
              </pre>
            )
          case 'list': {
            const items = b.items.map((item, k) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the items of one list, never reordered
              <li key={k}>{inlines(item)}</li>
            ))
            // biome-ignore lint/suspicious/noArrayIndexKey: the blocks of one text, never reordered
            return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>
          }
          default: {
            const never: never = b
            return never
          }
        }
      })}
    </div>
  )
}

function inlines(xs: Inline[]): ReactNode[] {
  return xs.map((x, i) => {
    switch (x.type) {
      case 'text':
        return x.text
      case 'break':
        // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one line, never reordered
        return <br key={i} />
      case 'code':
        // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one line, never reordered
        return <code key={i}>{x.text}</code>
      case 'strong':
        // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one line, never reordered
        return <strong key={i}>{inlines(x.children)}</strong>
      case 'em':
        // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one line, never reordered
        return <em key={i}>{inlines(x.children)}</em>
      case 'link':
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one line, never reordered
          <a key={i} href={x.href} target="_blank" rel="noreferrer noopener nofollow">
            {inlines(x.children)}
          </a>
        )
      default: {
        const never: never = x
        return never
      }
    }
  })
}
