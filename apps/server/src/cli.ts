import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONNECTOR_KINDS, FEED_NAMES, isFeedName } from '@vulnsync/core'
import { ensureWorkspace, insertToken, loadMigrations, migrate, openDb } from '@vulnsync/db'
import { Command, InvalidArgumentError } from 'commander'
import { generateToken, hashToken, tokenPrefix } from './auth.ts'
import { readInitialToken } from './bootstrap.ts'
import { ConfigError, loadCliConfig, loadConfig } from './config.ts'
import { type Demo, runDemo } from './demo.ts'
import { formatFindings, runDoctor } from './doctor.ts'
import { describeLoad, importFeedFile } from './feeds/import.ts'
import { createLogger } from './logger.ts'
import { startProcess } from './server.ts'

const program = new Command('vulnsync')
  .description("One queue for every scanner's vulnerabilities.")
  .showHelpAfterError()

const fail = (msg: string, code = 1): never => {
  process.stderr.write(`vulnsync: ${msg}\n`)
  process.exit(code)
}

const config = () => {
  try {
    return loadConfig()
  } catch (err) {
    return fail((err as Error).message, 2)
  }
}

const port = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a number from 0 to 65535')
  return String(n)
}

const runUntilSignal = async (mode: 'serve' | 'worker', portOpt?: string) => {
  const cfg = config()
  if (portOpt !== undefined) cfg.port = Number(portOpt)
  const logger = createLogger({ level: cfg.logLevel })
  const running = await startProcess(cfg, logger, mode).catch((err) => fail(`could not start: ${err.message}`))
  if (mode === 'serve' && !cfg.bootstrapToken) {
    const file = join(cfg.dataDir, 'initial-admin-token')
    if (readInitialToken(cfg.dataDir))
      process.stderr.write(`\nvulnsync is up at ${running.url}\nAdmin API token: in ${file} (sign in with it)\n\n`)
  } else if (mode === 'serve') process.stderr.write(`\nvulnsync is up at ${running.url}\n\n`)
  // a worker has no URL: its log says when it takes jobs (an orchestrator or a test can wait for this line)
  if (mode === 'worker') logger.info({ concurrency: cfg.workerConcurrency }, 'worker ready: taking jobs')
  if (running.web?.problem && running.web.was === 'missing')
    process.stderr.write(`The web app is not built: run \`${running.web.problem.fix}\`, then reload the page.\n\n`)
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      void running.stop().then(() => process.exit(0))
    })
}

program
  .command('serve')
  .description(
    'API, web app, scheduler and workers in one process (PGlite in VULNSYNC_DATA_DIR unless DATABASE_URL is set)',
  )
  .option('-p, --port <port>', 'port to listen on (default PORT or 8080)', port)
  .action(async (o) => runUntilSignal('serve', o.port))

program
  .command('worker')
  .description('sync workers and the scheduler only; with DATABASE_URL any number of them share the work')
  .action(async () => runUntilSignal('worker'))

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const cfg = config()
    const db = await openDb({
      databaseUrl: cfg.databaseUrl,
      dataDir: cfg.databaseUrl ? undefined : join(cfg.dataDir, 'pgdata'),
    })
    const r = await migrate(db)
    await db.close()
    process.stdout.write(
      r.applied.length
        ? `applied migrations ${r.applied.join(', ')}; schema version ${r.current}\n`
        : `schema is up to date (version ${r.current} of ${loadMigrations().length})\n`,
    )
  })

const token = program.command('token').description('API tokens')
token
  .command('create')
  .description('create an API token and print it once')
  .option('--role <role>', 'admin, member or viewer', 'viewer')
  .option('--name <name>', 'what the token is for', 'cli token')
  .action(async (o) => {
    if (!['admin', 'member', 'viewer'].includes(o.role))
      fail(`--role must be admin, member or viewer, not ${o.role}`, 2)
    const cfg = config()
    const db = await openDb({
      databaseUrl: cfg.databaseUrl,
      dataDir: cfg.databaseUrl ? undefined : join(cfg.dataDir, 'pgdata'),
    })
    await migrate(db)
    const ws = await ensureWorkspace(db)
    const value = generateToken()
    await insertToken(db, {
      workspaceId: ws,
      userId: null,
      name: o.name,
      hash: hashToken(value),
      prefix: tokenPrefix(value),
      role: o.role,
    })
    await db.close()
    process.stdout.write(`${value}\n`)
  })

const feeds = program.command('feeds').description('the prioritisation feeds: CISA KEV and FIRST EPSS')
feeds
  .command('import <feed> <file>')
  .description(
    `load a feed from a file (${FEED_NAMES.join(' or ')}; JSON or CSV, gzip or not), e.g. an air-gapped copy; straight into the database`,
  )
  .option('--force', 'accept a file with fewer than half the entries in use (a real drop)')
  .action(async (feed: string, file: string, o) => {
    if (!isFeedName(feed)) fail(`the feed is ${FEED_NAMES.join(' or ')}, not ${feed}`, 2)
    const cfg = config()
    const name = feed as (typeof FEED_NAMES)[number]
    const r = await importFeedFile(cfg, createLogger({ level: 'error' }), name, file, { force: o.force }).catch(
      (err: Error) => fail(err.message),
    )
    process.stdout.write(`${describeLoad(name, r)}\n`)
    process.exit(r.error ? 1 : 0)
  })

program
  .command('demo')
  .description(
    'every simulator and a fresh server (data in ./.vulnsync-demo, wiped at start) with one connection of each kind',
  )
  .option('-p, --port <port>', 'port to listen on (default 8080)', port)
  .option('--large', 'a bigger dataset (takes longer to sync)')
  .action(async (o) => {
    const abort = new AbortController()
    let demo: Demo | undefined
    let stopping = false
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        if (stopping) process.exit(130)
        stopping = true
        process.stderr.write('\nstopping the demo …\n')
        abort.abort()
        if (demo) void demo.stop().then(() => process.exit(0))
      })
    try {
      demo = await runDemo({
        port: o.port === undefined ? undefined : Number(o.port),
        scale: o.large ? 'large' : 'small',
        logLevel: loadCliConfig().logLevel,
        signal: abort.signal,
      })
    } catch (err) {
      if (stopping) process.exit(0)
      fail(`the demo could not start: ${(err as Error).message}`)
    }
    if (stopping) await demo?.stop().then(() => process.exit(0))
  })

program
  .command('doctor')
  .description(
    "check this setup as support would (Node.js, data directory, secret key, database, web app, each connection's check and last sync) and say what to fix; exit status 0 only when all is well",
  )
  .option('--no-check', "do not run each connection's check against its vendor")
  .action(async (o) => {
    let cfg: ReturnType<typeof loadConfig>
    try {
      cfg = loadConfig()
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      process.stdout.write(
        formatFindings([
          { ok: false, subject: 'configuration', problem: err.message, fix: 'correct these environment variables' },
        ]),
      )
      process.exit(1)
    }
    const cli = loadCliConfig()
    const findings = await runDoctor({
      cfg,
      serverUrl: cli.url,
      token: cli.token ?? readInitialToken(cfg.dataDir),
      checkConnections: o.check,
    })
    process.stdout.write(formatFindings(findings))
    process.exit(findings.every((f) => f.ok) ? 0 : 1)
  })

// ------------------------------------------------------------------ commands that talk to a running server

const client = () => {
  const c = loadCliConfig()
  const t = c.token ?? readInitialToken(config().dataDir)
  if (!t) fail('no API token: set VULNSYNC_TOKEN (create one with `vulnsync token create --role admin`)', 2)
  return async (method: string, path: string, body?: unknown) => {
    let res: Response
    try {
      res = await fetch(`${c.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${t}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
    } catch {
      return fail(`could not reach vulnsync at ${c.url}: start it with \`vulnsync serve\` or set VULNSYNC_URL`)
    }
    const text = await res.text()
    const json = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text || null
    if (!res.ok)
      fail(`${json?.error?.message ?? `HTTP ${res.status}`}${json?.error?.hint ? `\n  hint: ${json.error.hint}` : ''}`)
    return json
  }
}

const kv = (v: string, prev: Record<string, string> = {}) => {
  const i = v.indexOf('=')
  if (i <= 0) throw new InvalidArgumentError('use key=value')
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) }
}

program
  .command('connect')
  .description('connect an integration (the server checks the credentials first)')
  .requiredOption('--kind <kind>', CONNECTOR_KINDS.join(', '))
  .requiredOption('--name <name>', 'a name for this connection')
  .option('--config <key=value>', 'a configuration field (repeatable)', kv, {})
  .option('--secret <key=value>', 'a credential field (repeatable); prefer --secret-file for tokens', kv, {})
  .option('--secret-file <key=path>', 'read a credential field from a file (repeatable)', kv, {})
  .option('--location <id>', 'scan only this location (repeatable)', (v: string, p: string[] = []) => [...p, v])
  .option('--schedule <cron>', 'sync schedule, cron in UTC (default every 6 hours)')
  .action(async (o) => {
    const api = client()
    const secrets: Record<string, string> = { ...o.secret }
    for (const [k, path] of Object.entries(o.secretFile as Record<string, string>))
      secrets[k] = readFileSync(path, 'utf8').trim()
    const r = await api('POST', '/api/v1/connections', {
      kind: o.kind,
      name: o.name,
      config: o.config,
      secrets,
      locations: o.location ?? null,
      scheduleCron: o.schedule,
    })
    process.stdout.write(
      `connected ${r.connection.kind} "${r.connection.name}" (${r.connection.id}); initial sync ${r.run.id} queued\n`,
    )
  })

const bar = (done: number, total: number | undefined, width = 24) => {
  if (!total) return ''
  const f = Math.max(0, Math.min(width, Math.round((done / total) * width)))
  return `[${'#'.repeat(f)}${'.'.repeat(width - f)}] `
}

program
  .command('sync <connection>')
  .description('sync a connection now (id or name); --wait shows progress until it ends')
  .option('--wait', 'wait for the run to finish, with a progress bar')
  .action(async (connection: string, o) => {
    const api = client()
    let id = connection
    if (!/^[0-9a-f-]{36}$/i.test(connection)) {
      const list = await api('GET', '/api/v1/connections')
      const hit = list.items.find((c: any) => c.name.toLowerCase() === connection.toLowerCase())
      if (!hit) fail(`no connection named ${connection}; see GET /api/v1/connections`)
      id = hit.id
    }
    const { run } = await api('POST', `/api/v1/connections/${id}/syncs`)
    process.stdout.write(`sync ${run.id} queued\n`)
    if (!o.wait) return
    const tty = process.stderr.isTTY
    let last = ''
    for (;;) {
      const r = await api('GET', `/api/v1/syncs/${run.id}`)
      const p = r.progress ?? {}
      const paused = p.pausedUntil ? ` paused until ${p.pausedUntil} (rate limit)` : ''
      const line = `${bar(p.records ?? 0, p.total)}${r.status} pages ${p.pages ?? 0} records ${p.records ?? 0}${paused}`
      if (line !== last) {
        process.stderr.write(tty ? `\r${line.padEnd(90)}` : `${line}\n`)
        last = line
      }
      if (!['queued', 'running'].includes(r.status)) {
        if (tty) process.stderr.write('\n')
        const c = r.counts
        const skipped = Object.entries(c.skipped ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
        process.stdout.write(
          `${r.status}: fetched ${c.fetched}, created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, reopened ${c.reopened}, resolved ${c.resolved}, unmatched ${c.unmatched}${skipped ? `, skipped (${skipped})` : ''}\n`,
        )
        if (r.error) process.stdout.write(`${r.error.message}${r.error.hint ? `\n  hint: ${r.error.hint}` : ''}\n`)
        process.exit(r.status === 'succeeded' ? 0 : 1)
      }
      await new Promise((res) => setTimeout(res, 1000))
    }
  })

/** A repository id, or its owner/name as the inventory lists it. */
const repositoryId = async (api: ReturnType<typeof client>, repository: string): Promise<string> => {
  if (/^\d+$/.test(repository)) return repository
  const r = await api('GET', `/api/v1/repositories?q=${encodeURIComponent(repository)}&limit=500`)
  const hit = r.items.find((x: any) => x.fullName.toLowerCase() === repository.toLowerCase())
  if (!hit) fail(`no repository ${repository} in the inventory; see \`vulnsync\` GET /api/v1/repositories`)
  return hit.id
}

const fix = program.command('fix').description('fix plans and fix pull requests')
fix
  .command('plan <repository>')
  .description('the fix plan of every open issue of a repository (id or owner/name)')
  .option('--json', 'print JSON')
  .action(async (repository: string, o) => {
    const api = client()
    const r = await api('GET', `/api/v1/repositories/${await repositoryId(api, repository)}/fix-plans`)
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
      return
    }
    for (const p of r.items) {
      const move = p.fixVersion ? `${p.installedVersion} -> ${p.fixVersion}${p.majorBump ? ' (MAJOR)' : ''}` : 'no fix'
      process.stdout.write(
        `${p.package.name} ${move}  ${p.strategy}${p.manifest ? ` in ${p.manifest.path}` : ''}  fixes ${p.fixes.join(', ') || 'nothing'}\n`,
      )
      for (const x of p.remaining) process.stdout.write(`  remains ${x.cve}: ${x.reason}\n`)
      if (p.command) process.stdout.write(`  run: ${p.command}\n`)
    }
    process.stdout.write(`${r.items.length} plan(s)\n`)
  })
fix
  .command('pr <repository>')
  .description('open (or update) the fix pull requests of a repository; --dry-run prints the diffs and writes nothing')
  .option('--dry-run', 'print the changes, open nothing')
  .option('--package <name>', 'only this package (repeatable)', (v: string, p: string[] = []) => [...p, v])
  .action(async (repository: string, o) => {
    const api = client()
    const r = await api('POST', `/api/v1/repositories/${await repositoryId(api, repository)}/fix-prs`, {
      dryRun: o.dryRun === true,
      ...(o.package ? { packages: o.package } : {}),
    })
    for (const pr of r.pullRequests) {
      process.stdout.write(
        `${pr.url ?? `(dry run) ${pr.branch}`}  ${pr.manifestDir || '(root)'}: ${pr.packages.map((x: any) => `${x.name} ${x.from} -> ${x.to}`).join(', ') || 'nothing to change'}\n`,
      )
      for (const s of pr.skipped) process.stdout.write(`  not changed: ${s.name} -> ${s.to}: ${s.reason}\n`)
      if (o.dryRun) for (const c of pr.changes) process.stdout.write(`${c.diff}\n`)
    }
  })

/** The queue's filters as options (`vulns`, `export`). */
const queueFilterOptions = (cmd: Command) =>
  cmd
    .option('--source <kinds>', 'source tools, comma separated')
    .option('--severity <levels>', 'critical,high,medium,low,info')
    .option(
      '--status <status>',
      'open, fixed, excluded, accepted, false_positive, not_affected (comma separated), or all',
      'open',
    )
    .option('--repository <name>', 'owner/name or id')
    .option('--cve <id>', 'CVE id or prefix')
    .option('--assignee <who>', 'me, none, or a user id')
    .option('--stage <stages>', 'new, triaged, in_progress, fix_proposed, fix_merged (comma separated)')
    .option('--sla <states>', 'breached, due_soon, ok (comma separated; open issues)')
    .option('--needs-review', 'only issues whose decision needs review')
    .option('--team <team>', "the owning team's slug, name or id, or none for unowned issues")
    .option('--application <id>', "an application's id, or none")
    .option('-q, --query <text>', 'free text')

/** A team id from its slug, name or id (`none` stays none: unowned issues). */
const resolveTeam = async (api: ReturnType<typeof client>, team: string): Promise<string> => {
  if (team === 'none' || /^[0-9a-f-]{36}$/i.test(team)) return team
  const teams = (await api('GET', '/api/v1/teams')).items as Array<{ id: string; slug: string; name: string }>
  const hit = teams.find((t) => t.slug === team.toLowerCase() || t.name.toLowerCase() === team.toLowerCase())
  if (!hit) fail(`no team "${team}": the teams are ${teams.map((t) => t.slug).join(', ') || 'none yet'}`, 2)
  return hit!.id
}

/** The queue's filter options as API query parameters (a team given by slug or name is looked up). */
const queueFilterParams = async (
  api: ReturnType<typeof client>,
  o: Record<string, any>,
  extra: Record<string, string | undefined> = {},
) => {
  const qs = new URLSearchParams()
  const team = o.team ? await resolveTeam(api, o.team) : undefined
  for (const [k, v] of Object.entries({
    source: o.source,
    severity: o.severity,
    status: o.status === 'all' ? undefined : o.status,
    repository: o.repository,
    cve: o.cve,
    assignee: o.assignee,
    stage: o.stage,
    sla: o.sla,
    needsReview: o.needsReview ? 'true' : undefined,
    team,
    application: o.application,
    q: o.query,
    ...extra,
  }))
    if (v) qs.set(k, String(v))
  return qs
}

queueFilterOptions(
  program.command('vulns').description('list the queue (table, or --json)').option('--json', 'print JSON'),
)
  .option('--sort <sort>', 'priority, severity, dueAt, detectedAt, -detectedAt, cve, lastSeenAt')
  .option('--limit <n>', 'how many', '50')
  .action(async (o) => {
    const api = client()
    const qs = await queueFilterParams(api, o, { sort: o.sort, limit: o.limit })
    const r = await api('GET', `/api/v1/vulnerabilities?${qs}`)
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
      return
    }
    const sla = (i: any) =>
      !i.sla ? '' : i.sla.metSla !== undefined ? (i.sla.metSla ? 'met' : 'missed') : `${i.sla.state} ${i.sla.daysLeft}d`
    const rows = r.items.map((i: any) => [
      i.id,
      i.cve,
      i.priority,
      i.status === 'open' ? i.stage : i.status,
      i.assignee?.username ?? '-',
      sla(i),
      `${i.package.name}@${i.versions.join(',')}`,
      i.target.name,
      i.sources.map((s: any) => s.kind).join(','),
      i.owner.team?.name ?? '-',
      i.detectedAt ? String(i.detectedAt).slice(0, 10) : '-',
    ])
    const head = [
      'ID',
      'CVE',
      'PRIORITY',
      'STAGE',
      'ASSIGNEE',
      'SLA',
      'PACKAGE',
      'TARGET',
      'SOURCES',
      'OWNER',
      'DETECTED',
    ]
    const widths = head.map((h, i) =>
      Math.min(48, Math.max(h.length, ...rows.map((x: string[]) => String(x[i]).length))),
    )
    const fmt = (x: string[]) => x.map((c, i) => String(c).slice(0, widths[i]).padEnd(widths[i]!)).join('  ')
    process.stdout.write(`${fmt(head)}\n${rows.map(fmt).join('\n')}\n${r.items.length} of ${r.total}\n`)
  })

const EXPORTS: Record<string, { path: string; json: boolean }> = {
  'cyclonedx-vex': { path: '/api/v1/exports/cyclonedx-vex', json: true },
  openvex: { path: '/api/v1/exports/openvex', json: true },
  csv: { path: '/api/v1/vulnerabilities/export.csv', json: false },
}

queueFilterOptions(
  program
    .command('export <format>')
    .description('export what the queue filters match: cyclonedx-vex (CycloneDX 1.6), openvex (OpenVEX 0.2.0) or csv')
    .option('-o, --output <file>', 'write to this file instead of standard output'),
).action(async (format: string, o) => {
  const e = EXPORTS[format] ?? fail(`unknown format ${format}: use ${Object.keys(EXPORTS).join(', ')}`, 2)
  const api = client()
  const body = await api('GET', `${e.path}?${await queueFilterParams(api, o)}`)
  const text = e.json ? `${JSON.stringify(body, null, 2)}\n` : String(body ?? '')
  if (o.output) {
    writeFileSync(o.output, text)
    process.stderr.write(`vulnsync: wrote ${o.output}\n`)
  } else process.stdout.write(text)
})

/** A user id from `me`, `none` (null), an id, or a user name (names need the admin's user list). */
const resolveUser = async (api: ReturnType<typeof client>, who: string): Promise<string | null> => {
  if (who === 'none') return null
  if (who === 'me') {
    const me = await api('GET', '/api/v1/auth/me')
    if (!me.user.id) fail('this API token belongs to no user, so it has no "me"')
    return me.user.id
  }
  if (/^[0-9a-f-]{36}$/i.test(who)) return who
  const users = await api('GET', '/api/v1/users')
  const u = users.items.find((x: any) => x.username.toLowerCase() === who.toLowerCase())
  return u ? u.id : fail(`no user named ${who}: use a user name, a user id, me or none`)
}

const date = (v: string) => {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T23:59:59Z`) : new Date(v)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('a date such as 2027-03-01 or 2027-03-01T12:00:00Z')
  return d.toISOString()
}

program
  .command('triage <id>')
  .description('work an issue: assign it, move its stage, comment, or record a decision')
  .option('--assign <user>', 'a user name, a user id, me, or none')
  .option('--stage <stage>', 'new, triaged, in_progress, fix_proposed, fix_merged')
  .option('--comment <text>', 'add a comment (markdown)')
  .option('--accept', 'accept the risk (needs --until and --reason)')
  .option('--false-positive', 'mark it a false positive (needs --reason)')
  .option('--not-affected', 'not affected (needs --reason; --justification takes a VEX justification)')
  .option('--until <date>', 'when an acceptance expires, e.g. 2027-03-01', date)
  .option('--reason <text>', 'why (required for a decision)')
  .option('--justification <vex>', 'e.g. vulnerable_code_not_in_execute_path')
  .option('--scope <scope>', 'issue (default), cve_in_target or cve_everywhere', 'issue')
  .option('--json', 'print JSON')
  .action(async (id: string, o) => {
    const api = client()
    const kinds = [o.accept && 'accepted', o.falsePositive && 'false_positive', o.notAffected && 'not_affected'].filter(
      Boolean,
    )
    if (kinds.length > 1) fail('choose one of --accept, --false-positive and --not-affected', 2)
    if (!o.assign && !o.stage && !o.comment && kinds.length === 0)
      fail(
        'nothing to do: give --assign, --stage, --comment or a decision (--accept, --false-positive, --not-affected)',
        2,
      )
    const out: Record<string, unknown> = {}
    if (o.assign !== undefined || o.stage) {
      const body: Record<string, unknown> = {}
      if (o.assign !== undefined) body.assigneeId = await resolveUser(api, o.assign)
      if (o.stage) body.stage = o.stage
      out.issue = await api('PATCH', `/api/v1/vulnerabilities/${encodeURIComponent(id)}`, body)
    }
    if (kinds.length === 1) {
      if (!o.reason) fail('a decision needs --reason', 2)
      out.decision = (
        await api('POST', '/api/v1/decisions', {
          issueId: id,
          kind: kinds[0],
          reason: o.reason,
          scope: o.scope,
          ...(o.until ? { expiresAt: o.until } : {}),
          ...(o.justification ? { justification: o.justification } : {}),
        })
      ).decision
    }
    if (o.comment) await api('POST', `/api/v1/vulnerabilities/${encodeURIComponent(id)}/comments`, { body: o.comment })
    const issue = await api('GET', `/api/v1/vulnerabilities/${encodeURIComponent(id)}`)
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ ...out, issue }, null, 2)}\n`)
      return
    }
    const d = issue.decision
    process.stdout.write(
      [
        `${issue.cve} in ${issue.target.name} (${issue.package.name}): ${issue.status}${issue.status === 'open' ? `, stage ${issue.stage}` : ''}`,
        `assignee: ${issue.assignee?.username ?? 'none'}`,
        issue.sla
          ? `SLA: due ${issue.sla.dueAt.slice(0, 10)} (${issue.sla.state}, ${issue.sla.daysLeft} days)`
          : 'SLA: none',
        d
          ? `decision ${d.id}: ${d.kind} (${d.scope})${d.expiresAt ? ` until ${d.expiresAt.slice(0, 10)}` : ''}: ${d.reason}`
          : 'decision: none',
      ].join('\n') + '\n',
    )
  })

program
  .command('teams')
  .description('list the teams with their open issues by priority and SLA breaches (table, or --json)')
  .option('--json', 'print JSON')
  .action(async (o) => {
    const r = await client()('GET', '/api/v1/teams')
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
      return
    }
    const unowned = (await client()('GET', '/api/v1/vulnerabilities?team=none&status=open&limit=1')).total
    const levels = ['critical', 'high', 'medium', 'low', 'info']
    const rows = (r.items as any[]).map((t) => [
      t.slug,
      t.name,
      String(t.members.length),
      String(t.issues.open),
      levels.map((l) => t.issues.byPriority[l] ?? 0).join('/'),
      String(t.issues.slaBreaches),
    ])
    const head = ['SLUG', 'NAME', 'MEMBERS', 'OPEN', 'C/H/M/L/I', 'PAST SLA']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)))
    const fmt = (x: string[]) => x.map((c, i) => c.padEnd(widths[i]!)).join('  ')
    process.stdout.write(
      `${fmt(head)}\n${rows.map(fmt).join('\n')}\n${rows.length} teams; ${unowned} open issues unowned\n`,
    )
  })

program.parseAsync(process.argv).catch((err) => {
  if (err instanceof ConfigError) fail(err.message, 2)
  fail(err?.message ?? String(err))
})
