import { manualCommand } from '@vulnsync/core'
import { eolOf, maskXmlComments, splice } from './text.ts'
import type { AppliedBump, Bump, EditResult, ManifestModule, SkippedBump } from './types.ts'

interface Block {
  /** where the block is in the text */
  start: number
  end: number
  /** the `<version>` value's position, when the block has one */
  version: [number, number] | null
  managed: boolean
}

const tagValue = (text: string, from: number, to: number, tag: string): [number, number] | null => {
  const m = new RegExp(`(<${tag}>\\s*)([^<]*?)\\s*</${tag}>`).exec(text.slice(from, to))
  if (!m) return null
  const start = from + m.index + m[1]!.length
  return [start, start + m[2]!.length]
}

/** The `<dependency>` blocks of group:artifact, in `dependencies` and `dependencyManagement` (comments ignored). */
const blocksOf = (masked: string, group: string, artifact: string): Block[] => {
  const out: Block[] = []
  const mgmt = /<dependencyManagement>[\s\S]*?<\/dependencyManagement>/.exec(masked)
  for (const m of masked.matchAll(/<dependency>[\s\S]*?<\/dependency>/g)) {
    const start = m.index!
    const end = start + m[0].length
    const g = tagValue(masked, start, end, 'groupId')
    const a = tagValue(masked, start, end, 'artifactId')
    if (!g || !a || masked.slice(...g) !== group || masked.slice(...a) !== artifact) continue
    const managed = !!mgmt && start > mgmt.index && end < mgmt.index + mgmt[0].length
    out.push({ start, end, version: tagValue(masked, start, end, 'version'), managed })
  }
  return out
}

/** The indentation of the line `index` is on. */
const lineIndent = (text: string, index: number) =>
  /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', index - 1) + 1))![0]

/**
 * Maven pom.xml: a version edited where it is written — the dependency's `<version>`, or the `<properties>` entry a
 * `${property}` names (every artifact sharing the property moves with it, as Renovate does) — and a transitive
 * dependency (or one whose version comes from elsewhere) pinned in `<dependencyManagement>`, added when missing.
 * Comments are never matched; the rest of the file is left as it was.
 */
export const mavenManifest: ManifestModule = {
  kind: 'pom.xml',
  edit: async (manifestPath, bumps, read): Promise<EditResult> => {
    const original = await read(manifestPath)
    const skip = (b: Bump, reason: string): SkippedBump => ({
      name: b.name,
      to: b.to,
      reason,
      command: manualCommand('maven', manifestPath, b.name, b.to, b.strategy === 'direct'),
    })
    if (original === null)
      return {
        changes: [],
        applied: [],
        skipped: bumps.map((b) => skip(b, `${manifestPath} does not exist on the default branch`)),
      }
    let text = original
    const applied: AppliedBump[] = []
    const skipped: SkippedBump[] = []
    const eol = eolOf(text)
    for (const b of bumps) {
      const [group, artifact] = b.name.split(':')
      if (!group || !artifact) {
        skipped.push(skip(b, `${b.name} is not a Maven group:artifact`))
        continue
      }
      const masked = maskXmlComments(text)
      const blocks = blocksOf(masked, group, artifact)
      const withVersion = blocks.find((x) => x.version && x.managed) ?? blocks.find((x) => x.version)
      if (withVersion?.version) {
        const value = text.slice(...withVersion.version)
        const prop = /^\$\{([^}]+)\}$/.exec(value)?.[1]
        if (prop) {
          const def = tagValue(masked, 0, masked.length, prop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          if (!def) {
            skipped.push(
              skip(
                b,
                `${manifestPath} takes ${b.name}'s version from \${${prop}}, which it does not define (a parent does)`,
              ),
            )
            continue
          }
          const before = text.slice(...def)
          text = splice(text, def[0], def[1], b.to)
          applied.push({
            ...b,
            strategy: b.strategy,
            detail: `<${prop}>${before}</${prop}> → <${prop}>${b.to}</${prop}> (the property ${b.name} uses)`,
          })
        } else {
          text = splice(text, withVersion.version[0], withVersion.version[1], b.to)
          applied.push({
            ...b,
            strategy: withVersion.managed ? 'override' : 'direct',
            detail: `${b.name} <version>${value}</version> → <version>${b.to}</version>${withVersion.managed ? ' in dependencyManagement' : ''}`,
          })
        }
        continue
      }
      // not declared with a version here: pin it in dependencyManagement
      const mgmtDeps = /<dependencyManagement>\s*<dependencies>/.exec(masked)
      const entry = (ind: string, step: string) =>
        [
          `${ind}<dependency>`,
          `${ind}${step}<groupId>${group}</groupId>`,
          `${ind}${step}<artifactId>${artifact}</artifactId>`,
          `${ind}${step}<version>${b.to}</version>`,
          `${ind}</dependency>`,
        ].join(eol)
      const step = /\n([ \t]+)</.exec(text)?.[1] ?? '  '
      if (mgmtDeps) {
        const at = mgmtDeps.index + mgmtDeps[0].length
        const ind = `${lineIndent(text, at - '<dependencies>'.length)}${step}`
        text = splice(text, at, at, `${eol}${entry(ind, step)}`)
      } else {
        const deps = /<dependencies>/.exec(masked)
        const project = /<\/project>/.exec(masked)
        const at = deps ? deps.index : project ? project.index : -1
        if (at < 0) {
          skipped.push(skip(b, `${manifestPath} has no <project> element`))
          continue
        }
        const ind = deps ? lineIndent(text, at) : step
        const block = [
          `<dependencyManagement>`,
          `${ind}${step}<dependencies>`,
          entry(`${ind}${step}${step}`, step),
          `${ind}${step}</dependencies>`,
          `${ind}</dependencyManagement>`,
        ].join(eol)
        text = deps ? splice(text, at, at, `${block}${eol}${ind}`) : splice(text, at, at, `${ind}${block}${eol}`)
      }
      applied.push({ ...b, strategy: 'override', detail: `${b.name} pinned to ${b.to} in dependencyManagement` })
    }
    return {
      changes: applied.length ? [{ path: manifestPath, before: original, after: text }] : [],
      applied,
      skipped,
    }
  },
}
