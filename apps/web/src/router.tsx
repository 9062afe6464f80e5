// A small client-side router on the History API: deep links work because the server falls back to index.html.
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react'

const listeners = new Set<() => void>()
const notify = () => {
  for (const l of listeners) l()
}
if (typeof window !== 'undefined') window.addEventListener('popstate', notify)

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search
  if (to === here) return
  if (opts.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  notify()
}

const subscribe = (l: () => void) => {
  listeners.add(l)
  return () => listeners.delete(l)
}
const snapshot = () => window.location.pathname + window.location.search

/** The current path + query; re-renders on navigation. */
export function useLocation(): { pathname: string; search: string; query: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, snapshot)
  const i = loc.indexOf('?')
  const pathname = i < 0 ? loc : loc.slice(0, i)
  const search = i < 0 ? '' : loc.slice(i)
  return { pathname, search, query: new URLSearchParams(search) }
}

/** Matches "/vulnerabilities/:id" against a path; returns the params or null. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = pathname.replace(/\/+$/, '').split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string
    const val = s[i] as string
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(val)
    else if (seg !== val) return null
  }
  return params
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; replace?: boolean }

export function Link({ to, replace, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to, replace ? { replace } : {})
  }
  return <a href={to} onClick={handle} {...rest} />
}
