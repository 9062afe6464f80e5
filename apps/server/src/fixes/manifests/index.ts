import type { ManifestKind } from '@vulnsync/core'
import { mavenManifest } from './maven.ts'
import { npmManifest } from './npm.ts'
import { pipManifest } from './pip.ts'
import type { ManifestModule } from './types.ts'

export type * from './types.ts'

/** Every manifest kind vulnsync edits, one module each (exhaustive: a new kind fails to compile until it has one). */
export const MANIFEST_MODULES: Record<ManifestKind, ManifestModule> = {
  'package.json': npmManifest,
  'pom.xml': mavenManifest,
  'requirements.txt': pipManifest,
}
