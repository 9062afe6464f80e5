import { type Location, type ReadEvent, UpstreamError } from '@vulnsync/core'
import { artifactIdentity } from './artifact.ts'
import {
  AQL_PAGE,
  artifactsQuery,
  createJfrogClient,
  downloadedQuery,
  type JfrogClient,
  type JfrogCtx,
  SUMMARY_BATCH,
  sourcesQuery,
} from './client.ts'
import { type ArtifactContext, splitArtifactSummary } from './map.ts'
import { AqlItem, type JfrogRaw, type RepositoryDetails } from './raw.ts'
import { said, words } from './words.ts'

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
  /** the artifact without its version (Docker: the image), and the version (Docker: the tag) */
  artifact: string
  version?: string | undefined
  /** when it was published (the newest version of an artifact always counts) */
  created?: string | undefined
  /** the absolute AQL offset of the first item that formed it (a resumed run re-reads an unfinished artifact from here) */
  offset: number
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

/** Every readable local repository, with its package type. */
export async function* discover(ctx: JfrogCtx): AsyncGenerator<Location> {
  const client = createJfrogClient(ctx)
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
const scanTargets = (
  items: AqlItem[],
  docker: boolean,
  sources: Map<string, Record<string, string>>,
  packageType: string,
  pageOffset: number,
): ScanTarget[] => {
  const out = new Map<string, ScanTarget>()
  for (const [index, it] of items.entries()) {
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
        artifact: segs.join('/'),
        version: tag,
        created: it.created ?? prev?.created,
        offset: prev?.offset ?? pageOffset + index,
        docker: { image: segs.join('/'), tag },
        sha256: it.sha256 ?? undefined,
        ...sourceOf(props),
      })
    } else {
      if (NOT_SCANNABLE.test(it.name)) continue
      const id = artifactIdentity(packageType, path || '.', it.name)
      out.set(file, {
        path: file,
        file,
        artifact: id.artifact,
        version: id.version,
        created: it.created ?? undefined,
        offset: pageOffset + index,
        sha256: it.sha256 ?? undefined,
        ...sourceOf(sources.get(file) ?? {}),
      })
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

/**
 * Per repository (the selection, or every readable one): the items that say where they were built, then AQL pages of
 * artifacts, each batch asked of Xray's artifact summary; a checkpoint per page and per finished repository.
 */
export async function* read(
  ctx: JfrogCtx,
  input: { selection: string[] | null; cursor: JfrogCursor | null },
): AsyncIterable<ReadEvent<JfrogRaw, JfrogCursor>> {
  const client = createJfrogClient(ctx)
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
      message: words.permissionsGone(ctx.config.username, root),
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
    const src = await client.aql(sourcesQuery(key))
    if (src.status === 403 || src.status === 404) {
      yield {
        type: 'warning',
        code: 'repository_forbidden',
        message: `Artifactory refused to search repository ${key} (${said(src.status, src.body)}): its findings are kept, not resolved`,
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
        message: `Artifactory rejected the source-property query on ${key} (${said(src.status, src.body)}): images and artifacts are listed without their source repository`,
      }

    // which versions count: every one, or the newest of each artifact plus those downloaded (pulled) lately
    let recent: Set<string> | null = null
    if (ctx.config.versions === 'recent') {
      const since = new Date(ctx.now().getTime() - ctx.config.recentDays * 86_400_000).toISOString()
      const dl = await client.aql(downloadedQuery(key, since))
      if (dl.status === 200) {
        recent = new Set()
        for (const r of dl.results) {
          const it = AqlItem.safeParse(r)
          if (!it.success) continue
          const path = it.data.path === '.' ? '' : it.data.path
          recent.add(docker ? path : path ? `${path}/${it.data.name}` : it.data.name)
        }
      } else
        yield {
          type: 'warning',
          code: 'download_stats_unavailable',
          message: `Artifactory did not answer the download statistics of ${key} (${said(dl.status, dl.body)}): every version of its artifacts counts this run`,
        }
    }
    /** the versions of one artifact that count: all, or its newest plus the recently downloaded ones */
    const counted = (group: ScanTarget[]): ScanTarget[] => {
      let newest = group[0]!
      for (const t of group) if ((t.created ?? '') >= (newest.created ?? '')) newest = t
      return group.filter((t) => t === newest || recent?.has(docker ? t.path : t.file))
    }
    // an artifact's versions are neighbours in path order, but may straddle a page: the last one waits for the next
    let pending: ScanTarget[] = []

    let offset = startOffset
    let seen = 0
    for (;;) {
      const page = await client.aql(artifactsQuery(key, docker, offset, AQL_PAGE))
      if (page.status !== 200) {
        yield {
          type: 'warning',
          code: 'repository_forbidden',
          message: `Artifactory refused to list repository ${key} (${said(page.status, page.body)}): its findings are kept, not resolved`,
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
      const last = page.results.length < AQL_PAGE
      const scanned = scanTargets(items, docker, sources, repo.packageType ?? 'Generic', offset)
      const targets: ScanTarget[] = []
      let notCounted = 0
      if (!recent) targets.push(...scanned)
      else {
        const groups: ScanTarget[][] = []
        for (const t of [...pending, ...scanned]) {
          const g = groups.at(-1)
          if (g && g[0]!.artifact === t.artifact) g.push(t)
          else groups.push([t])
        }
        pending = last ? [] : (groups.pop() ?? [])
        for (const g of groups) {
          const c = counted(g)
          targets.push(...c)
          notCounted += g.length - c.length
        }
      }
      if (notCounted)
        yield {
          type: 'skip',
          reason: 'version_not_counted',
          count: notCounted,
          scope: key,
          detail: `older versions neither the newest nor downloaded in the last ${ctx.config.recentDays} days`,
        }
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
      if (last) break
      // a resumed run starts at the artifact still waiting for its other versions
      yield { type: 'checkpoint', cursor: cursorOf({ repo: key, offset: pending[0]?.offset ?? offset }) }
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
          message: words.summaryRefused(e.status ?? 0, e.body),
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
      message: words.xrayGone(client.root, r.status),
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
