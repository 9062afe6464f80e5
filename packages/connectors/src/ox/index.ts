import type { ScannerConnector } from '@vulnsync/core'
import { defineConnector } from '../kit/define.ts'
import { check } from './check.ts'
import { OxConfig, OxSecrets, oxBaseUrl } from './config.ts'
import { mapOxIssue } from './map.ts'
import type { OxRaw } from './raw.ts'
import { discover, type OxCursor, read } from './read.ts'

export const oxConnector = defineConnector<ScannerConnector<'ox', OxConfig, OxSecrets, OxRaw, OxCursor>>({
  kind: 'ox',
  role: 'scanner',
  title: 'OX Security',
  logoLetters: 'OX',
  description:
    'Imports the CVE-bearing Open Source Security (SCA) and Container Security issues of OX Security, with OX’s detection time and severity factors.',
  help: 'Create a read-only key in OX Security: Settings → API Key Settings → Create API Key, type "API Integration", with read access to issues and applications. OX allows 1,000 API requests an hour and 15,000 a day per key; vulnsync pauses a sync when the budget is spent and continues when the window resets.',
  configSchema: OxConfig,
  secretsSchema: OxSecrets,
  baseUrl: (config) => oxBaseUrl(config),
  check,
  discover,
  read,
  map: (raw) => mapOxIssue(raw),
})
