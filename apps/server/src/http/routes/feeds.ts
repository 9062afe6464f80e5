import { FeedEnvelope, FeedList, FeedName } from '@vulnsync/api'
import { audit, getFeed, listFeeds, updateFeedSettings } from '@vulnsync/db'
import { z } from 'zod'
import { requestFeedRefresh } from '../../feeds/jobs.ts'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentFeed } from '../presenters/feed.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'

const Params = z.object({ name: FeedName })

export const feedRoutes = (rt: Runtime, r: Router) => {
  const present = (f: Awaited<ReturnType<typeof getFeed>>) => presentFeed(f, { config: rt.config, now: rt.now() })

  r.add({
    method: 'GET',
    url: '/api/v1/feeds',
    access: 'viewer',
    summary:
      'The prioritisation feeds (CISA KEV, FIRST EPSS): where they come from, what is loaded, how the last refresh went',
    tags: ['feeds'],
    response: FeedList,
    handler: async () => ({ items: (await listFeeds(rt.db)).map(present) }),
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/feeds/:name',
    access: 'admin',
    summary:
      'Change where a feed is downloaded from (a mirror; null: the configured URL) and whether it is downloaded at all (the loaded data stays in use)',
    tags: ['feeds'],
    params: Params,
    body: z.strictObject({
      url: z
        .string()
        .trim()
        .max(2000)
        .regex(/^https?:\/\/[^\s/]+\S*$/i, 'must be an http(s) URL')
        .nullable()
        .optional(),
      enabled: z.boolean().optional(),
    }),
    response: FeedEnvelope,
    handler: async ({ params, body, principal }) => {
      const f = await updateFeedSettings(rt.db, params.name, body, actorOf(principal))
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'feed.update',
        target: params.name,
        detail: body,
      })
      return { feed: present(f) }
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/feeds/:name/refresh',
    access: 'member',
    summary: 'Refresh a feed now: it runs as a job (202); GET /api/v1/feeds shows its outcome',
    tags: ['feeds'],
    params: Params,
    status: 202,
    response: FeedEnvelope,
    handler: async ({ params, principal }) => {
      const f = await getFeed(rt.db, params.name)
      if (!f.enabled)
        throw new ApiError(
          409,
          'feed_disabled',
          `the ${params.name} feed is disabled, so it is not downloaded`,
          `enable it (PATCH /api/v1/feeds/${params.name} {"enabled": true}), or load a file with \`vulnsync feeds import ${params.name} <file>\``,
        )
      await requestFeedRefresh(rt, params.name)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'feed.refresh',
        target: params.name,
      })
      return { feed: present(await getFeed(rt.db, params.name)) }
    },
  })
}
