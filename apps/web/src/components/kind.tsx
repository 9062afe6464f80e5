// Connector badges: letters, not logos. Titles and letters come from the server's connector catalogue.
import { useKindDisplay } from '../connectors-cache.ts'

export function KindIcon({ kind, size = 'md' }: { kind: string; size?: 'sm' | 'md' | 'lg' }) {
  const { logoLetters } = useKindDisplay()(kind)
  return (
    <span className={`kind-icon kind-${kind} kind-${size}`} aria-hidden="true">
      {logoLetters}
    </span>
  )
}

export function SourceBadge({ kind, label, absent }: { kind: string; label?: string | undefined; absent?: boolean }) {
  const { title: kindTitle } = useKindDisplay()(kind)
  const title = `${label ? `${kindTitle}: ${label}` : kindTitle}${absent ? ' (no longer reports it)' : ''}`
  return (
    <span className={`source-badge kind-${kind}${absent ? ' source-badge-absent' : ''}`} title={title}>
      {kindTitle}
      {absent ? <span className="visually-hidden"> (no longer reports it)</span> : null}
    </span>
  )
}
