import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { endorConnector } from '@vulnsync/connectors/endor/index.ts'
import { projectInfo } from '@vulnsync/connectors/endor/map.ts'
import { EndorFinding, EndorProject } from '@vulnsync/connectors/endor/raw.ts'
import { isSkip, parsePurl } from '@vulnsync/core'
import { generateDemoHistory } from '@vulnsync/db'
import { type EndorSimulator, startEndorSimulator } from '@vulnsync/simulators/endor/index.ts'
import { type FeedsSimulator, startFeedsSimulator } from '@vulnsync/simulators/feeds/index.ts'
import { scannedGithubRepos, scannedOxDataset } from '@vulnsync/simulators/fixable/ox.ts'
import { mavenServiceFiles, npmServiceFiles, pythonServiceFiles } from '@vulnsync/simulators/fixable/repos.ts'
import { type GithubSimulator, startGithubSimulator } from '@vulnsync/simulators/github/index.ts'
import { type GitlabSimulator, startGitlabSimulator } from '@vulnsync/simulators/gitlab/index.ts'
import {
  defaultTokens,
  dockerFixtureRepo,
  generatedRepo,
  JFROG_SIM,
  type JfrogSimulator,
  libsRepo,
  startJfrogSimulator,
} from '@vulnsync/simulators/jfrog/index.ts'
import { SIM_TEAM_SLUGS } from '@vulnsync/simulators/kit/ownership.ts'
import type { Simulator } from '@vulnsync/simulators/kit/server.ts'
import { startMavenSimulator } from '@vulnsync/simulators/maven/index.ts'
import { startNpmRegistrySimulator } from '@vulnsync/simulators/npm-registry/index.ts'
import { fixturesDataset, type OxDataset, type OxSimulator, startOxSimulator } from '@vulnsync/simulators/ox/index.ts'
import { rehomeOxDataset } from '@vulnsync/simulators/ox/rehome.ts'
import { startPypiSimulator } from '@vulnsync/simulators/pypi/index.ts'
import { loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { type Running, startProcess } from './server.ts'

/**
 * `vulnsync demo`: every simulator and a fresh server with one connection of each kind, made through the public API
 * like a user would, so that a newcomer sees a full queue within a minute.
 *
 * The data is lined up across tools the way the end-to-end tests do it: OX's real captures are re-homed onto GitHub
 * repositories, Endor projects name GitHub and GitLab repositories in mixed URL forms (and two that exist nowhere, which
 * wait under Unmatched), JFrog images carry OCI source labels pointing at GitHub repositories, and some Endor findings
 * are reported by OX too (same CVE, package and repository: one issue with two sources).
 */
export interface DemoOptions {
  /** server port (default 8080; 0 = any free port) */
  port?: number
  /** data directory, wiped at start (default ./.vulnsync-demo) */
  dataDir?: string
  /** server log level (default error: the banner and the summary stay readable; a failed sync shows in the summary) */
  logLevel?: string
  scale?: 'small' | 'large'
  /** where the banner and the summary go (default process.stderr) */
  out?: { write(s: string): unknown }
  /** aborts the start-up (Ctrl+C while the initial syncs run): everything started so far is stopped */
  signal?: AbortSignal
}

export interface DemoConnection {
  id: string
  kind: string
  name: string
  status: string
  counts: Record<string, any>
  error?: { message: string; hint?: string }
}

export interface Demo {
  url: string
  /** the admin API token (also the bootstrap token) */
  token: string
  dataDir: string
  username: string
  password: string
  simulators: Record<'github' | 'gitlab' | 'ox' | 'endor' | 'jfrog' | 'npm' | 'pypi' | 'maven' | 'feeds', string>
  /** GitHub repositories with real files and vulnerable dependencies: fix pull requests can be opened on them */
  fixable: string[]
  connections: DemoConnection[]
  /** GET /api/v1/vulnerabilities?limit=1 → total, once every initial sync ended (before the generated past) */
  total: number
  /** issues with sources of two or more kinds */
  multiSource: number
  /** targets waiting under Unmatched */
  unmatched: number
  /** entries loaded from each feed (CISA KEV, FIRST EPSS) */
  feeds: Record<'kev' | 'epss', number>
  /** an issue only JFrog reports (JFrog sends no exploit signal) whose CVE is in KEV: it ranks critical */
  kevJfrogOnly: { id: string; cve: string; priority: string; was: string } | null
  /** the dashboard's generated past: days of snapshots, issues found and fixed earlier */
  history: { snapshotDays: number; issues: number }
  /** from the call to the full queue */
  readyMs: number
  stop(): Promise<void>
}

export const DEMO_USER = 'demo'
export const DEMO_PASSWORD = 'demo-password'
const MARKER = '.vulnsync-demo'
const FINISHED = new Set(['succeeded', 'failed', 'partial', 'cancelled', 'held'])

const SCALES = {
  small: { githubRepos: 60, gitlabProjects: 30, endorFindings: 3000, oxMirrors: 60, npmArtifacts: 40, dockerTags: 24 },
  large: {
    githubRepos: 600,
    gitlabProjects: 300,
    endorFindings: 30000,
    oxMirrors: 400,
    npmArtifacts: 400,
    dockerTags: 200,
  },
} as const

type GhRepo = {
  id: number
  full_name: string
  html_url: string
  clone_url: string
  ssh_url: string
  default_branch: string
}
type GlProject = {
  id: number
  path_with_namespace: string
  web_url: string
  http_url_to_repo: string
  ssh_url_to_repo: string
}

/** Wipes the demo directory, refusing one that holds something else than a previous demo. */
const freshDataDir = (dir: string) => {
  if (existsSync(dir)) {
    const entries = readdirSync(dir)
    if (entries.length > 0 && !entries.includes(MARKER))
      throw new Error(
        `refusing to wipe ${dir}: it is not empty and was not made by \`vulnsync demo\`; choose another directory`,
      )
    rmSync(dir, { recursive: true, force: true })
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, MARKER), 'made by `vulnsync demo`; wiped by the next demo\n')
}

/** OX's real captures with the 27 real applications re-homed onto GitHub repositories, plus OX issues that mirror
 * Endor findings (the same CVE in the same package of the same repository), as OX would send them. */
const oxDataset = (ghRepos: GhRepo[], mirrors: Array<{ repo: GhRepo; issue: any }>): OxDataset => {
  const base = rehomeOxDataset(fixturesDataset(), ghRepos)
  const known = new Set(base.applications().map((a) => a.appId))
  const extraApps = new Map<string, any>()
  for (const { repo } of mirrors)
    if (!known.has(String(repo.id)))
      extraApps.set(String(repo.id), {
        appId: String(repo.id),
        appName: repo.full_name,
        type: 'GitHub',
        fakeApp: false,
        link: repo.html_url,
      })
  const byId = new Map(mirrors.map((m) => [m.issue.issueId, m.issue]))
  const keep = (
    issue: any,
    f: { categories?: string[] | undefined; appIds?: string[] | undefined; appNames?: string[] | undefined },
  ) =>
    (!f.categories?.length || f.categories.some((c) => c === 'Open Source Security' || Number(c) === 6)) &&
    (!f.appIds?.length || f.appIds.includes(issue.app.id)) &&
    (!f.appNames?.length || f.appNames.includes(issue.app.name))
  return {
    query: (f) => {
      const q = base.query(f)
      const extra = mirrors.map((m) => m.issue).filter((i) => keep(i, f))
      return {
        total: q.total + extra.length,
        totalAll: q.totalAll + mirrors.length,
        at: (k) => (k < q.total ? q.at(k) : extra[k - q.total]),
      }
    },
    issue: (id) => byId.get(id) ?? base.issue(id),
    applications: () => [...base.applications(), ...extraApps.values()],
  }
}

/** Endor findings on GitHub repositories, as OX issues (one package version, one CVE each). */
const mirrorEndorInOx = (endor: EndorSimulator, projectRepo: Array<GhRepo | null>, max: number) => {
  const ds = endor.dataset
  const projects = new Map<string, any>()
  for (let i = 0; i < ds.projectCount; i++) {
    const p = ds.project(i)
    projects.set(p.uuid, projectInfo(EndorProject.parse(p)))
  }
  const out: Array<{ repo: GhRepo; issue: any }> = []
  const seen = new Set<string>()
  for (let i = 0; i < ds.findingCount && out.length < max; i += 3) {
    const repo = projectRepo[ds.findingProject(i)]
    if (!repo) continue
    const f = ds.finding(i)
    if (
      f.context?.type !== 'CONTEXT_TYPE_MAIN' ||
      !f.spec.finding_categories.includes('FINDING_CATEGORY_VULNERABILITY')
    )
      continue
    if (
      f.spec.dismiss ||
      f.spec.finding_tags?.includes('FINDING_TAGS_EXCEPTION') ||
      f.spec.exceptions?.policy_uuids?.length
    )
      continue
    const r = endorConnector.map(
      { finding: EndorFinding.parse(f), project: projects.get(f.spec.project_uuid) ?? null },
      { fetchedAt: new Date() },
    )
    if (isSkip(r) || r.length === 0) continue
    const m = r[0]!
    const p = parsePurl(m.package.purl)
    const pm = p.type === 'pypi' ? 'pip' : p.type
    if (!['npm', 'maven', 'pip'].includes(pm)) continue
    const oxName = p.type === 'maven' ? `${p.namespace}:${p.name}` : p.namespace ? `${p.namespace}/${p.name}` : p.name
    const version = m.package.version ?? p.version ?? '1.0.0'
    const issueId = `${repo.id}-oxPolicy_securityScan_120-${oxName}_${version}`
    if (seen.has(issueId)) continue
    seen.add(issueId)
    const k = out.length
    out.push({
      repo,
      issue: {
        id: `65d${k.toString(16).padStart(21, '0')}`,
        issueId,
        mainTitle: `${p.name}@${version} is a direct dependency having 1 direct vulnerability. ${m.cve} is the most severe vulnerability.`,
        name: 'Vulnerable dependency (CVE) in code',
        created: 1701763814500,
        // OX saw it first for half of them, Endor for the other half: the earliest detection wins
        createdAt: k % 2 === 0 ? 1_600_000_000_000 + k * 86_400_000 : Date.UTC(2025, 0, 1) + k * 86_400_000,
        severity: ['Critical', 'High', 'Medium'][k % 3],
        originalToolSeverity: 'High',
        category: { name: 'Open Source Security', categoryId: 6 },
        policy: { id: 'oxPolicy_securityScan_120', name: 'Vulnerable dependency (CVE) in code' },
        app: { id: String(repo.id), name: repo.full_name, type: 'GitHub', fakeApp: false },
        scaTriggerPkg: `${oxName}@${version}`,
        sbom: { packageManager: pm },
        scaVulnerabilities: [
          {
            cve: m.cve,
            libName: oxName,
            libVersion: version,
            chainDepth: 0,
            majorVerWithFix: m.fixedVersions[0] ?? 'Not Available',
          },
        ],
        severityChangedReason:
          k % 4 === 0
            ? [
                {
                  shortName: 'Public Exploit Available',
                  reason: 'A public exploit is available for this vulnerability.',
                  changeNumber: 0.01,
                  changeCategory: 'Exploitable',
                },
              ]
            : [],
      },
    })
  }
  return out
}

/** EPSS rows the demo's feed simulator generates besides the queue's CVEs (the real file has 250,000+). */
const EPSS_ROWS = 20_000

type DemoApi = (method: string, path: string, body?: unknown) => Promise<any>

/** Asks for a feed refresh once no other runs (the server's own at start), and waits for its outcome. */
const refreshFeedNow = async (api: DemoApi, name: 'kev' | 'epss', checkAbort: () => void) => {
  const feed = async () => ((await api('GET', '/api/v1/feeds')).items as any[]).find((f) => f.name === name)
  const settle = async () => {
    for (;;) {
      checkAbort()
      const f = await feed()
      if (!f.refreshing) return f
      await new Promise((res) => setTimeout(res, 250))
    }
  }
  const before = await settle()
  await api('POST', `/api/v1/feeds/${name}/refresh`)
  for (;;) {
    const f = await settle()
    if (f.lastRefreshAt !== before.lastRefreshAt) {
      if (f.lastError) throw new Error(`the ${f.title} feed did not load: ${f.lastError.message}`)
      return f
    }
    await new Promise((res) => setTimeout(res, 250))
  }
}

/**
 * Loads both feeds for the queue the syncs made: every CVE of the queue gets an EPSS score, and the CVEs of a few
 * issues only JFrog reports (JFrog sends neither EPSS nor an exploit signal) are added to KEV, so the demo shows the
 * feed judging every source alike. Returns one such issue, as the queue now ranks it.
 */
const loadDemoFeeds = async (api: DemoApi, sim: FeedsSimulator, checkAbort: () => void) => {
  const cves = new Set<string>()
  const jfrogOnly: any[] = []
  let cursor: string | undefined
  // walked in CVE order: the priority order may shift under the walk while jobs of the syncs finish, and a keyset
  // walk over a shifting order skips rows (seen as three unscored CVEs in a CI run)
  do {
    const page = await api(
      'GET',
      `/api/v1/vulnerabilities?sort=cve&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    for (const i of page.items) {
      if (i.cve) cves.add(i.cve)
      if (i.cve && !i.kev && i.priority !== 'critical' && i.sources.every((s: any) => s.kind === 'jfrog'))
        jfrogOnly.push(i)
    }
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  const picked = jfrogOnly.slice(0, 3)
  sim.setKev({
    add: picked.map((i, k) => ({
      cveID: i.cve,
      dateAdded: '2026-11-0' + (k + 2),
      dueDate: '2026-11-2' + (k + 3),
      knownRansomware: k === 0,
    })),
  })
  sim.setEpss({ rows: EPSS_ROWS, cves })
  await refreshFeedNow(api, 'kev', checkAbort)
  await refreshFeedNow(api, 'epss', checkAbort)
  const first = picked[0]
  if (!first) return null
  const now = await api('GET', `/api/v1/vulnerabilities/${first.id}`)
  return {
    id: String(first.id),
    cve: first.cve as string,
    priority: now.priority as string,
    was: first.priority as string,
  }
}

export const runDemo = async (o: DemoOptions = {}): Promise<Demo> => {
  const t0 = Date.now()
  const out = o.out ?? process.stderr
  const scale = SCALES[o.scale ?? 'small']
  const dataDir = resolve(o.dataDir ?? './.vulnsync-demo')
  const sims: Simulator[] = []
  let running: Running | undefined
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      await running?.stop().catch(() => {})
      await Promise.all(sims.map((s) => s.close().catch(() => {})))
    })()
    return stopping
  }
  const checkAbort = () => {
    if (o.signal?.aborted) throw new Error('the demo was stopped while starting')
  }

  try {
    freshDataDir(dataDir)

    // ------------------------------------------------------------ simulators
    const gh: GithubSimulator = await startGithubSimulator({ repos: scale.githubRepos })
    sims.push(gh)
    const gl: GitlabSimulator = await startGitlabSimulator({ repos: scale.gitlabProjects })
    sims.push(gl)
    const ghRepos = gh.visibleIds('ghp_admin').map((id) => gh.repo(id) as unknown as GhRepo)
    const glProjects = gl.visibleIds('glpat-admin').map((id) => gl.project(id) as unknown as GlProject)
    const n = ghRepos.length
    const at = (f: number) => ghRepos[Math.min(n - 1, Math.floor(f * n))]!

    // Endor: projects on GitHub repositories 20/60 … 47/60 (some shared with OX) and on GitLab projects, in every URL
    // form; two repositories nobody has (Unmatched) and an SBOM project without git.
    const endorGh = ghRepos.slice(Math.floor(n / 3), Math.floor((n * 48) / 60))
    const endorGl = glProjects.slice(0, Math.max(4, Math.floor(glProjects.length * 0.4)))
    const ghForms = (r: GhRepo, k: number) =>
      [
        r.clone_url,
        r.html_url.toUpperCase().replace('HTTPS://', 'https://'),
        r.ssh_url,
        `${r.html_url}/`,
        r.clone_url.toLowerCase(),
      ][k % 5]!
    const glForms = (p: GlProject, k: number) =>
      [
        p.web_url,
        p.http_url_to_repo,
        p.ssh_url_to_repo,
        `${p.web_url.toUpperCase().replace('HTTPS://', 'https://')}.git`,
      ][k % 4]!
    const projectUrls: Array<string | null> = []
    const projectRepo: Array<GhRepo | null> = []
    endorGh.forEach((r, k) => {
      projectUrls.push(ghForms(r, k))
      projectRepo.push(r)
    })
    endorGl.forEach((p, k) => {
      projectUrls.push(glForms(p, k))
      projectRepo.push(null)
    })
    for (const ghost of [
      `https://github.com/${gh.org}/legacy-monolith.git`,
      'git@bitbucket.org:acme/firmware-tools.git',
      null,
    ]) {
      projectUrls.push(ghost)
      projectRepo.push(null)
    }
    const endor = await startEndorSimulator({ findings: scale.endorFindings, projectUrls })
    sims.push(endor)

    // package registries, and three repositories with real files (npm, Maven, pip) whose vulnerable dependencies OX
    // reports from those files: fix pull requests open on them, and a merge changes what OX reports next
    const npmSim = await startNpmRegistrySimulator()
    sims.push(npmSim)
    const pypiSim = await startPypiSimulator()
    sims.push(pypiSim)
    const mavenSim = await startMavenSimulator()
    sims.push(mavenSim)
    const fixable = [at(4 / 60), at(5 / 60), at(6 / 60)]
    gh.setFiles(fixable[0]!.full_name, npmServiceFiles(npmSim.dataset, npmSim.url))
    gh.setFiles(fixable[1]!.full_name, mavenServiceFiles())
    gh.setFiles(fixable[2]!.full_name, pythonServiceFiles())

    const mirrors = mirrorEndorInOx(endor, projectRepo, scale.oxMirrors)
    const ox: OxSimulator = await startOxSimulator({
      dataset: scannedOxDataset(scannedGithubRepos(gh, fixable), oxDataset(ghRepos, mirrors)),
    })
    sims.push(ox)

    // JFrog: fixture images labelled with GitHub repositories, a Maven repository (vcs.url and build info), npm
    // tarballs of which every 5th names its repository, and a Docker repository whose images all carry OCI labels.
    const jfrogRepos = ['docker-local', 'libs-release-local', 'npm-local', 'apps-docker']
    const jf: JfrogSimulator = await startJfrogSimulator({
      repos: [
        dockerFixtureRepo('docker-local', {
          openLibertySource: at(50 / 60).html_url,
          busyboxSource: at(51 / 60).ssh_url,
        }),
        libsRepo('libs-release-local', { appVcsUrl: at(52 / 60).clone_url }),
        generatedRepo({
          key: 'npm-local',
          packageType: 'Npm',
          artifacts: scale.npmArtifacts,
          vulnsPerArtifact: 4,
          sourceEvery: 5,
          sourceUrl: (name) => ghRepos[Number(/\d+/.exec(name)?.[0] ?? 0) % n]!.html_url,
        }),
        generatedRepo({
          key: 'apps-docker',
          packageType: 'Docker',
          artifacts: scale.dockerTags,
          vulnsPerArtifact: 6,
          sourceEvery: 1,
          sourceUrl: (image) => {
            const k = Number(/\d+/.exec(image)?.[0] ?? 0)
            return k % 3 === 2 && glProjects.length
              ? glProjects[k % glProjects.length]!.web_url
              : ghRepos[(n - 1 - k + n * 10) % n]!.html_url
          },
        }),
      ],
      builds: { 'lib/7': `${at(53 / 60).html_url}.git` },
      tokens: defaultTokens().map((t) => (t.token === JFROG_SIM.readerToken ? { ...t, repos: jfrogRepos } : t)),
    })
    sims.push(jf)
    // the public feeds: the real KEV catalog, and an EPSS file (a smaller universe than the real one, plus every CVE
    // of the queue once it is known); the server downloads both at start, as it would from CISA and FIRST
    const feedsSim: FeedsSimulator = await startFeedsSimulator({ epss: { rows: EPSS_ROWS } })
    sims.push(feedsSim)
    checkAbort()

    // ------------------------------------------------------------ the server
    const token = `vs_demo_${randomBytes(24).toString('hex')}`
    const cfg = loadConfig({
      PORT: String(o.port ?? 8080),
      // a known password: the demo listens on loopback only
      HOST: '127.0.0.1',
      VULNSYNC_DATA_DIR: dataDir,
      VULNSYNC_ALLOW_PRIVATE_NETWORKS: 'true',
      VULNSYNC_BOOTSTRAP_TOKEN: token,
      VULNSYNC_LOG_LEVEL: o.logLevel || 'error',
      VULNSYNC_NPM_REGISTRY: npmSim.url,
      VULNSYNC_PYPI_URL: pypiSim.url,
      VULNSYNC_MAVEN_URL: mavenSim.url,
      VULNSYNC_KEV_URL: feedsSim.kevUrl,
      VULNSYNC_EPSS_URL: feedsSim.epssUrl,
    })
    const logger = createLogger({ level: cfg.logLevel })
    running = await startProcess(cfg, logger, 'serve')
    const url = running.url!
    checkAbort()

    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    const api = async (method: string, path: string, body?: unknown) => {
      // a kept-alive socket the server closed while this process was busy (the history below runs in-process)
      // resets the next request on it: a read is sent once more on a new socket
      const res = await send(method, path, body).catch((e) => {
        if (method !== 'GET' || (e as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw e
        return send(method, path, body)
      })
      const text = await res.text()
      const json = text ? JSON.parse(text) : null
      if (!res.ok)
        throw new Error(
          `${method} ${path}: HTTP ${res.status} ${json?.error?.message ?? text}${json?.error?.hint ? ` (${json.error.hint})` : ''}`,
        )
      return json
    }
    const waitForRun = async (runId: string) => {
      for (;;) {
        checkAbort()
        const r = await api('GET', `/api/v1/syncs/${runId}`)
        if (FINISHED.has(r.status)) return r
        await new Promise((res) => setTimeout(res, 250))
      }
    }

    await api('POST', '/api/v1/users', { username: DEMO_USER, password: DEMO_PASSWORD, role: 'admin' })
    // the teams the simulators' CODEOWNERS files and scanner owners name (`@org/<slug>`, OX owner names, Endor tags)
    for (const slug of SIM_TEAM_SLUGS)
      await api('POST', '/api/v1/teams', { name: slug.replace(/^./, (c) => c.toUpperCase()), slug })

    out.write(
      [
        '',
        `vulnsync demo is up at ${url}`,
        `  sign in:   user ${DEMO_USER} / password ${DEMO_PASSWORD}`,
        `  API token: ${token}`,
        `             curl -H "Authorization: Bearer ${token}" "${url}/api/v1/vulnerabilities?limit=5"`,
        `  simulators: GitHub ${gh.url}  GitLab ${gl.url}  OX ${ox.url}  Endor ${endor.url}  JFrog ${jf.url}  feeds ${feedsSim.url}`,
        `  registries: npm ${npmSim.url}  PyPI ${pypiSim.url}  Maven ${mavenSim.url}`,
        `  fix pull requests: ${fixable.map((r) => r.full_name).join(', ')} (vulnsync fix plan <repository>)`,
        `  data: ${dataDir} (wiped by the next demo); server logs at level ${cfg.logLevel} (VULNSYNC_LOG_LEVEL)`,
        ...(running.web?.problem && running.web.was === 'missing'
          ? [`  the web app is not built: run \`${running.web.problem.fix}\`, then reload the page`]
          : []),
        '',
        'connecting GitHub, GitLab, OX Security, Endor Labs and JFrog; waiting for the initial syncs …',
        '',
      ].join('\n'),
    )

    // ------------------------------------------------------------ connections, as a user makes them
    const connect = async (
      kind: string,
      name: string,
      config: Record<string, unknown>,
      secrets: Record<string, unknown>,
    ) => {
      checkAbort()
      const r = await api('POST', '/api/v1/connections', { kind, name, config, secrets })
      return { id: r.connection.id as string, kind, name, runId: r.run.id as string }
    }
    // the repository inventories first, so that the scanners' findings land on known repositories
    const scm = [
      await connect(
        'github',
        `GitHub ${gh.org}`,
        { baseUrl: gh.url, org: gh.org, fixPullRequests: true },
        { token: 'ghp_admin' },
      ),
      await connect('gitlab', `GitLab ${gl.org}`, { baseUrl: gl.url, group: gl.org }, { token: 'glpat-admin' }),
    ]
    const scmRuns = await Promise.all(scm.map((c) => waitForRun(c.runId)))
    const scanners = [
      await connect('ox', 'OX Security', { baseUrl: ox.url }, { apiToken: ox.apiKey }),
      await connect(
        'endor',
        'Endor Labs',
        { namespace: endor.dataset.namespace, baseUrl: endor.url },
        { apiKey: 'endr+sim-key', apiSecret: 'endr+sim-secret' },
      ),
      await connect(
        'jfrog',
        'JFrog Platform',
        { platformUrl: jf.url, username: JFROG_SIM.readerUser },
        { accessToken: JFROG_SIM.readerToken },
      ),
    ]
    const scannerRuns = await Promise.all(scanners.map((c) => waitForRun(c.runId)))
    const connections: DemoConnection[] = [...scm, ...scanners].map((c, k) => {
      const r = [...scmRuns, ...scannerRuns][k]
      return {
        id: c.id,
        kind: c.kind,
        name: c.name,
        status: r.status,
        counts: r.counts,
        ...(r.error ? { error: r.error } : {}),
      }
    })

    // ------------------------------------------------------------ the feeds
    const kevJfrogOnly = await loadDemoFeeds(api, feedsSim, checkAbort)
    const feeds = Object.fromEntries(
      ((await api('GET', '/api/v1/feeds')).items as any[]).map((f) => [f.name, f.entries as number]),
    ) as Demo['feeds']

    // ------------------------------------------------------------ the queue
    const total = (await api('GET', '/api/v1/vulnerabilities?limit=1')).total as number
    let multiSource = 0
    let cursor: string | undefined
    do {
      const page = await api(
        'GET',
        `/api/v1/vulnerabilities?source=ox&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      for (const i of page.items) if (new Set(i.sources.map((s: any) => s.kind)).size >= 2) multiSource++
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    const unmatchedItems = (await api('GET', '/api/v1/unmatched')).items as any[]
    const teamItems = (await api('GET', '/api/v1/teams')).items as Array<{ name: string; issues: { open: number } }>
    const unowned = (await api('GET', '/api/v1/vulnerabilities?team=none&status=open&limit=1')).total as number
    const owners = `${teamItems.map((t) => `${t.name} ${t.issues.open}`).join(', ')}; unowned ${unowned}`
    const readyMs = Date.now() - t0

    // ------------------------------------------------------------ six months of history for the dashboard
    // (after the queue's numbers above: the generated past adds issues fixed earlier, none open)
    const history = await generateDemoHistory(running.rt.db, running.rt.workspaceId, { now: new Date() })
    checkAbort()
    const totalWithHistory = (await api('GET', '/api/v1/vulnerabilities?limit=1')).total as number

    const pad = Math.max(...connections.map((c) => c.name.length))
    for (const c of connections) {
      const k = c.counts
      const skipped = Object.values(k.skipped ?? {}).reduce((a: number, b: any) => a + Number(b), 0)
      const line =
        c.kind === 'github' || c.kind === 'gitlab'
          ? `repositories ${k.fetched}`
          : `fetched ${k.fetched}, created ${k.created}, updated ${k.updated}, unmatched ${k.unmatched}, skipped ${skipped}`
      out.write(`  ${c.name.padEnd(pad)}  ${c.status.padEnd(9)}  ${line}${c.error ? `  (${c.error.message})` : ''}\n`)
    }
    out.write(
      `\nfeeds: CISA KEV ${feeds.kev.toLocaleString('en')} entries, FIRST EPSS ${feeds.epss.toLocaleString('en')} scores` +
        (kevJfrogOnly
          ? `; ${kevJfrogOnly.cve}, found by JFrog alone (no exploit signal of its own), is in KEV: ${kevJfrogOnly.was} → ${kevJfrogOnly.priority}\n`
          : '\n'),
    )
    out.write(
      `queue: ${total} vulnerabilities (and ${totalWithHistory - total} fixed in the generated past); ${multiSource} reported by two scanners; ${unmatchedItems.length} targets wait under Unmatched (ready in ${(readyMs / 1000).toFixed(1)} s)\n` +
        `open issues by owning team: ${owners}\n` +
        `dashboard: ${history.snapshotDays} days of history, ${history.issues} issues found and fixed in the past six months (generated)\n` +
        `open ${url} and sign in as ${DEMO_USER} / ${DEMO_PASSWORD}. Ctrl+C stops the demo.\n\n`,
    )

    return {
      url,
      token,
      dataDir,
      username: DEMO_USER,
      password: DEMO_PASSWORD,
      simulators: {
        github: gh.url,
        gitlab: gl.url,
        ox: ox.url,
        endor: endor.url,
        jfrog: jf.url,
        npm: npmSim.url,
        pypi: pypiSim.url,
        maven: mavenSim.url,
        feeds: feedsSim.url,
      },
      fixable: fixable.map((r) => r.full_name),
      connections,
      feeds,
      kevJfrogOnly,
      total,
      multiSource,
      unmatched: unmatchedItems.length,
      history,
      readyMs,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
