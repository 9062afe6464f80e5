import { manualCommand } from '@vulnsync/core'
import { eolOf } from './text.ts'
import type { AppliedBump, Bump, EditResult, ManifestModule, SkippedBump } from './types.ts'
import { dirOf, joinPath } from './types.ts'

/** PEP 503: names compare lower-cased with runs of `-`, `_` and `.` as one `-`. */
const norm = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-')

/** `name[extras] <op> version ; marker  # comment` → the parts a bump needs. */
const REQ = /^(\s*)([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?(\s*)(==|>=|~=|===)(\s*)([^\s;#,]+)/

const editLines = (
  text: string,
  name: string,
  to: string,
): { text: string; from: string; op: string } | { hashed: true } | null => {
  const eol = eolOf(text)
  const lines = text.split(eol)
  for (let i = 0; i < lines.length; i++) {
    const m = REQ.exec(lines[i]!)
    if (!m || norm(m[2]!) !== norm(name)) continue
    const continued = lines[i]!.trimEnd().endsWith('\\') || lines[i + 1]?.trimStart().startsWith('--hash')
    if (/--hash[=\s]/.test(lines[i]!) || continued) return { hashed: true }
    const from = m[7]!
    lines[i] = `${m[1]}${m[2]}${m[3] ?? ''}${m[4]}${m[5]}${m[6]}${to}${lines[i]!.slice(m[0].length)}`
    return { text: lines.join(eol), from, op: m[5]! }
  }
  return null
}

/**
 * pip requirements*.txt: a declared requirement keeps its operator (a `==` pin stays a pin) and moves to the fix
 * version, its extras, markers and comment kept; a transitive dependency is pinned in the constraints file the
 * requirements name with `-c` (one beside them, `constraints.txt`, is created and referenced when there is none).
 * Hash-checked requirements are left alone: the hashes must come from the new release (pip-compile).
 */
export const pipManifest: ManifestModule = {
  kind: 'requirements.txt',
  edit: async (manifestPath, bumps, read): Promise<EditResult> => {
    const original = await read(manifestPath)
    const skip = (b: Bump, reason: string): SkippedBump => ({
      name: b.name,
      to: b.to,
      reason,
      command: manualCommand('pypi', manifestPath, b.name, b.to, b.strategy === 'direct'),
    })
    if (original === null)
      return {
        changes: [],
        applied: [],
        skipped: bumps.map((b) => skip(b, `${manifestPath} does not exist on the default branch`)),
      }
    const files = new Map<string, { before: string | null; after: string }>()
    const get = async (path: string) => files.get(path)?.after ?? (await read(path))
    const put = (path: string, before: string | null, after: string) =>
      files.set(path, { before: files.get(path)?.before ?? before, after })
    put(manifestPath, original, original)
    const applied: AppliedBump[] = []
    const skipped: SkippedBump[] = []
    for (const b of bumps) {
      const req = files.get(manifestPath)!.after
      const direct = editLines(req, b.name, b.to)
      if (direct && 'hashed' in direct) {
        skipped.push(
          skip(
            b,
            `${manifestPath} pins ${b.name} with hashes; regenerate them (pip-compile --generate-hashes --upgrade-package ${b.name}==${b.to})`,
          ),
        )
        continue
      }
      if (direct) {
        put(manifestPath, original, direct.text)
        applied.push({
          ...b,
          strategy: 'direct',
          detail: `${b.name}${direct.op}${direct.from} → ${b.name}${direct.op}${b.to} in ${manifestPath}`,
        })
        continue
      }
      // transitive: the constraints file the requirements reference, or a new one beside them
      const eol = eolOf(req)
      const ref = /^\s*(?:-c|--constraint)[=\s]+(\S+)/m.exec(req)?.[1]
      const constraintsPath = joinPath(dirOf(manifestPath), ref ?? 'constraints.txt')
      const existing = await get(constraintsPath)
      const before = files.get(constraintsPath)?.before ?? (await read(constraintsPath))
      if (existing !== null) {
        const edited = editLines(existing, b.name, b.to)
        if (edited && 'hashed' in edited) {
          skipped.push(skip(b, `${constraintsPath} pins ${b.name} with hashes`))
          continue
        }
        const ceol = eolOf(existing)
        const after = edited
          ? edited.text
          : `${existing}${existing === '' || existing.endsWith(ceol) ? '' : ceol}${b.name}==${b.to}${ceol}`
        put(constraintsPath, before, after)
      } else put(constraintsPath, null, `${b.name}==${b.to}${eol}`)
      if (!ref) {
        const cur = files.get(manifestPath)!.after
        put(manifestPath, original, `${cur}${cur === '' || cur.endsWith(eol) ? '' : eol}-c constraints.txt${eol}`)
      }
      applied.push({ ...b, strategy: 'override', detail: `${b.name}==${b.to} constrained in ${constraintsPath}` })
    }
    return {
      changes: [...files]
        .filter(([, f]) => f.after !== f.before)
        .map(([path, f]) => ({ path, before: f.before, after: f.after })),
      applied,
      skipped,
    }
  },
}
