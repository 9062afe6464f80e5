import {
  addStageTime,
  type ConnectorContext,
  type Location,
  type ReadEvent,
  type ReadInput,
  stageTimers,
  UpstreamError,
} from '@vulnsync/core'
import { readAhead } from '../kit/paging.ts'
import { compileShapeCheck } from '../kit/shape-check.ts'
import { createEndorClient, type EndorClient, MAX_PAGE_SIZE, type PagePosition, type PagingOutcome } from './client.ts'
import { type EndorConfig, type EndorSecrets, endorAppUrl } from './config.ts'
import { CATEGORY_VULNERABILITY, CONTEXT_MAIN, projectInfo } from './map.ts'
import { EndorFinding, EndorProject, type EndorProjectInfo, type EndorRaw } from './raw.ts'

/** Resumable position of a read: which selection chunk, where its next page starts, the page size in use. */
export interface EndorCursor {
  v: 1
  /** index of the chunk of selected projects being read (0 when reading the whole namespace) */
  chunk: number
  pageId?: string | undefined
  pageToken?: number | undefined
  pageSize: number
  /** findings already read in this chunk (compared with Endor's count at the end) */
  fetched: number
}

type Ctx = ConnectorContext<EndorConfig, EndorSecrets>

/** an object of a list page (its JSON text); undefined when it is not JSON (then it fails its schema, and is skipped) */
const parseText = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * What source_records keeps for a finding: `{finding, project, appUrl}` as JSON, the finding as Endor sent it. Put
 * together from texts (the project's made once per project), never made again from the parsed finding.
 */
const rawText = (finding: string, project: string, appUrl: string | undefined): string =>
  appUrl === undefined
    ? `{"finding":${finding},"project":${project}}`
    : `{"finding":${finding},"project":${project},"appUrl":${JSON.stringify(appUrl)}}`

/** a finding already in the shape EndorFinding accepts (nearly all of them) needs no zod parse */
const isPlainFinding = compileShapeCheck(EndorFinding)
const parseFinding = (obj: unknown): ReturnType<typeof EndorFinding.safeParse> =>
  isPlainFinding(obj) ? { success: true, data: obj as EndorFinding } : EndorFinding.safeParse(obj)

/** Findings filter (endor.md §5.2): main branch, category Vulnerability; the CVE test happens in map. */
export const FINDINGS_FILTER = `context.type==${CONTEXT_MAIN} and spec.finding_categories contains [${CATEGORY_VULNERABILITY}]`
/** Selected projects are read in groups so the filter (and the URL) stays short. */
export const SELECTION_CHUNK = 100

export const findingsFilter = (projects: string[] | null): string =>
  projects?.length
    ? `${FINDINGS_FILTER} and spec.project_uuid in [${projects.map((p) => `"${p.replace(/"/g, '')}"`).join(',')}]`
    : FINDINGS_FILTER

const chunk = <T>(xs: T[], n: number): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

const validCursor = (c: unknown): EndorCursor | null => {
  if (!c || typeof c !== 'object') return null
  const x = c as Partial<EndorCursor>
  if (typeof x.chunk !== 'number' || x.chunk < 0) return null
  return {
    v: 1,
    chunk: Math.floor(x.chunk),
    pageId: typeof x.pageId === 'string' && x.pageId ? x.pageId : undefined,
    pageToken: typeof x.pageToken === 'number' && x.pageToken > 0 ? x.pageToken : undefined,
    pageSize: typeof x.pageSize === 'number' && x.pageSize > 0 ? Math.min(MAX_PAGE_SIZE, x.pageSize) : MAX_PAGE_SIZE,
    fetched: typeof x.fetched === 'number' && x.fetched >= 0 ? x.fetched : 0,
  }
}

/** Every project the key sees in the namespace and its children, streamed page by page. */
export async function* listProjects(client: EndorClient, skipped?: { n: number }): AsyncGenerator<EndorProjectInfo> {
  for await (const page of client.pages('projects', { traverse: true, pageSize: MAX_PAGE_SIZE })) {
    for (const text of page.objects) {
      const p = EndorProject.safeParse(parseText(text))
      if (p.success) yield projectInfo(p.data)
      else if (skipped) skipped.n++
    }
  }
}

/** Every project of the namespace and its children, with its repository URL when it has one. */
export async function* discover(ctx: Ctx): AsyncGenerator<Location> {
  const client = createEndorClient(ctx)
  for await (const p of listProjects(client)) {
    yield {
      id: p.uuid,
      name: p.name,
      kind: 'project',
      description: `${p.namespace ?? ctx.config.namespace} · ${p.url ?? 'no repository URL (SBOM, package or binary project)'}`,
      target: p.url ? { kind: 'repository', name: p.name, url: p.url } : undefined,
      meta: { namespace: p.namespace, platformSource: p.platformSource, url: p.url },
    }
  }
}

/**
 * The projects (few: one uuid → repository map per run), then the main-branch vulnerability findings of the namespace
 * (or of the selected projects, in chunks), page by page with a checkpoint after each; a list that ends short of
 * what Endor counted, or repeats a cursor, leaves its projects unresolved.
 */
export async function* read(ctx: Ctx, input: ReadInput<EndorCursor>): AsyncGenerator<ReadEvent<EndorRaw, EndorCursor>> {
  const client = createEndorClient(ctx)
  const appUrl = endorAppUrl(ctx.config)
  // the projects are few compared with findings: one uuid → {url, name} map per run, streamed in
  const projects = new Map<string, EndorProjectInfo | null>()
  const badProjects = { n: 0 }
  for await (const p of listProjects(client, badProjects)) projects.set(p.uuid, p)
  if (badProjects.n)
    yield {
      type: 'warning',
      code: 'invalid_project',
      message: `${badProjects.n} Endor project record(s) could not be read and were ignored`,
    }
  ctx.progress({ message: `${projects.size} Endor projects` })

  const selection = input.selection ? [...new Set(input.selection)] : null
  const chunks = selection ? chunk(selection, SELECTION_CHUNK) : [null]
  const resume = validCursor(input.cursor)
  let pages = 0

  const projectTexts = new Map<EndorProjectInfo, string>()
  const projectJson = (p: EndorProjectInfo | null): string => {
    if (!p) return 'null'
    const known = projectTexts.get(p)
    if (known !== undefined) return known
    const text = JSON.stringify(p)
    projectTexts.set(p, text)
    return text
  }

  const projectFor = async (f: EndorFinding): Promise<EndorProjectInfo | null> => {
    const id = f.spec.project_uuid
    if (!id) return null
    if (projects.has(id)) return projects.get(id) ?? null
    // not in the list (created mid-sync, or in a namespace the list did not show): ask for it once
    const obj = await client.getProject(f.tenant_meta?.namespace || ctx.config.namespace, id)
    const parsed = obj ? EndorProject.safeParse(obj) : null
    const info = parsed?.success ? projectInfo(parsed.data) : null
    projects.set(id, info)
    return info
  }

  for (let c = resume?.chunk ?? 0; c < chunks.length; c++) {
    const ids = chunks[c]!
    const filter = findingsFilter(ids)
    const resumed = resume && resume.chunk === c ? resume : null
    let fetched = resumed?.fetched ?? 0
    let pageSize = resumed?.pageSize ?? MAX_PAGE_SIZE
    const start: PagePosition | null =
      resumed && (resumed.pageId || resumed.pageToken) ? { pageId: resumed.pageId, pageToken: resumed.pageToken } : null
    let expected: number | null = null
    try {
      expected = await client.count('findings', { filter, traverse: true })
      if (expected !== null) ctx.progress({ total: expected })
    } catch (err) {
      if (err instanceof UpstreamError && (err.kind === 'auth' || err.kind === 'permission')) throw err
      expected = null // the count is a cross-check only
    }
    const outcome: PagingOutcome = { repeatedCursor: false }
    const scopesSeen = new Set<string>()
    let tPage = stageTimers.on ? performance.now() : 0
    // one page ahead: the next page is on its way while this one is validated, mapped and written
    for await (const page of readAhead(
      client.pages('findings', { filter, traverse: true, pageSize, start, outcome }),
    )) {
      if (stageTimers.on) addStageTime('endor.pageWait', tPage)
      let invalid = 0
      let firstError = ''
      for (const text of page.objects) {
        const t0 = stageTimers.on ? performance.now() : 0
        const parsed = parseFinding(parseText(text))
        if (stageTimers.on) addStageTime('endor.validate', t0)
        if (!parsed.success) {
          invalid++
          firstError ||= parsed.error.issues[0]?.path.join('.') ?? 'invalid'
          continue
        }
        const finding = parsed.data
        const project = await projectFor(finding)
        const scope = finding.spec.project_uuid ?? undefined
        if (scope) scopesSeen.add(scope)
        yield {
          type: 'record',
          raw: { finding, project, appUrl },
          text: rawText(text, projectJson(project), appUrl),
          scope,
        }
      }
      if (invalid)
        yield {
          type: 'skip',
          reason: 'invalid_record',
          count: invalid,
          detail: `Endor finding(s) without the expected shape (${firstError})`,
        }
      fetched += page.objects.length
      pageSize = page.pageSize
      pages++
      ctx.progress({ pages, message: `${fetched} Endor findings read` })
      if (page.next)
        yield {
          type: 'checkpoint',
          cursor: { v: 1, chunk: c, pageId: page.next.pageId, pageToken: page.next.pageToken, pageSize, fetched },
        }
      if (stageTimers.on) tPage = performance.now()
    }
    // a list that ended early must not resolve what it did not reach
    const short = expected !== null && fetched < expected - Math.max(5, Math.floor(expected * 0.005))
    if (outcome.repeatedCursor || short) {
      const reason = outcome.repeatedCursor
        ? 'Endor Labs repeated a page cursor; the rest of the list could not be read'
        : `Endor Labs counted ${expected} findings but the list ended after ${fetched}`
      yield { type: 'warning', code: outcome.repeatedCursor ? 'repeated_cursor' : 'short_list', message: reason }
      const scopes = ids ?? [...new Set([...projects.keys(), ...scopesSeen])]
      for (const scope of scopes) yield { type: 'incomplete', scope, reason }
    }
    // the chunk is done (its incomplete scopes were reported before this checkpoint, so a resume keeps them)
    yield { type: 'checkpoint', cursor: { v: 1, chunk: c + 1, pageSize, fetched: 0 } }
  }
}
