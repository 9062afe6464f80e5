import type { ScannerConnector } from '@vulnsync/core'
import { defineConnector } from '../kit/define.ts'
import { check } from './check.ts'
import { JfrogConfig, JfrogSecrets, platformRoot } from './config.ts'
import { mapJfrog } from './map.ts'
import type { JfrogRaw } from './raw.ts'
import { discover, type JfrogCursor, read } from './read.ts'

export const jfrogConnector = defineConnector<
  ScannerConnector<'jfrog', JfrogConfig, JfrogSecrets, JfrogRaw, JfrogCursor>
>({
  kind: 'jfrog',
  resolvesByScope: true,
  role: 'scanner',
  title: 'JFrog Artifactory (Xray)',
  logoLetters: 'JF',
  description:
    'Imports the vulnerabilities JFrog Xray finds in the artifacts and Docker images of selected local Artifactory repositories.',
  help: 'Use a user-scoped access token (profile → Generate an Identity Token, or Administration → User Management → Access Tokens, scope "User"). The user needs a permission target with Read on the local repositories to scan, and Xray must index them. vulnsync only reads.',
  configSchema: JfrogConfig,
  secretsSchema: JfrogSecrets,
  baseUrl: (config) => platformRoot(config.platformUrl),
  check,
  discover,
  read,
  map: (raw) => mapJfrog(raw),
})
