import { createContext, type ReactNode, useCallback, useContext, useEffect, useId, useRef, useState } from 'react'
import { ApiError, errorText, type RunStatus, type Severity } from './api.ts'
import { cap } from './format.ts'

// ------------------------------------------------------------------ icons (inline SVG, no logos)

type IconName =
  | 'gear'
  | 'sync'
  | 'external'
  | 'shield'
  | 'plug'
  | 'repo'
  | 'users'
  | 'logout'
  | 'download'
  | 'search'
  | 'close'
  | 'arrowUp'
  | 'arrowDown'
  | 'dot'
  | 'history'
  | 'key'
  | 'check'
  | 'alert'
  | 'pause'

const PATHS: Record<IconName, ReactNode> = {
  gear: (
    <>
      <circle cx="12" cy="12" r="3" />
      <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
    </>
  ),
  sync: (
    <>
      <path d="M21 12a9 9 0 0 1-15.5 6.2L3 16" />
      <path d="M3 12a9 9 0 0 1 15.5-6.2L21 8" />
      <path d="M21 3v5h-5M3 21v-5h5" />
    </>
  ),
  external: <path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />,
  shield: <path d="M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z" />,
  plug: <path d="M9 2v6M15 2v6M6 8h12v3a6 6 0 0 1-12 0zM12 17v5" />,
  repo: (
    <>
      <path d="M5 4a2 2 0 0 1 2-2h12v16H7a2 2 0 0 0-2 2z" />
      <path d="M5 20a2 2 0 0 0 2 2h12v-4" />
    </>
  ),
  users: (
    <>
      <circle cx="9" cy="8" r="4" />
      <path d="M2 21a7 7 0 0 1 14 0M16 3.5a4 4 0 0 1 0 9M22 21a7 7 0 0 0-4-6.3" />
    </>
  ),
  logout: <path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9" />,
  download: <path d="M12 3v12M7 10l5 5 5-5M4 21h16" />,
  search: (
    <>
      <circle cx="11" cy="11" r="7" />
      <path d="M21 21l-5-5" />
    </>
  ),
  close: <path d="M6 6l12 12M18 6L6 18" />,
  arrowUp: <path d="M12 19V5M5 12l7-7 7 7" />,
  arrowDown: <path d="M12 5v14M5 12l7 7 7-7" />,
  dot: <circle cx="12" cy="12" r="4" />,
  history: (
    <>
      <path d="M3 12a9 9 0 1 0 3-6.7L3 8" />
      <path d="M3 3v5h5M12 7v5l3 3" />
    </>
  ),
  key: (
    <>
      <circle cx="7.5" cy="15.5" r="4.5" />
      <path d="M10.7 12.3L21 2M16 7l3 3M19 4l2 2" />
    </>
  ),
  check: <path d="M4 12l5 5L20 6" />,
  alert: <path d="M12 3l10 18H2zM12 10v5M12 18v.5" />,
  pause: <path d="M8 5v14M16 5v14" />,
}

export function Icon({ name, size = 16, title }: { name: IconName; size?: number; title?: string }) {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={title ? undefined : true}
      role={title ? 'img' : undefined}
      aria-label={title}
      focusable="false"
    >
      {PATHS[name]}
    </svg>
  )
}

// ------------------------------------------------------------------ connector badges (letters, not logos)

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

// ------------------------------------------------------------------ badges

export function SeverityBadge({ severity, prefix }: { severity: Severity | string; prefix?: string }) {
  return (
    <span className={`sev sev-${severity}`} data-level={severity}>
      {prefix ? <span className="visually-hidden">{prefix} </span> : null}
      {cap(severity)}
    </span>
  )
}

const RUN_TONE: Record<string, string> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'ok',
  failed: 'bad',
  partial: 'warn',
  cancelled: 'neutral',
  held: 'warn',
  active: 'ok',
  error: 'bad',
  open: 'bad-soft',
  fixed: 'ok',
  dismissed: 'neutral',
  present: 'info',
  absent: 'neutral',
  excluded: 'neutral',
}

export function StatusBadge({ status, label }: { status: RunStatus | string; label?: string }) {
  return (
    <span className={`status status-${RUN_TONE[status] ?? 'neutral'}`}>
      <span className="status-dot" aria-hidden="true" />
      {label ?? cap(status)}
    </span>
  )
}

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

// ------------------------------------------------------------------ dialog (native <dialog>: focus trap + Escape)

export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
  describedBy,
}: {
  title: string
  onClose: () => void
  children: ReactNode
  footer?: ReactNode
  wide?: boolean
  describedBy?: string
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const closeRef = useRef(onClose)
  closeRef.current = onClose
  useEffect(() => {
    const d = ref.current
    if (!d) return
    const opener = document.activeElement as HTMLElement | null
    if (!d.open) d.showModal()
    const onCancel = (e: Event) => {
      e.preventDefault()
      closeRef.current()
    }
    d.addEventListener('cancel', onCancel)
    return () => {
      d.removeEventListener('cancel', onCancel)
      if (d.open) d.close()
      opener?.focus?.()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog-wide' : ''}`}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="btn-icon" onClick={onClose} aria-label="Close dialog">
          <Icon name="close" />
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      {footer ? <div className="dialog-foot">{footer}</div> : null}
    </dialog>
  )
}

// ------------------------------------------------------------------ toasts (polite live region)

interface ToastItem {
  id: number
  text: string
  tone: 'ok' | 'bad' | 'info'
}
const ToastCtx = createContext<(text: string, tone?: ToastItem['tone']) => void>(() => {})
export const useToast = () => useContext(ToastCtx)

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([])
  const seq = useRef(0)
  const push = useCallback((text: string, tone: ToastItem['tone'] = 'info') => {
    const id = ++seq.current
    setItems((xs) => [...xs, { id, text, tone }])
    window.setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== id)), 6000)
  }, [])
  return (
    <ToastCtx.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {items.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`}>
            {t.text}
          </div>
        ))}
      </div>
    </ToastCtx.Provider>
  )
}

// ------------------------------------------------------------------ hooks

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms)
    return () => window.clearTimeout(t)
  }, [value, ms])
  return v
}

/** Loads data with an AbortController; a newer key cancels the older request. */
export function useLoad<T>(
  key: string | null,
  loader: (signal: AbortSignal) => Promise<T>,
): {
  data: T | undefined
  error: unknown
  /** true from the moment the key changes until its data (or error) arrives */
  loading: boolean
  /** the data belongs to the current key (not a previous one still shown while loading) */
  fresh: boolean
  reload: () => void
} {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean; key: string | null }>({
    data: undefined,
    error: null,
    loading: key !== null,
    key: null,
  })
  const [tick, setTick] = useState(0)
  const loaderRef = useRef(loader)
  loaderRef.current = loader
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick is the reload trigger
  useEffect(() => {
    if (key === null) return
    const ac = new AbortController()
    setState((s) => ({ ...s, loading: true }))
    loaderRef.current(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ data, error: null, loading: false, key })
      },
      (error) => {
        if (!ac.signal.aborted) setState((s) => ({ ...s, error, loading: false }))
      },
    )
    return () => ac.abort()
  }, [key, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  const fresh = key !== null && state.key === key
  return {
    data: state.data,
    error: state.error,
    loading: key !== null && (state.loading || (state.key !== key && !state.error)),
    fresh,
    reload,
  }
}

/** Calls fn every ms while active (and the tab is visible). */
export function useInterval(fn: () => void, ms: number, active: boolean): void {
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => {
    if (!active) return
    const t = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') ref.current()
    }, ms)
    return () => window.clearInterval(t)
  }, [ms, active])
}

/** Re-renders every ms (for relative times and countdowns). */
export function useNow(ms = 1000, active = true): number {
  const [now, setNow] = useState(() => Date.now())
  useInterval(() => setNow(Date.now()), ms, active)
  return now
}

export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode
  subtitle?: ReactNode
  actions?: ReactNode
}) {
  return (
    <header className="page-header">
      <div>
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  )
}
