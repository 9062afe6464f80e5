import { z } from 'zod'
import { httpBaseUrl } from '../kit/schema.ts'

export const ENDOR_DEFAULT_BASE_URL = 'https://api.endorlabs.com'
export const ENDOR_DEFAULT_APP_URL = 'https://app.endorlabs.com'

const httpUrl = httpBaseUrl('https://api.endorlabs.com')

export const EndorConfig = z.object({
  namespace: z
    .string()
    .trim()
    .min(1, 'the namespace is required')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      'a namespace is a name like "acme" or "acme.backend" (letters, digits, ".", "-", "_")',
    )
    .meta({
      label: 'Namespace',
      help: 'The Endor Labs namespace (tenant) to import from, as shown in the Endor Labs URL app.endorlabs.com/t/<namespace>/. Child namespaces are included when the API key propagates to them (the default).',
      placeholder: 'acme',
    }),
  baseUrl: httpUrl.optional().meta({
    label: 'API base URL',
    help: 'Leave empty for Endor Labs SaaS (https://api.endorlabs.com). Only change it for a dedicated Endor Labs API host.',
    placeholder: ENDOR_DEFAULT_BASE_URL,
  }),
})
export type EndorConfig = z.infer<typeof EndorConfig>

export const EndorSecrets = z.object({
  apiKey: z.string().trim().min(1, 'the API key is required').meta({
    label: 'API key',
    help: 'In Endor Labs open Settings → Access Control → API Keys → Generate API Key, choose the Read-Only role (keep "Propagate this policy to all child namespaces" on) and an expiry. Copy ENDOR_API_CREDENTIALS_KEY (it starts with "endr+").',
    placeholder: 'endr+…',
    secret: true,
  }),
  apiSecret: z.string().trim().min(1, 'the API secret is required').meta({
    label: 'API secret',
    help: 'The ENDOR_API_CREDENTIALS_SECRET shown next to the key when it was generated (it starts with "endr+"; it is shown once).',
    placeholder: 'endr+…',
    secret: true,
  }),
})
export type EndorSecrets = z.infer<typeof EndorSecrets>

export const endorBaseUrl = (config: Pick<EndorConfig, 'baseUrl'>): string =>
  (config.baseUrl || ENDOR_DEFAULT_BASE_URL).replace(/\/+$/, '')

/** Where Endor's web app lives for this API host: api.X → app.X (SaaS: app.endorlabs.com). */
export const endorAppUrl = (config: Pick<EndorConfig, 'baseUrl'>): string => {
  try {
    const u = new URL(endorBaseUrl(config))
    if (u.hostname.startsWith('api.')) return `https://app.${u.hostname.slice(4)}`
  } catch {
    // fall through
  }
  return ENDOR_DEFAULT_APP_URL
}
