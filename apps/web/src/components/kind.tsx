// Connector badges: letters, not logos.
import { cap } from '../format.ts'

const KIND_STYLE: Record<string, { letters: string; title: string }> = {
  ox: { letters: 'OX', title: 'OX Security' },
  endor: { letters: 'EL', title: 'Endor Labs' },
  jfrog: { letters: 'JF', title: 'JFrog Artifactory' },
  github: { letters: 'GH', title: 'GitHub' },
  gitlab: { letters: 'GL', title: 'GitLab' },
}

export const kindTitle = (kind: string): string => KIND_STYLE[kind]?.title ?? cap(kind)

export function KindIcon({ kind, size = 'md' }: { kind: string; size?: 'sm' | 'md' | 'lg' }) {
  const s = KIND_STYLE[kind]
  return (
    <span className={`kind-icon kind-${kind} kind-${size}`} aria-hidden="true">
      {s?.letters ?? kind.slice(0, 2).toUpperCase()}
    </span>
  )
}

export function SourceBadge({ kind, label, absent }: { kind: string; label?: string | undefined; absent?: boolean }) {
  const title = `${label ? `${kindTitle(kind)}: ${label}` : kindTitle(kind)}${absent ? ' (no longer reports it)' : ''}`
  return (
    <span className={`source-badge kind-${kind}${absent ? ' source-badge-absent' : ''}`} title={title}>
      {kindTitle(kind)}
      {absent ? <span className="visually-hidden"> (no longer reports it)</span> : null}
    </span>
  )
}
