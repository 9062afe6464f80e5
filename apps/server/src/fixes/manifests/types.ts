import type { ManifestKind } from '@vulnsync/core'

/** One package to move in one manifest. */
export interface Bump {
  name: string
  /** the version the plan starts from */
  from: string | null
  to: string
  /** the plan's strategy; `direct` falls back to an override when the manifest does not declare the package */
  strategy: 'direct' | 'override'
  cves: string[]
}

export interface FileChange {
  path: string
  /** null: a new file */
  before: string | null
  after: string
}

export interface AppliedBump {
  name: string
  from: string | null
  to: string
  strategy: 'direct' | 'override'
  cves: string[]
  /** what changed, for the pull request body (`"lodash": "^4.17.15" → "^4.17.21" in dependencies`) */
  detail: string
}

export interface SkippedBump {
  name: string
  to: string
  reason: string
  /** what a developer should run instead */
  command: string | null
}

export interface EditResult {
  changes: FileChange[]
  applied: AppliedBump[]
  skipped: SkippedBump[]
}

/** Reads a file of the repository at the base commit; null when it does not exist. */
export type ReadFile = (path: string) => Promise<string | null>

/** What an edit module needs besides the files: npm, for lockfiles. */
export interface EditContext {
  npm: { registry: string | null; run(cwd: string, args: string[]): Promise<void> } | null
}

/** One manifest kind vulnsync edits faithfully (ADR 0006). */
export interface ManifestModule {
  kind: ManifestKind
  edit(manifestPath: string, bumps: Bump[], read: ReadFile, ctx: EditContext): Promise<EditResult>
}

export const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')
export const joinPath = (dir: string, file: string) => (dir ? `${dir}/${file}` : file)
