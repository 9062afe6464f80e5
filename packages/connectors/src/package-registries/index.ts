import {
  type AvailableVersion,
  type FixEcosystem,
  type HttpClient,
  type Logger,
  UpstreamError,
  versionScheme,
} from '@vulnsync/core'
import { z } from 'zod'
import { createHttpClient, type HttpClientOptions } from '../kit/http.ts'

/**
 * The package registries a fix plan lists versions from, through the guarded client (SSRF guard, timeouts, retries):
 * the npm registry (packuments: versions and deprecations), PyPI's JSON API (releases and PEP 592 yanks) and a Maven
 * repository (`maven-metadata.xml`). Base URLs come from the server's configuration (VULNSYNC_NPM_REGISTRY,
 * VULNSYNC_PYPI_URL, VULNSYNC_MAVEN_URL); null means no registry access, and a plan then uses the scanners' fixed
 * versions and says so.
 */
export interface RegistryUrls {
  npm: string | null
  pypi: string | null
  maven: string | null
}

export const DEFAULT_REGISTRY_URLS: RegistryUrls = {
  npm: 'https://registry.npmjs.org',
  pypi: 'https://pypi.org',
  maven: 'https://repo1.maven.org/maven2',
}

/** The versions a registry lists, or null with the reason the plan gives. */
export type RegistryAnswer = { available: AvailableVersion[]; note?: undefined } | { available: null; note: string }

export interface PackageRegistries {
  versions(ecosystem: string, name: string): Promise<RegistryAnswer>
}

const NpmPackument = z.looseObject({
  versions: z.record(z.string(), z.looseObject({ deprecated: z.union([z.string(), z.boolean()]).nullish() })),
})
const PypiProject = z.looseObject({
  releases: z.record(z.string(), z.array(z.looseObject({ yanked: z.boolean().nullish() }))),
})

const REGISTRY_NAMES: Record<FixEcosystem, string> = { npm: 'npm registry', pypi: 'PyPI', maven: 'Maven repository' }

/** `@scope/name` → `@scope%2fname`, as the npm registry expects. */
export const npmPath = (name: string) => (name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : name)

export const npmVersions = async (http: HttpClient, name: string): Promise<AvailableVersion[]> => {
  const doc = NpmPackument.parse(
    await http.json({
      url: `/${npmPath(name)}`,
      headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
    }),
  )
  return Object.entries(doc.versions).map(([version, v]) => ({ version, deprecated: v.deprecated || undefined }))
}

/** Releases with at least one file; a release whose every file is yanked is yanked (PEP 592). */
export const pypiVersions = async (http: HttpClient, name: string): Promise<AvailableVersion[]> => {
  const doc = PypiProject.parse(await http.json({ url: `/pypi/${encodeURIComponent(name)}/json` }))
  return Object.entries(doc.releases)
    .filter(([, files]) => files.length > 0)
    .map(([version, files]) => ({ version, yanked: files.every((f) => f.yanked === true) }))
}

/** `group:artifact` → the versions of its maven-metadata.xml. */
export const mavenVersions = async (http: HttpClient, coordinate: string): Promise<AvailableVersion[]> => {
  const [group, artifact] = coordinate.split(/[:/]/)
  if (!group || !artifact) throw new Error(`${coordinate} is not a Maven group:artifact`)
  const res = await http.request({
    url: `/${group.split('.').map(encodeURIComponent).join('/')}/${encodeURIComponent(artifact)}/maven-metadata.xml`,
    headers: { accept: 'application/xml, text/xml' },
  })
  const text = res.text()
  if (!/<metadata[\s>]/.test(text))
    throw new UpstreamError({
      kind: 'bad_response',
      host: new URL(res.url).host,
      status: res.status,
      message: `${new URL(res.url).host} answered something that is not maven-metadata.xml`,
    })
  const block = /<versions>([\s\S]*?)<\/versions>/.exec(text)?.[1] ?? ''
  return [...block.matchAll(/<version>\s*([^<\s]+)\s*<\/version>/g)].map((m) => ({ version: m[1]! }))
}

const FETCHERS: Record<FixEcosystem, (http: HttpClient, name: string) => Promise<AvailableVersion[]>> = {
  npm: npmVersions,
  pypi: pypiVersions,
  maven: mavenVersions,
}

/**
 * Registry clients with a short cache (a plan of a repository asks for each package once; a page of plans many
 * times). Failures are answers, not errors: the plan falls back to the scanners' fixed versions and says why.
 */
export const createPackageRegistries = (o: {
  urls: RegistryUrls
  allowPrivateNetworks: boolean
  logger?: Logger
  http?: Partial<HttpClientOptions>
  /** how long an answer is reused (default 5 minutes) */
  ttlMs?: number
  now?: () => number
}): PackageRegistries => {
  const now = o.now ?? Date.now
  const ttl = o.ttlMs ?? 5 * 60_000
  const clients = new Map<FixEcosystem, HttpClient>()
  const cache = new Map<string, { at: number; answer: Promise<RegistryAnswer> }>()
  const client = (eco: FixEcosystem, base: string) => {
    let c = clients.get(eco)
    if (!c) {
      c = createHttpClient({
        baseUrl: base,
        allowPrivateNetworks: o.allowPrivateNetworks,
        logger: o.logger,
        maxRetries: 2,
        timeoutMs: 15_000,
        ...o.http,
      })
      clients.set(eco, c)
    }
    return c
  }
  const fetchVersions = async (eco: FixEcosystem, name: string): Promise<RegistryAnswer> => {
    const base = o.urls[eco]
    const what = REGISTRY_NAMES[eco]
    if (!base) return { available: null, note: `no ${what} is configured` }
    try {
      return { available: await FETCHERS[eco](client(eco, base), name) }
    } catch (err) {
      const e = err as UpstreamError
      const note =
        e instanceof UpstreamError
          ? e.kind === 'not_found'
            ? `${name} is not on the ${what} at ${e.host}`
            : `the ${what} could not be read: ${e.message}`
          : `the ${what} answered something vulnsync could not read (${(err as Error).message.slice(0, 200)})`
      o.logger?.warn({ ecosystem: eco, name, err: note }, 'package registry not used for a fix plan')
      return { available: null, note }
    }
  }
  return {
    versions: (ecosystem, name) => {
      if (!versionScheme(ecosystem))
        return Promise.resolve({ available: null, note: `vulnsync reads no ${ecosystem} registry` })
      const eco = ecosystem as FixEcosystem
      const key = `${eco}\u0000${name}`
      const hit = cache.get(key)
      if (hit && now() - hit.at < ttl) return hit.answer
      const answer = fetchVersions(eco, name)
      cache.set(key, { at: now(), answer })
      return answer
    },
  }
}
