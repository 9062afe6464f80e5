import type { FastifyInstance } from 'fastify'
import { createRuntime } from './bootstrap.ts'
import type { AppConfig } from './config.ts'
import { buildApp } from './http/app.ts'
import type { AppLogger } from './logger.ts'
import { startMetricsListener } from './metrics/serve.ts'
import type { Runtime } from './runtime.ts'
import { tick } from './sync/scheduler.ts'
import { type EnsureResult, ensureWebApp } from './web-build.ts'

export interface Running {
  rt: Runtime
  app?: FastifyInstance
  url?: string
  /** serve: whether the web app was built at start, or why it could not be */
  web?: EnsureResult
  /** /metrics on its own listener (VULNSYNC_METRICS_LISTEN) */
  metricsUrl?: string
  stop(): Promise<void>
}

/** `vulnsync serve`: API, web app, scheduler and workers in one process. `vulnsync worker`: workers and scheduler. */
export const startProcess = async (
  cfg: AppConfig,
  logger: AppLogger,
  mode: 'serve' | 'worker',
  o: Parameters<typeof createRuntime>[2] = {},
): Promise<Running> => {
  const rt = await createRuntime(cfg, logger, o)
  await rt.jobs.start({ workers: true, scheduler: true })
  // catch up at once on what became due while nothing ran (and recover runs of a process that died)
  await tick(rt).catch((err) => logger.warn({ err: err.message }, 'first scheduler tick failed'))
  const metrics = await startMetricsListener(rt)
  let app: FastifyInstance | undefined
  let url: string | undefined
  let web: EnsureResult | undefined
  if (mode === 'serve') {
    // every command that serves the web app builds it first when it is missing or older than its sources
    web = await ensureWebApp()
    if (web.built) logger.info({ ms: web.built.ms, was: web.was }, 'built the web app')
    if (web.problem)
      logger.warn(
        { fix: web.problem.fix },
        `${web.problem.message}; ${web.was === 'stale' ? 'serving the previous build' : '/ says how to build it'}`,
      )
    app = await buildApp(rt)
    await app.listen({ port: cfg.port, host: cfg.host })
    const addr = app.server.address() as { port: number }
    url = `http://${cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host}:${addr.port}`
    logger.info(
      { url, database: rt.db.driver, dataDir: cfg.databaseUrl ? undefined : cfg.dataDir },
      'vulnsync is serving',
    )
  } else {
    logger.info({ database: rt.db.driver }, 'vulnsync worker started')
  }
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: finishing or checkpointing runs in progress')
      await app?.close().catch(() => {})
      await metrics?.close().catch(() => {})
      await rt.jobs.stop().catch((err) => logger.warn({ err: err.message }, 'job system stop failed'))
      await rt.db.close().catch(() => {})
      logger.info('stopped')
    })()
    return stopping
  }
  return { rt, app, url, web, stop, ...(metrics ? { metricsUrl: metrics.url } : {}) }
}
