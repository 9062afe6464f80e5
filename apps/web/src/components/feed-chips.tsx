// KEV and EPSS chips: the public evidence an issue's priority was judged by (the queue's rows, the detail).
import type { Vulnerability } from '../api.ts'
/** The public evidence the priority was judged by: listed in CISA KEV, the EPSS score. */
export function FeedChips({ v }: { v: Pick<Vulnerability, 'kev' | 'epss'> }) {
  if (!v.kev && !v.epss) return null
  return (
    <div className="feed-chips">
      {v.kev ? (
        <span
          className={`chip chip-kev${v.kev.knownRansomware ? ' chip-ransomware' : ''}`}
          title={`Listed in CISA KEV since ${v.kev.dateAdded}${v.kev.knownRansomware ? ' (known ransomware use)' : ''}`}
        >
          KEV{v.kev.knownRansomware ? ' · ransomware' : ''}
        </span>
      ) : null}
      {v.epss ? (
        <span
          className={`chip chip-epss${v.epss.score >= 0.1 ? ' chip-epss-high' : ''}`}
          title={`EPSS ${v.epss.score} (${Math.round(v.epss.percentile * 100)}th percentile), ${v.epss.date}`}
        >
          EPSS {v.epss.score < 0.01 ? v.epss.score.toFixed(3) : v.epss.score.toFixed(2)}
        </span>
      ) : null}
    </div>
  )
}
