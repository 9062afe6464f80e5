import { z } from 'zod'
import { httpBaseUrl } from '../kit/schema.ts'

export const OX_DEFAULT_BASE_URL = 'https://api.cloud.ox.security'

const httpUrl = httpBaseUrl('https://api.cloud.ox.security')

export const OxConfig = z.object({
  baseUrl: httpUrl.optional().meta({
    label: 'API base URL',
    help: 'Leave empty for OX Security SaaS (https://api.cloud.ox.security). On-premises installations use their own host, e.g. https://ox.example.com; vulnsync calls <base URL>/api/apollo-gateway.',
    placeholder: OX_DEFAULT_BASE_URL,
  }),
})
export type OxConfig = z.infer<typeof OxConfig>

export const OxSecrets = z.object({
  apiToken: z.string().trim().min(1, 'the API token is required').meta({
    label: 'API token',
    help: 'In OX Security open Settings → API Key Settings → Create API Key, choose the type "API Integration" and an expiration date, and give it read access to issues and applications. The key is shown once. vulnsync sends it as is in the Authorization header (no "Bearer").',
    secret: true,
  }),
})
export type OxSecrets = z.infer<typeof OxSecrets>

export const oxBaseUrl = (config: OxConfig): string => (config.baseUrl ?? OX_DEFAULT_BASE_URL).replace(/\/+$/, '')

/** Where an OX issue opens in the OX web app (inferred: SaaS UI host app.ox.security; on-prem the same host). */
export const oxUiBase = (config: OxConfig): string => {
  const api = oxBaseUrl(config)
  try {
    const u = new URL(api)
    if (u.hostname === 'api.cloud.ox.security') return 'https://app.ox.security'
    return `${u.protocol}//${u.host}`
  } catch {
    return 'https://app.ox.security'
  }
}
