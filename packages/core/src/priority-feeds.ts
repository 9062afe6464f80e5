import {
  describeEpss,
  describeFeedEpss,
  describeKev,
  type EpssValue,
  epssMark,
  type FeedEvidence,
  renderEpssMarks,
} from './feeds.ts'
import type { SeverityFactor, SourceView } from './priority.ts'
import type { PriorityPolicy } from './priority-policy.ts'

const who = (views: SourceView[]): string[] => [...new Set(views.map((v) => v.kind))].sort()

/**
 * The exploitation factors of an issue (pure): KEV, exploited in the wild, EPSS. The public feeds are the reference
 * every source is judged by; what a scanner says stays, attributed to it, and where it disagrees with the feed the
 * factor's text says both ("EPSS 0.43 (97th percentile), 2026-12-01; endor says 0.38"). Without a feed entry the
 * scanners' own signals decide, as they did before the feeds. Only which side of the policy's EPSS thresholds the
 * feed's score is on moves the priority; the value itself is only shown.
 */
export const exploitFactors = (
  views: SourceView[],
  feeds: FeedEvidence,
  policy: PriorityPolicy,
  /** the form an issue stores: the feed's EPSS value left out as a mark (`epssMark`), joined when read */
  stored = false,
): SeverityFactor[] => {
  const out: SeverityFactor[] = []
  const kevMove =
    policy.kev === 'critical'
      ? { effect: 'raise' as const, levels: 4 }
      : policy.kev === 'raise'
        ? { effect: 'raise' as const, levels: 1 }
        : { effect: 'none' as const, levels: 0 }

  const saysKev = views.filter((v) => v.signals.kev?.listed === true)
  const deniesKev = views.filter((v) => v.signals.kev?.listed === false)
  let kevListed = false
  if (feeds.kev) {
    kevListed = true
    const denied = who(deniesKev)
    out.push({
      code: 'kev',
      ...kevMove,
      text: `${describeKev(feeds.kev)}${denied.length ? `; ${denied.join(', ')} ${denied.length > 1 ? 'do' : 'does'} not list it` : ''}`,
      sources: [],
    })
  } else if (saysKev.length) {
    kevListed = true
    out.push({
      code: 'kev',
      ...kevMove,
      text: feeds.kevLoaded
        ? 'listed as known exploited; not in the CISA KEV catalog'
        : 'listed as known exploited (CISA KEV)',
      sources: who(saysKev),
    })
  }

  const itw = views.filter((v) => v.signals.exploitInTheWild)
  if (itw.length && !kevListed)
    out.push({
      code: 'exploit_in_the_wild',
      effect: 'raise',
      levels: 1,
      text: 'exploited in the wild',
      sources: who(itw),
    })

  const scored = views.filter((v) => v.signals.epss !== undefined)
  let epss: { score: number; text: string; sources: string[] } | null = null
  if (feeds.epss) {
    const perKind = new Map<string, number>()
    for (const v of scored) perKind.set(v.kind, Math.max(perKind.get(v.kind) ?? 0, v.signals.epss!.score))
    const says = [...perKind].sort(([a], [b]) => a.localeCompare(b))
    epss = {
      score: feeds.epss.score,
      text: stored ? epssMark(says) : describeFeedEpss(feeds.epss, says),
      sources: [],
    }
  } else if (scored.length) {
    const best = scored.reduce((a, b) => (b.signals.epss!.score > a.signals.epss!.score ? b : a))
    epss = {
      score: best.signals.epss!.score,
      text: describeEpss(best.signals.epss!.score, best.signals.epss!.percentile),
      sources: who(scored),
    }
  }
  if (epss) {
    if (epss.score >= policy.epss.high)
      out.push({
        code: 'epss_high',
        effect: kevListed ? 'none' : 'raise',
        levels: kevListed ? 0 : 1,
        text: epss.text,
        sources: epss.sources,
      })
    else if (epss.score < policy.epss.low && !kevListed && !itw.length)
      // lowers only when the policy lists epss_low among the lowering factors (applyPriorityPolicy)
      out.push({
        code: 'epss_low',
        effect: 'lower',
        levels: 1,
        text: `${epss.text}: exploitation unlikely`,
        sources: epss.sources,
      })
    else out.push({ code: 'epss', effect: 'none', levels: 0, text: epss.text, sources: epss.sources })
  }
  return out
}

/**
 * An issue's stored factors as read: the feed's EPSS value (joined when the issue is read) in place of the mark its
 * EPSS factor holds (`stored` form). Other factors, and a scanner's own EPSS factor, are as stored.
 */
export const renderFactors = <F extends { code: string; text: string; sources: readonly string[] }>(
  factors: readonly F[],
  epss: EpssValue | null,
): F[] =>
  factors.map((f) =>
    f.code.startsWith('epss') && f.sources.length === 0 ? { ...f, text: renderEpssMarks(f.text, epss) } : f,
  )
