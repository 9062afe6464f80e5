// Data loading and timing hooks shared by every page.
import { useCallback, useEffect, useRef, useState } from 'react'

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

/**
 * Runs an action the user started (submit, confirm): busy while it runs, its error kept for showing in place. On
 * success busy stays true: the caller closes the dialog or moves on. An action of a control that stays on the page
 * (an inline form) passes `{ settle: true }`: busy ends on success too.
 */
export function useAction(
  action: () => Promise<void>,
  o: { settle?: boolean } = {},
): { busy: boolean; error: unknown; run: () => Promise<void> } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      await action()
      if (o.settle) setBusy(false)
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return { busy, error, run }
}
