import type { TicketContent, TicketIssue } from '@vulnsync/core'

/**
 * Atlassian Document Format for tickets (remediation-and-outbound.md §3.2): a `doc` of version 1 whose blocks are
 * headings, paragraphs and bullet lists; text carries `strong` and `link` marks. Pure.
 */
type Mark = { type: 'strong' } | { type: 'link'; attrs: { href: string } } | { type: 'code' }
type Inline = { type: 'text'; text: string; marks?: Mark[] }
type Block =
  | { type: 'paragraph'; content: Inline[] }
  | { type: 'heading'; attrs: { level: number }; content: Inline[] }
  | { type: 'bulletList'; content: { type: 'listItem'; content: Block[] }[] }
export interface AdfDoc {
  type: 'doc'
  version: 1
  content: Block[]
}

const text = (t: string, ...marks: Mark[]): Inline =>
  marks.length ? { type: 'text', text: t, marks } : { type: 'text', text: t }
const bold = (t: string) => text(t, { type: 'strong' })
const link = (t: string, href: string) => text(t, { type: 'link', attrs: { href } })
const para = (...content: Inline[]): Block => ({ type: 'paragraph', content: content.filter((c) => c.text !== '') })
const heading = (t: string, level = 3): Block => ({ type: 'heading', attrs: { level }, content: [text(t)] })
const bullets = (items: Inline[][]): Block => ({
  type: 'bulletList',
  content: items.map((content) => ({ type: 'listItem', content: [para(...content)] })),
})

export const adfText = (t: string): AdfDoc => ({ type: 'doc', version: 1, content: [para(text(t))] })

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

const issueLine = (i: TicketIssue): Inline[] => [
  link(i.cve, i.url),
  text(i.aliases.length ? ` (${i.aliases.slice(0, 3).join(', ')})` : ''),
  text(' — priority '),
  bold(i.priority),
  text(`: ${i.explanation || `${cap(i.severity)} severity`}`),
  text(
    i.fixedVersions.length ? `. Fixed in ${i.fixedVersions.slice(0, 5).join(', ')}.` : '. No fixed version known yet.',
  ),
  text(i.status === 'open' ? '' : ` [${i.status.replace('_', ' ')}]`),
]

/** The description of a ticket: what, why this priority, who owns it, by when, the evidence, and where to look. */
export const ticketDescription = (c: TicketContent): AdfDoc => {
  const first = c.issues[0]!
  const owners = [...new Set(c.issues.map((i) => i.owner).filter((o): o is string => o !== null))]
  const sources = [...new Set(c.issues.flatMap((i) => i.sources))].sort()
  const evidence = c.issues.flatMap((i) => i.evidence.map((e) => `${i.cve}: ${e}`)).slice(0, 20)
  const versions = [...new Set(c.issues.flatMap((i) => i.versions))]
  const fixes = [...new Set(c.issues.flatMap((i) => i.fixedVersions))]
  const blocks: Block[] = [
    para(
      text('vulnsync found '),
      bold(`${c.issues.length} ${c.issues.length === 1 ? 'vulnerability' : 'vulnerabilities'}`),
      text(' in '),
      bold(first.packageName),
      text(versions.length ? ` ${versions.join(', ')}` : ''),
      text(' in '),
      first.targetUrl ? link(first.targetName, first.targetUrl) : bold(first.targetName),
      text(fixes.length ? `. Upgrading to ${fixes.slice(0, 3).join(' or ')} fixes what is known.` : '.'),
    ),
    heading('Vulnerabilities'),
    bullets(c.issues.map(issueLine)),
    para(bold('Priority: '), text(c.priority)),
    para(bold('Owner: '), text(owners.length ? owners.join(', ') : 'unassigned')),
    para(bold('SLA due: '), text(c.dueDate ?? 'no SLA at this priority')),
    para(bold('Reported by: '), text(sources.length ? sources.join(', ') : 'no scanner any more')),
  ]
  if (evidence.length > 0) blocks.push(heading('Evidence'), bullets(evidence.map((e) => [text(e)])))
  blocks.push(
    para(
      text('Package: '),
      text(first.packageKey, { type: 'code' }),
      text('. '),
      link('Open in vulnsync', c.url),
      text(' — status changes here are kept in step with vulnsync.'),
    ),
  )
  return { type: 'doc', version: 1, content: blocks }
}
