import type { FixPlan } from '@vulnsync/core'
import type { FixIssueFacts } from '@vulnsync/db'
import type { AppliedBump, SkippedBump } from './manifests/index.ts'

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')

/** A few scalar facts of a source's evidence, as given (the vendor's own words stay in its record). */
const evidenceLine = (evidence: unknown): string => {
  if (!evidence || typeof evidence !== 'object') return ''
  const parts: string[] = []
  for (const [k, v] of Object.entries(evidence as Record<string, unknown>)) {
    if (parts.length >= 5) break
    if (typeof v === 'string' && v.length <= 120) parts.push(`${k}: ${v}`)
    else if (typeof v === 'number' || typeof v === 'boolean') parts.push(`${k}: ${v}`)
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') && v.join(', ').length <= 120)
      parts.push(`${k}: ${v.join(', ')}`)
  }
  return parts.join('; ')
}

export interface PullRequestText {
  title: string
  body: string
  commitMessage: string
}

/**
 * The title, body and commit message of a fix pull request: each CVE with its severity, priority, sources and
 * evidence; each version move and why that version; a warning on a major upgrade; what was left out and why; and
 * that vulnsync verifies the fix on the next scan.
 */
export const pullRequestText = (o: {
  manifestDir: string
  applied: (AppliedBump & { plan: FixPlan })[]
  skipped: SkippedBump[]
  issues: FixIssueFacts[]
}): PullRequestText => {
  const where = o.manifestDir ? ` in ${o.manifestDir}` : ''
  const cves = [...new Set(o.applied.flatMap((a) => a.cves))].sort()
  const first = o.applied[0]!
  const more = o.applied.length > 1 ? ` and ${o.applied.length - 1} more` : ''
  const title = `Upgrade ${first.name} to ${first.to}${more}${where} (fixes ${cves.length} ${cves.length === 1 ? 'CVE' : 'CVEs'})`
  const lines: string[] = []
  lines.push(
    `vulnsync opened this pull request to fix ${cves.length} known ${cves.length === 1 ? 'vulnerability' : 'vulnerabilities'} in ${o.manifestDir ? `\`${o.manifestDir}/\`` : 'the repository root'}, with the smallest upgrades that fix them.`,
    '',
    '## Version changes',
    '',
    '| Package | From | To | How | Fixes |',
    '| --- | --- | --- | --- | --- |',
  )
  for (const a of o.applied)
    lines.push(
      `| ${esc(a.name)} | ${esc(a.plan.installedVersion ?? a.from ?? '?')} | ${esc(a.to)} | ${a.strategy === 'override' ? 'override (transitive)' : 'direct'}: ${esc(a.detail)} | ${a.cves.join(', ')} |`,
    )
  const majors = o.applied.filter((a) => a.plan.majorBump)
  if (majors.length) {
    lines.push('')
    for (const a of majors)
      lines.push(
        `> [!WARNING]`,
        `> **Major upgrade:** ${a.name} ${a.plan.installedVersion} → ${a.to} leaves the installed release line: no version on it fixes ${a.cves.length === 1 ? 'the vulnerability' : 'the vulnerabilities'}. Check its changelog for breaking changes.`,
        '',
      )
  }
  lines.push('', '### Why these versions', '')
  for (const a of o.applied) lines.push(`- **${a.name} ${a.to}**: ${a.plan.explanation}`)
  lines.push('', '## Vulnerabilities fixed', '')
  for (const i of o.issues) {
    lines.push(`### ${i.cve}: ${cap(i.severity)} severity, ${cap(i.priority)} priority`, '')
    if (i.explanation) lines.push(`- Priority: ${i.explanation}`)
    const names = [...new Set(i.sources.map((s) => s.name))]
    lines.push(`- Sources: ${names.join(', ')}`)
    for (const s of i.sources) {
      const ev = evidenceLine(s.evidence)
      lines.push(
        `- ${s.name}: ${s.version ? `version ${s.version}` : 'version not given'}${s.manifest ? ` in \`${s.manifest}\`` : ''}${ev ? `; ${ev}` : ''}`,
      )
    }
    lines.push('')
  }
  if (o.skipped.length) {
    lines.push('## Not changed here', '')
    for (const s of o.skipped)
      lines.push(`- ${s.name} → ${s.to}: ${s.reason}${s.command ? `. Run: \`${s.command}\`` : ''}`)
    lines.push('')
  }
  lines.push(
    '## Verification',
    '',
    'vulnsync verifies this fix on the next complete scan after the merge: the issues above are marked fixed (by this pull request) once no scanner reports them; if a scanner still reports one, vulnsync flags it "merged but still vulnerable" with the version the scanner sees.',
    '',
    `<sub>Opened by vulnsync. Running the fix again updates this branch and pull request.</sub>`,
  )
  return {
    title,
    body: lines.join('\n'),
    commitMessage: `${title}\n\n${o.applied.map((a) => `- ${a.name} ${a.plan.installedVersion ?? a.from ?? '?'} → ${a.to} (${a.cves.join(', ')})`).join('\n')}\n`,
  }
}
