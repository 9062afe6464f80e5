// The counts per severity (or priority) of the current view: facets that filter when clicked, and combine.
import { SEVERITIES, type Severity, type Summary } from '../../api.ts'
import { cap, fmtCount } from '../../format.ts'

export function SeverityCounts({
  summary,
  stale,
  total,
  totalIsEstimate,
  field,
  active,
  onPick,
}: {
  summary: Summary | undefined
  stale: boolean
  total: number | null
  /** the total is the server's estimate */
  totalIsEstimate?: boolean
  field: 'severity' | 'priority'
  active: string[]
  onPick: (s: Severity) => void
}) {
  const counts = field === 'priority' ? summary?.byPriority : summary?.bySeverity
  return (
    <section className={`sev-counts${stale ? ' is-stale' : ''}`} aria-label={`Counts by ${field}`} aria-busy={stale}>
      <div className="sev-count sev-count-total">
        <span className="sev-count-n">{total != null ? fmtCount(total, totalIsEstimate) : '…'}</span>
        <span className="sev-count-label">{active.length ? 'shown' : 'total'}</span>
      </div>
      {SEVERITIES.map((s) => (
        <button
          key={s}
          type="button"
          className={`sev-count sev-count-${s}${active.includes(s) ? ' active' : ''}`}
          aria-pressed={active.includes(s)}
          onClick={() => onPick(s)}
          title={active.includes(s) ? `Stop filtering on ${s} (${field})` : `Add ${s} to the ${field} filter`}
          aria-label={`${cap(s)} ${field}: ${counts ? fmtCount(counts[s] ?? 0, summary?.totalIsEstimate) : 'loading'}`}
        >
          <span className="sev-count-n">{counts ? fmtCount(counts[s] ?? 0, summary?.totalIsEstimate) : '…'}</span>
          <span className="sev-count-label">{s}</span>
        </button>
      ))}
    </section>
  )
}
