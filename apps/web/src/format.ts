const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const num = new Intl.NumberFormat()

export const fmtNumber = (n: number | null | undefined): string => (n == null ? '–' : num.format(n))

/** A count the server may have estimated: "about 412,000" (three significant figures) when it did. */
export const fmtCount = (n: number | null | undefined, estimate: boolean | undefined): string => {
  if (n == null || !estimate) return fmtNumber(n)
  const step = n >= 1000 ? 10 ** (Math.floor(Math.log10(n)) - 2) : 1
  return `about ${num.format(Math.round(n / step) * step)}`
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '–' : dateTime.format(d)
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '–' : dateOnly.format(d)
}

/** "3 min ago", "in 5 h", "just now" */
export function fmtRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–'
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return '–'
  const diff = t - now
  const abs = Math.abs(diff)
  const future = diff > 0
  let v: string
  if (abs < 45_000) return future ? 'in a moment' : 'just now'
  if (abs < 3_600_000) v = `${Math.round(abs / 60_000)} min`
  else if (abs < 86_400_000) v = `${Math.round(abs / 3_600_000)} h`
  else v = `${Math.round(abs / 86_400_000)} d`
  return future ? `in ${v}` : `${v} ago`
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms == null || Number.isNaN(ms) || ms < 0) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

export const runDuration = (
  r: { startedAt: string | null; finishedAt: string | null },
  now = Date.now(),
): number | null => {
  if (!r.startedAt) return null
  const end = r.finishedAt ? new Date(r.finishedAt).getTime() : now
  return end - new Date(r.startedAt).getTime()
}

export const humanize = (code: string): string => {
  const s = code
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
  return s.charAt(0).toUpperCase() + s.slice(1)
}

export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)
