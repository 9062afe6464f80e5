// Loading, error and empty states.
import { type ReactNode, useEffect, useRef } from 'react'
import { ApiError, errorText } from '../api.ts'
import { cap } from '../format.ts'
import { Icon } from './icon.tsx'

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status">
      <span className="spinner-ring" aria-hidden="true" />
      <span className="visually-hidden">{label}</span>
    </span>
  )
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const ref = useRef<HTMLDivElement>(null)
  // a message that appears below the fold (long dialogs) is brought into view
  useEffect(() => {
    if (error) ref.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' })
  }, [error])
  if (!error) return null
  const hint = error instanceof ApiError ? error.hint : undefined
  return (
    <div className="alert alert-error" role="alert" ref={ref}>
      <Icon name="alert" />
      <div>
        {title ? <strong>{title}: </strong> : null}
        <span>{cap(errorText(error))}</span>
        {hint ? <div className="alert-hint">{hint}</div> : null}
      </div>
    </div>
  )
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  )
}
