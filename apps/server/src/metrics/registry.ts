/**
 * A small Prometheus registry: counters and histograms kept in this process, gauges read when scraped, rendered in
 * the text exposition format 0.0.4 (HELP and TYPE once per metric, label values escaped, histograms cumulative with
 * `le="+Inf"`, `_sum` and `_count`). No dependency: the format is a page long.
 */

type Labels = Record<string, string>

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
const labelText = (l: Labels) => {
  const keys = Object.keys(l)
  return keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(l[k]!)}"`).join(',')}}`
}
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v))
const keyOf = (names: readonly string[], l: Labels) => names.map((n) => l[n] ?? '').join('\u0000')

export interface Sample {
  labels: Labels
  value: number
}

interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  render(): Promise<string[]>
}

export class Counter<L extends string> {
  private readonly values = new Map<string, { labels: Labels; value: number }>()
  constructor(
    readonly name: string,
    readonly labelNames: readonly L[],
  ) {}
  inc(labels: Record<L, string>, by = 1) {
    const k = keyOf(this.labelNames, labels)
    const cur = this.values.get(k)
    if (cur) cur.value += by
    else this.values.set(k, { labels: { ...labels }, value: by })
  }
  get(labels: Record<L, string>): number {
    return this.values.get(keyOf(this.labelNames, labels))?.value ?? 0
  }
  samples(): Sample[] {
    return [...this.values.values()]
  }
}

export class Histogram<L extends string> {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>()
  constructor(
    readonly name: string,
    readonly labelNames: readonly L[],
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Record<L, string>, value: number) {
    const k = keyOf(this.labelNames, labels)
    let s = this.series.get(k)
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.series.set(k, s)
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++
    s.sum += value
    s.count++
  }
  lines(): string[] {
    const out: string[] = []
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        out.push(`${this.name}_bucket${labelText({ ...s.labels, le: num(b) })} ${s.counts[i]}`)
      })
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`)
      out.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`)
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`)
    }
    return out
  }
}

export class Registry {
  private readonly families: Family[] = []
  private add(f: Family) {
    if (this.families.some((x) => x.name === f.name)) throw new Error(`metric ${f.name} registered twice`)
    this.families.push(f)
  }
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const c = new Counter(name, labelNames)
    this.add({
      name,
      help,
      type: 'counter',
      render: async () => c.samples().map((s) => `${name}${labelText(s.labels)} ${num(s.value)}`),
    })
    return c
  }
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): Histogram<L> {
    const h = new Histogram(name, labelNames, buckets)
    this.add({ name, help, type: 'histogram', render: async () => h.lines() })
    return h
  }
  /** a gauge whose samples are read at scrape time (from the database) */
  gauge(name: string, help: string, read: () => Promise<Sample[]>) {
    this.add({
      name,
      help,
      type: 'gauge',
      render: async () => (await read()).map((s) => `${name}${labelText(s.labels)} ${num(s.value)}`),
    })
  }
  /** the exposition text; a gauge that fails to read is left out (its error is the caller's to log) */
  async render(onError?: (name: string, err: unknown) => void): Promise<string> {
    const out: string[] = []
    for (const f of this.families) {
      let lines: string[]
      try {
        lines = await f.render()
      } catch (err) {
        onError?.(f.name, err)
        continue
      }
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...lines)
    }
    return `${out.join('\n')}\n`
  }
}
