import type { CheckResult } from '@vulnsync/core'
import { checkFailure } from '../kit/failure.ts'
import { createJfrogClient, type JfrogCtx } from './client.ts'
import { checkWording, words } from './words.ts'

const CHECK_STATUSES = [400, 401, 403, 404, 405, 500, 502, 503, 504]

/**
 * Three authenticated calls, each answered in JFrog's words when it refuses: the Artifactory version (ping answers
 * without credentials, so it proves nothing), the readable local repositories (a valid token without a permission
 * target reads none), the Xray version (or an empty summary request where the version is refused to non-admins).
 */
export const check = async (ctx: JfrogCtx): Promise<CheckResult> => {
  const client = createJfrogClient(ctx)
  const root = client.root
  const user = ctx.config.username
  try {
    const v = await client.artifactoryVersion(CHECK_STATUSES, false)
    if ('inactive' in v && v.inactive)
      return { ok: false, code: 'unreachable', message: words.inactive(root), hint: words.inactiveHint }
    if (v.status === 401)
      return { ok: false, code: 'auth', message: words.tokenRejected(v.body, user), hint: words.tokenRejectedHint }
    if (v.status === 403)
      return { ok: false, code: 'permission', message: words.audienceRefused(v.body), hint: words.audienceHint }
    if (v.status === 404 || v.status === 405)
      return {
        ok: false,
        code: 'not_found',
        message: words.noArtifactory(root, v.status),
        hint: words.noArtifactoryHint,
      }
    if (v.status >= 400)
      return {
        ok: false,
        code: 'vendor_error',
        message: words.artifactoryFailed(root, v.status, v.body),
        hint: words.artifactoryFailedHint,
      }

    const list = await client.localRepositories(CHECK_STATUSES, false)
    if (list.status === 401) return { ok: false, code: 'auth', message: words.tokenRejectedListing(list.body) }
    if (list.status >= 400)
      return {
        ok: false,
        code: 'permission',
        message: words.cannotList(user, list.status, list.body),
        hint: words.cannotListHint,
      }
    if (list.repos.length === 0)
      return { ok: false, code: 'permission', message: words.nothingReadable(user), hint: words.nothingReadableHint }

    const x = await client.xrayVersion(CHECK_STATUSES, false)
    if (x.status === 401)
      return { ok: false, code: 'auth', message: words.xrayRejected(x.body), hint: words.xrayRejectedHint }
    let xrayVersion = x.version?.xray_version
    if (x.status === 403) {
      // some installations refuse the version endpoint to non-admins: an empty summary request (Read) decides
      const probe = await client.summaryProbe()
      if (probe !== 200) return { ok: false, code: 'permission', message: words.xrayRefused(x.body, user) }
      xrayVersion = 'version not disclosed'
    }
    if (x.status === 404 || x.status === 405 || x.status >= 500)
      return { ok: false, code: 'not_found', message: words.noXray(root, x.status, x.body), hint: words.noXrayHint }
    if (x.status >= 400 && x.status !== 403)
      return { ok: false, code: 'vendor_error', message: words.xrayFailed(root, x.status, x.body) }

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
  } catch (err) {
    return checkFailure(checkWording, err, { root })
  }
}
