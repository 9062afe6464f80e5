import { type CheckResult, type Location, type ReadEvent, type ScannerConnector, UpstreamError } from '@vulnsync/core'
import { AQL_PAGE, JfrogClient, type JfrogCtx, SUMMARY_BATCH, vendorMessage } from './client.ts'
import { JfrogConfig, JfrogSecrets, platformRoot } from './config.ts'
import { type ArtifactContext, mapJfrog, splitArtifactSummary } from './map.ts'
import { AqlItem, type JfrogRaw, type RepositoryDetails } from './raw.ts'

export { JfrogConfig, JfrogSecrets } from './config.ts'
export { mapJfrog, parseComponentId, parseFixedVersion, parseXrayCvss, splitArtifactSummary } from './map.ts'
export type { JfrogRaw } from './raw.ts'

/** A JSON-serialisable resume point: finished repositories, the AQL offset inside the current one, what was learned. */
export interface JfrogCursor {
  done: string[]
  current?: { repo: string; offset: number } | undefined
  /** summary API that answered (v2, or v1 on older Xray) */
  api?: 'v1' | 'v2' | undefined
  /** path form Xray accepted: `default/<repo>/<path>` or `<repo>/<path>` */
  prefix?: 'default/' | '' | undefined
  /** Docker path form Xray accepted: the tag folder or its manifest.json */
  dockerForm?: 'folder' | 'manifest' | undefined
}

/** Status lookups (to tell unsupported files from not-yet-indexed ones) per run, at most. */
export const STATUS_LOOKUPS_PER_RUN = 50
/** Build-info lookups (to find the VCS URL of a build's artifacts) per run, at most. */
export const BUILD_LOOKUPS_PER_RUN = 100
/** Batches tried in a second path form before the run settles on one. */
const FORM_PROBES = 4

const isDockerRepo = (r: RepositoryDetails): boolean => /^(docker|oci)$/i.test(r.packageType ?? '')

/** Files Xray never indexes on their own: checksums, signatures, metadata, Docker upload leftovers. */
const NOT_SCANNABLE = /(\.(md5|sha1|sha256|sha512|asc|sig)|maven-metadata\.xml(\.\w+)?|^_remotes\.json)$/i

interface ScanTarget {
  /** repository-relative artifact path (Docker: `<image>/<tag>`) */
  path: string
  /** repository-relative path of the file that represents it (Docker: `<image>/<tag>/manifest.json`) */
  file: string
  docker?: { image: string; tag: string }
  sha256?: string
  source?: { url: string; from: string }
  build?: { name: string; number?: string }
}

interface RunState {
  api: 'v1' | 'v2'
  prefix: 'default/' | '' | undefined
  dockerForm: 'folder' | 'manifest' | undefined
  probes: number
  statusLookups: number
  statusUnavailable: boolean
  /** VCS URL per `build name/number` (null: build not readable or no VCS recorded) */
  builds: Map<string, string | null>
  /** Xray requests made this run (reported in progress and by the benchmark) */
  xrayCalls: number
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const describeVendor = (status: number, body: string | undefined): string => {
  const m = vendorMessage(body)
  return m ? `HTTP ${status}: ${m}` : `HTTP ${status}`
}

const unreachableResult = (e: UpstreamError, root: string): CheckResult => {
  if (e.kind === 'blocked' && /reactivate-server/i.test(e.message + (e.body ?? '')))
    return {
      ok: false,
      code: 'unreachable',
      message: `the JFrog Cloud environment at ${root} is inactive (it redirects to the reactivation page)`,
      hint: 'Sign in to the JFrog Platform and reactivate the environment, then try again.',
    }
  if (e.kind === 'blocked') return { ok: false, code: 'invalid_config', message: e.message }
  if (e.kind === 'timeout')
    return {
      ok: false,
      code: 'unreachable',
      message: `could not reach the JFrog Platform at ${root}: ${e.message}`,
      hint: 'Check the platform URL and that vulnsync can reach it (proxy, firewall, VPN).',
    }
  return {
    ok: false,
    code: 'unreachable',
    message: `could not reach the JFrog Platform at ${root}: ${e.message.replace(/^could not reach \S+: /, '')}`,
    hint: 'Check the platform URL (e.g. https://acme.jfrog.io) and that vulnsync can reach it (proxy, firewall, VPN).',
  }
}

const CHECK_STATUSES = [400, 401, 403, 404, 405, 500, 502, 503, 504]

async function check(ctx: JfrogCtx): Promise<CheckResult> {
  const client = new JfrogClient(ctx)
  const root = client.root
  const user = ctx.config.username
  try {
    // 1. Artifactory version: authenticated (ping answers without credentials, so it proves nothing)
    const v = await client.artifactoryVersion(CHECK_STATUSES, false)
    if ('inactive' in v && v.inactive)
      return {
        ok: false,
        code: 'unreachable',
        message: `the JFrog Cloud environment at ${root} is inactive (it redirects to the reactivation page)`,
        hint: 'Sign in to the JFrog Platform and reactivate the environment, then try again.',
      }
    if (v.status === 401)
      return {
        ok: false,
        code: 'auth',
        message: `the access token was rejected by Artifactory (${describeVendor(401, v.body)}): verify it is correct, has not expired or been revoked, and belongs to user "${user}"`,
        hint: 'Generate a new user-scoped access token (Edit Profile → Generate an Identity Token) and paste it again.',
      }
    if (v.status === 403)
      return {
        ok: false,
        code: 'permission',
        message: `Artifactory refused the access token (${describeVendor(403, v.body)}): the token's scope must include Artifactory (audience jfrt@*)`,
        hint: 'Create a user-scoped token without a restricted audience.',
      }
    if (v.status === 404 || v.status === 405)
      return {
        ok: false,
        code: 'not_found',
        message: `no JFrog Artifactory answered at ${root}/artifactory (HTTP ${v.status}): check the platform URL`,
        hint: 'Use the address of the JFrog Platform, e.g. https://acme.jfrog.io or https://acme.jfrog.io/artifactory.',
      }
    if (v.status >= 400)
      return {
        ok: false,
        code: 'vendor_error',
        message: `Artifactory at ${root} answered the version request with ${describeVendor(v.status, v.body)}`,
        hint: 'Try again later; if it persists, check the platform health.',
      }

    // 2. readable local repositories: a valid token without a permission target reads none
    const list = await client.localRepositories(CHECK_STATUSES, false)
    if (list.status === 401)
      return {
        ok: false,
        code: 'auth',
        message: `the access token was rejected by Artifactory (${describeVendor(401, list.body)}): verify it is correct and has not expired`,
      }
    if (list.status >= 400)
      return {
        ok: false,
        code: 'permission',
        message: `Artifactory refused to list repositories for user "${user}" (${describeVendor(list.status, list.body)})`,
        hint: 'Give the user a permission target with Read on the local repositories to scan.',
      }
    if (list.repos.length === 0)
      return {
        ok: false,
        code: 'permission',
        message: `the access token is valid but user "${user}" can read no local repository: add the user (or a group of it) to a permission target granting Read on the local repositories to scan`,
        hint: 'In the JFrog Platform open Administration → User Management → Permissions, create or edit a permission target, add the repositories and give the user Read.',
      }

    // 3. Xray version: authenticated, proves Xray is there and accepts the token
    const x = await client.xrayVersion(CHECK_STATUSES, false)
    if (x.status === 401)
      return {
        ok: false,
        code: 'auth',
        message: `Xray rejected the access token (${describeVendor(401, x.body)}): the token must be valid for Xray too (audience jfxr@* or *@*)`,
        hint: 'Generate the token from the user profile (valid for every service) or include Xray in its audience.',
      }
    let xrayVersion = x.version?.xray_version
    if (x.status === 403) {
      // some installations refuse the version endpoint to non-admins: an empty summary request (Read) decides
      const probe = await client.summaryProbe()
      if (probe !== 200)
        return {
          ok: false,
          code: 'permission',
          message: `Xray refused the access token (${describeVendor(403, x.body)}): user "${user}" needs Read on the repositories and an Xray-enabled token`,
        }
      xrayVersion = 'version not disclosed'
    }
    if (x.status === 404 || x.status === 405 || x.status >= 500)
      return {
        ok: false,
        code: 'not_found',
        message: `Xray is not enabled or not reachable at ${root}/xray (${describeVendor(x.status, x.body)}): vulnsync reads the vulnerabilities of your repositories from JFrog Xray`,
        hint: 'Enable JFrog Xray on this platform (and indexing of the repositories to scan), or check that the platform URL is the one Xray runs on.',
      }
    if (x.status >= 400 && x.status !== 403)
      return {
        ok: false,
        code: 'vendor_error',
        message: `Xray at ${root}/xray answered ${describeVendor(x.status, x.body)}`,
      }

    const av = v.version?.version ?? 'unknown'
    const xv = xrayVersion ?? 'unknown'
    return {
      ok: true,
      message: `connected to JFrog Artifactory ${av} and Xray ${xv} at ${root} as "${user}": ${list.repos.length} local ${list.repos.length === 1 ? 'repository' : 'repositories'} readable`,
      details: {
        artifactoryVersion: av,
        xrayVersion: xv,
        repositories: list.repos.map((r) => r.key),
        auth: client.authScheme,
      },
    }
  } catch (e) {
    if (e instanceof UpstreamError) {
      if (['unreachable', 'timeout', 'blocked'].includes(e.kind)) return unreachableResult(e, root)
      if (e.kind === 'rate_limited')
        return {
          ok: false,
          code: 'rate_limited',
          message: `the JFrog Platform at ${root} is rate limiting requests (HTTP 429)`,
          hint: 'Try again in a minute.',
        }
      if (e.kind === 'bad_response')
        return {
          ok: false,
          code: 'vendor_error',
          message: `${root} does not answer like a JFrog Platform: ${e.message}`,
          hint: 'Check the platform URL (e.g. https://acme.jfrog.io).',
        }
      return { ok: false, code: 'vendor_error', message: e.message }
    }
    throw e
  }
}

async function* discover(ctx: JfrogCtx): AsyncIterable<Location> {
  const client = new JfrogClient(ctx)
  const { repos } = await client.localRepositories()
  for (const r of repos) {
    yield {
      id: r.key,
      name: r.key,
      kind: 'repository',
      description: [r.packageType ? `${r.packageType} repository` : 'local repository', r.description]
        .filter(Boolean)
        .join(': '),
      meta: { packageType: r.packageType ?? null, url: r.url ?? null },
    }
  }
}

/** Turns one AQL page into the artifacts to ask Xray about (Docker: one per tag folder). */
const scanTargets = (items: AqlItem[], docker: boolean, sources: Map<string, Record<string, string>>): ScanTarget[] => {
  const out = new Map<string, ScanTarget>()
  for (const it of items) {
    if (it.type && it.type !== 'file') continue
    const path = it.path === '.' ? '' : it.path
    if (/^\.jfrog(\/|$)|(^|\/)_uploads(\/|$)/.test(path)) continue
    const file = path ? `${path}/${it.name}` : it.name
    if (docker) {
      const segs = path.split('/').filter(Boolean)
      const tag = segs.pop()
      if (!tag || segs.length === 0 || /^sha256[:_]/.test(tag)) continue // per-platform manifests of a multi-arch tag
      const prev = out.get(path)
      if (prev && it.name !== 'manifest.json') continue
      const props = sources.get(path) ?? sources.get(file) ?? {}
      out.set(path, {
        path,
        file,
        docker: { image: segs.join('/'), tag },
        sha256: it.sha256 ?? undefined,
        ...sourceOf(props),
      })
    } else {
      if (NOT_SCANNABLE.test(it.name)) continue
      out.set(file, { path: file, file, sha256: it.sha256 ?? undefined, ...sourceOf(sources.get(file) ?? {}) })
    }
  }
  return [...out.values()]
}

const sourceOf = (props: Record<string, string>): Pick<ScanTarget, 'source' | 'build'> => {
  const out: Pick<ScanTarget, 'source' | 'build'> = {}
  const oci = props['docker.label.org.opencontainers.image.source'] ?? props['org.opencontainers.image.source']
  if (oci) out.source = { url: oci, from: 'oci-label org.opencontainers.image.source' }
  else if (props['vcs.url']) out.source = { url: props['vcs.url'], from: 'property vcs.url' }
  if (props['build.name']) out.build = { name: props['build.name'], number: props['build.number'] }
  return out
}

/** Normalises a path Xray echoes (`default/repo/img/tag/`, `repo/a/b.jar`) for matching to what was asked. */
const matchKeysOf = (p: string): string[] => {
  const base = p.replace(/\/+$/, '').replace(/\/(list\.)?manifest\.json$/, '')
  const keys = [base]
  if (base.startsWith('default/')) keys.push(base.slice('default/'.length))
  return keys
}

async function* read(
  ctx: JfrogCtx,
  input: { selection: string[] | null; cursor: JfrogCursor | null },
): AsyncIterable<ReadEvent<JfrogRaw, JfrogCursor>> {
  const client = new JfrogClient(ctx)
  const root = client.root
  const state: RunState = {
    api: input.cursor?.api ?? 'v2',
    prefix: input.cursor?.prefix,
    dockerForm: input.cursor?.dockerForm,
    probes: 0,
    statusLookups: 0,
    statusUnavailable: false,
    builds: new Map(),
    xrayCalls: 0,
  }
  const done = new Set(input.cursor?.done ?? [])
  const cursorOf = (current?: { repo: string; offset: number }): JfrogCursor => ({
    done: [...done],
    current,
    api: state.api,
    prefix: state.prefix,
    dockerForm: state.dockerForm,
  })

  // an auth failure here throws: the run fails and nothing is resolved
  const { repos } = await client.localRepositories()
  const readable = new Map(repos.map((r) => [r.key, r]))
  if (input.selection === null && repos.length === 0)
    throw new UpstreamError({
      kind: 'permission',
      host: client.host,
      message: `user "${ctx.config.username}" can read no local repository on ${root} any more: the permission target was removed or changed`,
    })
  const plan = input.selection === null ? [...readable.keys()] : [...new Set(input.selection)]
  let pages = 0

  for (const key of plan) {
    if (done.has(key)) continue
    const repo = readable.get(key)
    if (!repo) {
      yield {
        type: 'warning',
        code: 'repository_not_readable',
        message: `repository ${key} is not readable by user "${ctx.config.username}" (it is not in the list of readable local repositories): its findings are kept, not resolved`,
      }
      yield {
        type: 'incomplete',
        scope: key,
        reason: 'repository not readable (permission removed or repository deleted)',
      }
      done.add(key)
      yield { type: 'checkpoint', cursor: cursorOf() }
      continue
    }
    const docker = isDockerRepo(repo)
    const startOffset = input.cursor?.current?.repo === key ? input.cursor.current.offset : 0
    let incompleteSent = false
    const tally = { asked: 0, answered: 0 }
    const incomplete = function* (reason: string): Generator<ReadEvent<JfrogRaw, JfrogCursor>> {
      if (incompleteSent) return
      incompleteSent = true
      yield { type: 'incomplete', scope: key, reason }
    }

    // properties that say where images and builds come from (one unpaged query per repository)
    const sources = new Map<string, Record<string, string>>()
    const src = await client.aql(JfrogClient.sourcesQuery(key))
    if (src.status === 403 || src.status === 404) {
      yield {
        type: 'warning',
        code: 'repository_forbidden',
        message: `Artifactory refused to search repository ${key} (${describeVendor(src.status, src.body)}): its findings are kept, not resolved`,
      }
      yield* incomplete(`Artifactory answered HTTP ${src.status}`)
      done.add(key)
      yield { type: 'checkpoint', cursor: cursorOf() }
      continue
    }
    if (src.status === 200) {
      for (const r of src.results) {
        const it = AqlItem.safeParse(r)
        if (!it.success || !it.data.properties?.length) continue
        const props: Record<string, string> = {}
        for (const p of it.data.properties) if (p.value) props[p.key] = p.value
        const path = it.data.path === '.' ? '' : it.data.path
        sources.set(path ? `${path}/${it.data.name}` : it.data.name, props)
        // Docker: the tag folder gathers its manifest's labels and the build properties its layers may carry
        if (docker) sources.set(path, { ...(sources.get(path) ?? {}), ...props })
      }
    } else
      yield {
        type: 'warning',
        code: 'aql_properties_rejected',
        message: `Artifactory rejected the source-property query on ${key} (${describeVendor(src.status, src.body)}): images and artifacts are listed without their source repository`,
      }

    let offset = startOffset
    let seen = 0
    for (;;) {
      const page = await client.aql(JfrogClient.artifactsQuery(key, docker, offset, AQL_PAGE))
      if (page.status !== 200) {
        yield {
          type: 'warning',
          code: 'repository_forbidden',
          message: `Artifactory refused to list repository ${key} (${describeVendor(page.status, page.body)}): its findings are kept, not resolved`,
        }
        yield* incomplete(`Artifactory answered HTTP ${page.status} to the artifact search`)
        break
      }
      pages++
      const items: AqlItem[] = []
      let invalid = 0
      for (const r of page.results) {
        const it = AqlItem.safeParse(r)
        if (it.success) items.push(it.data)
        else invalid++
      }
      if (invalid)
        yield {
          type: 'skip',
          reason: 'invalid_record',
          count: invalid,
          scope: key,
          detail: 'AQL item without repo/path/name',
        }
      const targets = scanTargets(items, docker, sources)
      // an artifact or image published with build info but no source property: the build records its VCS URL
      for (const t of targets) {
        if (t.source || !t.build?.number) continue
        const id = `${t.build.name}/${t.build.number}`
        if (!state.builds.has(id)) {
          if (state.builds.size >= BUILD_LOOKUPS_PER_RUN) continue
          state.builds.set(id, (await client.buildVcsUrl(t.build.name, t.build.number)) ?? null)
        }
        const url = state.builds.get(id)
        if (url) t.source = { url, from: `build-info ${id} vcs` }
      }
      for (let i = 0; i < targets.length; i += SUMMARY_BATCH) {
        yield* summarise(ctx, client, state, repo, targets.slice(i, i + SUMMARY_BATCH), incomplete, tally)
      }
      offset += page.results.length
      seen += page.results.length
      ctx.progress({ message: `${key}: ${offset} items read, ${state.xrayCalls} Xray requests`, pages })
      if (page.results.length < AQL_PAGE) break
      yield { type: 'checkpoint', cursor: cursorOf({ repo: key, offset }) }
    }
    if (seen === 0 && startOffset === 0 && !incompleteSent) {
      // AQL filters silently by permission: an empty answer must be a readable, empty repository before it resolves anything
      const status = await client.repositoryReadable(key)
      if (status !== 200) {
        yield {
          type: 'warning',
          code: 'repository_forbidden',
          message: `repository ${key} answered HTTP ${status} to a read: its findings are kept, not resolved`,
        }
        yield* incomplete(`repository not readable (HTTP ${status})`)
      }
    }
    if (tally.asked > 0 && tally.answered === 0)
      yield {
        type: 'warning',
        code: 'repository_not_indexed',
        message: `Xray has indexed none of the ${tally.asked} artifacts vulnsync asked about in ${key}: add the repository to Xray's indexed resources (Administration → Xray Settings → Indexed Resources) or wait for indexing to finish; its findings are kept, not resolved`,
      }
    done.add(key)
    if (!incompleteSent) yield { type: 'scope-complete', scope: key }
    yield { type: 'checkpoint', cursor: cursorOf() }
  }
  ctx.logger.info({ xrayCalls: state.xrayCalls, pages }, 'jfrog read finished')
}

/** Calls the artifact summary for one batch, v2 first and v1 when v2 is missing (older Xray). */
async function summaryCall(client: JfrogClient, state: RunState, paths: string[]) {
  for (;;) {
    let r: Awaited<ReturnType<JfrogClient['summary']>>
    try {
      r = await client.summary(paths, state.api)
    } catch (e) {
      if (e instanceof UpstreamError && (e.kind === 'auth' || e.kind === 'permission'))
        throw new UpstreamError({
          kind: e.kind,
          host: e.host,
          status: e.status,
          body: e.body,
          message: `Xray refused the artifact summary (${describeVendor(e.status ?? 0, e.body)}): the token must be valid for Xray and its user needs Read on the repositories`,
        })
      throw e
    } finally {
      state.xrayCalls++
    }
    if (r.status === 200) return r.data!
    if (state.api === 'v2') {
      state.api = 'v1'
      continue
    }
    throw new UpstreamError({
      kind: 'not_found',
      host: client.host,
      status: r.status,
      body: r.body,
      message: `Xray answered HTTP ${r.status} to the artifact summary (v2 and v1): is Xray still enabled on ${client.root}?`,
    })
  }
}

const pathForm = (t: ScanTarget, repo: string, prefix: string, dockerForm: 'folder' | 'manifest'): string =>
  `${prefix}${repo}/${t.docker ? (dockerForm === 'manifest' ? t.file : t.path) : t.path}`

async function* summarise(
  ctx: JfrogCtx,
  client: JfrogClient,
  state: RunState,
  repo: RepositoryDetails,
  batch: ScanTarget[],
  incomplete: (reason: string) => Generator<ReadEvent<JfrogRaw, JfrogCursor>>,
  tally: { asked: number; answered: number },
): AsyncGenerator<ReadEvent<JfrogRaw, JfrogCursor>> {
  if (batch.length === 0) return
  tally.asked += batch.length
  const key = repo.key
  const docker = batch.some((t) => t.docker)
  const prefixes: ('default/' | '')[] = state.prefix !== undefined ? [state.prefix] : ['default/', '']
  const dockerForms: ('folder' | 'manifest')[] = !docker
    ? ['folder']
    : state.dockerForm
      ? [state.dockerForm]
      : ['folder', 'manifest']
  let forms = prefixes.flatMap((p) => dockerForms.map((d) => ({ p, d })))
  // after FORM_PROBES batches where no form found anything, stop doubling the calls: ask in the first form only
  if (forms.length > 1 && state.probes >= FORM_PROBES) forms = forms.slice(0, 1)
  const learning = forms.length > 1

  let matched = new Map<ScanTarget, unknown>()
  for (let f = 0; f < forms.length; f++) {
    const form = forms[f]!
    const byKey = new Map<string, ScanTarget>()
    for (const t of batch) for (const k of matchKeysOf(pathForm(t, key, form.p, form.d))) byKey.set(k, t)
    const bySha = new Map(batch.filter((t) => t.sha256).map((t) => [t.sha256!, t]))
    const data = await summaryCall(
      client,
      state,
      batch.map((t) => pathForm(t, key, form.p, form.d)),
    )
    const found = new Map<ScanTarget, unknown>()
    const errored = new Set<ScanTarget>()
    for (const e of data.errors ?? []) {
      const t = e.identifier
        ? matchKeysOf(e.identifier)
            .map((k) => byKey.get(k))
            .find(Boolean)
        : undefined
      if (t) errored.add(t)
    }
    const orphans: unknown[] = []
    for (const a of data.artifacts ?? []) {
      const g = (a as any)?.general ?? {}
      const t =
        (typeof g.path === 'string'
          ? matchKeysOf(g.path)
              .map((k) => byKey.get(k))
              .find(Boolean)
          : undefined) ?? (typeof g.sha256 === 'string' ? bySha.get(g.sha256) : undefined)
      if (t && !found.has(t)) found.set(t, a)
      else orphans.push(a)
    }
    // last resort: Xray echoed paths we cannot read back; pair the rest in request order when the counts agree
    const rest = batch.filter((t) => !found.has(t) && !errored.has(t))
    if (orphans.length && orphans.length === rest.length) for (const [i, t] of rest.entries()) found.set(t, orphans[i])
    else if (orphans.length)
      yield {
        type: 'skip',
        reason: 'invalid_record',
        count: orphans.length,
        scope: key,
        detail: 'Xray summary for a path vulnsync did not ask for',
      }
    matched = found
    if (!learning) break
    if (found.size > 0) {
      if (state.prefix === undefined) state.prefix = form.p
      if (docker && state.dockerForm === undefined) state.dockerForm = form.d
      break
    }
    if (f === forms.length - 1) state.probes++
  }

  for (const t of batch) {
    const artifact = matched.get(t)
    if (!artifact) continue
    const actx: ArtifactContext = {
      platformUrl: client.root,
      platformHost: client.host,
      repo: key,
      packageType: repo.packageType ?? 'Generic',
      path: t.path,
      docker: t.docker,
      sha256: t.sha256 ?? (artifact as any)?.general?.sha256,
      source: t.source,
      build: t.build,
      api: state.api,
    }
    const { records, invalid } = splitArtifactSummary(artifact, actx)
    if (invalid)
      yield {
        type: 'skip',
        reason: 'invalid_record',
        count: invalid,
        scope: key,
        detail: `${t.path}: Xray issue that could not be read`,
      }
    for (const raw of records) yield { type: 'record', raw, scope: key }
  }

  // not indexed (or no longer there): the same in-band error either way; unsupported files are told apart by status
  const missing = batch.filter((t) => !matched.has(t))
  let notIndexed = 0
  let unsupported = 0
  let first: string | undefined
  for (const t of missing) {
    let isUnsupported = false
    if (!state.statusUnavailable && state.statusLookups < STATUS_LOOKUPS_PER_RUN) {
      state.statusLookups++
      state.xrayCalls++
      try {
        const st = await client.artifactStatus(key, t.file)
        if (st.status === 404 || st.status === 405 || st.status === 403) state.statusUnavailable = true
        else if (st.status === 200 && st.overall === 'NOT_SUPPORTED') isUnsupported = true
      } catch (e) {
        ctx.logger.warn({ err: message(e), repo: key }, 'artifact status lookup failed')
        state.statusUnavailable = true
      }
    }
    if (isUnsupported) unsupported++
    else {
      notIndexed++
      first ??= t.path
    }
  }
  tally.answered += matched.size + unsupported
  if (unsupported)
    yield {
      type: 'skip',
      reason: 'unsupported',
      count: unsupported,
      scope: key,
      detail: 'file type Xray does not scan',
    }
  if (notIndexed) {
    yield {
      type: 'skip',
      reason: 'not_indexed',
      count: notIndexed,
      scope: key,
      detail: `not indexed by Xray yet, retried next run (e.g. ${first})`,
    }
    yield* incomplete(`artifacts not indexed by Xray yet (e.g. ${first}): retried next run`)
  }
}

export const jfrogConnector: ScannerConnector<'jfrog', JfrogConfig, JfrogSecrets, JfrogRaw, JfrogCursor> = {
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
}
