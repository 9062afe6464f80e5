import { resolve } from 'node:path'
import { DEFAULT_REGISTRY_URLS, type RegistryUrls } from '@vulnsync/connectors'
import { z } from 'zod'

/** Where the prioritisation feeds are downloaded from unless VULNSYNC_KEV_URL / VULNSYNC_EPSS_URL say otherwise. */
export const DEFAULT_FEED_URLS = {
  kev: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  epss: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
} as const

const feedUrl = z.string().regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL')

/**
 * The one place that reads process.env. Parsed once at start; everything else receives the result as arguments.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  VULNSYNC_DATA_DIR: z.string().default('./.vulnsync'),
  VULNSYNC_BOOTSTRAP_TOKEN: z.string().min(24, 'VULNSYNC_BOOTSTRAP_TOKEN must be at least 24 characters').optional(),
  VULNSYNC_SECRET_KEY: z.string().optional(),
  VULNSYNC_ALLOW_PRIVATE_NETWORKS: bool,
  VULNSYNC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VULNSYNC_DEFAULT_SCHEDULE: z.string().default('0 */6 * * *'),
  VULNSYNC_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  VULNSYNC_SECURE_COOKIES: bool,
  /** behind a reverse proxy: trust its X-Forwarded-For (client address for the sign-in limit and the logs) */
  VULNSYNC_TRUST_PROXY: bool,
  /** package registries for fix plans (mirrors): a URL, or `off` for none (plans then use the scanners' fixed versions) */
  VULNSYNC_NPM_REGISTRY: z.string().optional(),
  VULNSYNC_PYPI_URL: z.string().optional(),
  VULNSYNC_MAVEN_URL: z.string().optional(),
  /** check every API response against its schema (the test suite turns it on; it costs time per request) */
  VULNSYNC_VALIDATE_RESPONSES: bool,
  /** the CISA KEV catalog (JSON), e.g. a mirror; PATCH /api/v1/feeds/kev overrides it */
  VULNSYNC_KEV_URL: feedUrl.default(DEFAULT_FEED_URLS.kev),
  /** the FIRST EPSS daily scores (CSV, gzip); PATCH /api/v1/feeds/epss overrides it */
  VULNSYNC_EPSS_URL: feedUrl.default(DEFAULT_FEED_URLS.epss),
  /** the address people reach vulnsync at, for links in tickets, webhooks and Slack (default http://HOST:PORT) */
  VULNSYNC_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'VULNSYNC_PUBLIC_URL must be an http(s) URL such as https://vulnsync.example.com')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** /metrics on the main listener, for requests with Authorization: Bearer <this token> */
  VULNSYNC_METRICS_TOKEN: z.string().min(16, 'VULNSYNC_METRICS_TOKEN must be at least 16 characters').optional(),
  /** /metrics on a listener of its own (host:port, e.g. 127.0.0.1:9464), without authentication */
  VULNSYNC_METRICS_LISTEN: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/, 'VULNSYNC_METRICS_LISTEN must be host:port, e.g. 127.0.0.1:9464')
    .optional(),
  /** how many days of insight history (daily snapshots) to keep; older days are dropped by the daily job */
  VULNSYNC_INSIGHTS_RETENTION_DAYS: z.coerce.number().int().min(30).max(3660).default(730),
})

export interface AppConfig {
  port: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  bootstrapToken: string | undefined
  secretKey: string | undefined
  allowPrivateNetworks: boolean
  logLevel: z.infer<typeof EnvSchema>['VULNSYNC_LOG_LEVEL']
  defaultSchedule: string
  workerConcurrency: number
  secureCookies: boolean
  trustProxy: boolean
  validateResponses: boolean
  /** package registries fix plans read versions from (null: none) */
  registries: RegistryUrls
  /** the configured feed URLs (a URL saved with PATCH /api/v1/feeds/{name} takes precedence) */
  feedUrls: { kev: string; epss: string }
  publicUrl: string
  /** how /metrics is served: a token on the main listener, a listener of its own, both, or neither (off) */
  metrics: { token: string | undefined; listen: { host: string; port: number } | undefined }
  /** days of insight history kept (VULNSYNC_INSIGHTS_RETENTION_DAYS, default 730) */
  insightsRetentionDays: number
}

export class ConfigError extends Error {}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): AppConfig => {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')
    throw new ConfigError(`invalid configuration:\n${lines}`)
  }
  const e = parsed.data
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL || undefined,
    dataDir: resolve(e.VULNSYNC_DATA_DIR),
    bootstrapToken: e.VULNSYNC_BOOTSTRAP_TOKEN,
    secretKey: e.VULNSYNC_SECRET_KEY,
    allowPrivateNetworks: e.VULNSYNC_ALLOW_PRIVATE_NETWORKS,
    logLevel: e.VULNSYNC_LOG_LEVEL,
    defaultSchedule: e.VULNSYNC_DEFAULT_SCHEDULE,
    workerConcurrency: e.VULNSYNC_WORKER_CONCURRENCY,
    secureCookies: e.VULNSYNC_SECURE_COOKIES,
    trustProxy: e.VULNSYNC_TRUST_PROXY,
    validateResponses: e.VULNSYNC_VALIDATE_RESPONSES,
    registries: {
      npm: registryUrl(e.VULNSYNC_NPM_REGISTRY, DEFAULT_REGISTRY_URLS.npm, 'VULNSYNC_NPM_REGISTRY'),
      pypi: registryUrl(e.VULNSYNC_PYPI_URL, DEFAULT_REGISTRY_URLS.pypi, 'VULNSYNC_PYPI_URL'),
      maven: registryUrl(e.VULNSYNC_MAVEN_URL, DEFAULT_REGISTRY_URLS.maven, 'VULNSYNC_MAVEN_URL'),
    },
    feedUrls: { kev: e.VULNSYNC_KEV_URL, epss: e.VULNSYNC_EPSS_URL },
    publicUrl: (e.VULNSYNC_PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? '127.0.0.1' : e.HOST}:${e.PORT}`).replace(
      /\/+$/,
      '',
    ),
    metrics: {
      token: e.VULNSYNC_METRICS_TOKEN,
      listen: e.VULNSYNC_METRICS_LISTEN
        ? {
            host: e.VULNSYNC_METRICS_LISTEN.slice(0, e.VULNSYNC_METRICS_LISTEN.lastIndexOf(':')).replace(
              /^\[|\]$/g,
              '',
            ),
            port: Number(e.VULNSYNC_METRICS_LISTEN.slice(e.VULNSYNC_METRICS_LISTEN.lastIndexOf(':') + 1)),
          }
        : undefined,
    },
    insightsRetentionDays: e.VULNSYNC_INSIGHTS_RETENTION_DAYS,
  }
}

/** A registry base URL: the default when unset, null for `off`/`none`, else an http(s) URL without a trailing slash. */
const registryUrl = (value: string | undefined, fallback: string | null, name: string): string | null => {
  const v = value?.trim()
  if (!v) return fallback
  if (/^(off|none|false)$/i.test(v)) return null
  if (!/^https?:\/\/[^\s]+$/i.test(v))
    throw new ConfigError(`invalid configuration:\n  ${name}: an http(s) URL, or off`)
  return v.replace(/\/+$/, '')
}

/** Settings of the CLI commands that talk to a running server. */
export const loadCliConfig = (env: NodeJS.ProcessEnv = process.env) => ({
  url: (env.VULNSYNC_URL ?? `http://127.0.0.1:${env.PORT ?? 8080}`).replace(/\/+$/, ''),
  token: env.VULNSYNC_TOKEN || undefined,
  /** the demo logs at `error` unless this asks for more */
  logLevel: env.VULNSYNC_LOG_LEVEL || undefined,
})
