// The counts per severity (or priority) of the current view: facets that filter when clicked, and combine.
import { SEVERITIES, type Severity, type Summary } from '../../api.ts'
import { cap, fmtNumber } from '../../format.ts'

export function SeverityCounts({
  summary,
  stale,
  total,
  field,
  active,
  onPick,
}: {
  summary: Summary | undefined
  stale: boolean
  total: number | null
  field: 'severity' | 'priority'
  active: string[]
  onPick: (s: Severity) => void
}) {
  const counts = field === 'priority' ? summary?.byPriority : summary?.bySeverity
  return (
    <section className={`sev-counts${stale ? ' is-stale' : ''}`} aria-label={`Counts by ${field}`} aria-busy={stale}>
      <div className="sev-count sev-count-total">
        <span className="sev-count-n">{total != null ? fmtNumber(total) : '…'}</span>
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
          aria-label={`${cap(s)} ${field}: ${counts ? fmtNumber(counts[s] ?? 0) : 'loading'}`}
        >
          <span className="sev-count-n">{counts ? fmtNumber(counts[s] ?? 0) : '…'}</span>
          <span className="sev-count-label">{s}</span>
        </button>
      ))}
    </section>
  )
}
