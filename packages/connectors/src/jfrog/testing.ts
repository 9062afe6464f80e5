import type { ReadEvent } from '@vulnsync/core'
import { createConnectorContext } from '../kit/context.ts'
import { JfrogConfig, type JfrogSecrets } from './config.ts'
import type { JfrogRaw } from './raw.ts'
import type { JfrogCursor } from './read.ts'

/** Test helpers shared by the jfrog tests (not used by the connector itself). */
export const jfrogCtx = (
  url: string,
  token: string,
  username: string,
  opts: { signal?: AbortSignal; waits?: number[]; versions?: 'recent' | 'all'; recentDays?: number } = {},
) =>
  createConnectorContext<JfrogConfig, JfrogSecrets>({
    // every version counts unless a test is about which versions count
    config: JfrogConfig.parse({
      platformUrl: `${url}/artifactory/`,
      username,
      versions: opts.versions ?? 'all',
      recentDays: opts.recentDays,
    }),
    secrets: { accessToken: token },
    allowPrivateNetworks: true,
    signal: opts.signal,
    sleep: async (ms) => {
      opts.waits?.push(ms)
    },
  })

export type Ev = ReadEvent<JfrogRaw, JfrogCursor>

export const collect = async (it: AsyncIterable<Ev>): Promise<Ev[]> => {
  const out: Ev[] = []
  for await (const e of it) out.push(e)
  return out
}

export const records = (evs: Ev[]) => evs.flatMap((e) => (e.type === 'record' ? [e] : []))
export const skips = (evs: Ev[]) => {
  const out: Record<string, number> = {}
  for (const e of evs) if (e.type === 'skip') out[e.reason] = (out[e.reason] ?? 0) + (e.count ?? 1)
  return out
}
export const incompletes = (evs: Ev[]) => evs.flatMap((e) => (e.type === 'incomplete' ? [e.scope] : []))
export const scopes = (evs: Ev[]) => [...new Set(records(evs).map((r) => r.scope))].sort()
