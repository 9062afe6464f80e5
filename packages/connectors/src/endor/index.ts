import type { ScannerConnector } from '@vulnsync/core'
import { defineConnector } from '../kit/define.ts'
import { check } from './check.ts'
import { EndorConfig, EndorSecrets, endorBaseUrl } from './config.ts'
import { mapEndorFinding } from './map.ts'
import type { EndorRaw } from './raw.ts'
import { discover, type EndorCursor, read } from './read.ts'

export const endorConnector = defineConnector<
  ScannerConnector<'endor', EndorConfig, EndorSecrets, EndorRaw, EndorCursor>
>({
  kind: 'endor',
  role: 'scanner',
  title: 'Endor Labs',
  logoLetters: 'EL',
  description:
    'Imports Endor Labs SCA vulnerability findings (main branch, with a CVE) and maps projects to repositories by git URL.',
  help: 'Create an API key in Endor Labs under Settings → Access Control → API Keys with the Read-Only role, propagated to child namespaces. vulnsync exchanges the key and secret for a 4-hour token and only reads projects and findings.',
  configSchema: EndorConfig,
  secretsSchema: EndorSecrets,
  baseUrl: (config) => endorBaseUrl(config),
  check,
  discover,
  read,
  map: (raw) => mapEndorFinding(raw),
})
