import { describe, expect, it } from 'vitest'
import { apiWindow, bucketLabel, dashboardHref, queueHref, viewFrom } from './window.ts'

describe('the dashboard view in the URL', () => {
  it('reads the window and the filters, and writes them back without the defaults', () => {
    const v = viewFrom(new URLSearchParams('window=30d&team=t1&priority=high&junk=1'))
    expect(v.window.interval).toBe('day')
    expect(v.filters).toEqual({ team: 't1', application: '', source: '', priority: 'high' })
    expect(dashboardHref(v)).toBe('/dashboard?window=30d&team=t1&priority=high')
    expect(dashboardHref(viewFrom(new URLSearchParams('window=bogus')))).toBe('/dashboard')
  })

  it('gives the API a window ending today', () => {
    const v = viewFrom(new URLSearchParams(''))
    expect(apiWindow(v, new Date('2026-03-18T12:00:00Z'))).toEqual({
      from: '2025-12-19',
      to: '2026-03-18',
      interval: 'week',
    })
  })

  it('links into the queue with the dashboard filters and the chart’s own, the chart’s winning', () => {
    const f = { team: 't1', application: '', source: 'snyk', priority: 'high' }
    expect(queueHref(f, { priority: 'critical' })).toBe('/vulnerabilities?team=t1&source=snyk&priority=critical')
    expect(queueHref(f, { status: 'fixed' })).toBe('/vulnerabilities?team=t1&source=snyk&priority=high&status=fixed')
    expect(queueHref({ team: '', application: '', source: '', priority: '' })).toBe('/vulnerabilities')
  })

  it('labels buckets', () => {
    expect(bucketLabel('2026-03-16', 'week')).toBe('wk Mar 16')
    expect(bucketLabel('2026-03-01', 'month')).toBe('Mar 2026')
    expect(bucketLabel('2026-03-18', 'day')).toBe('Mar 18')
  })
})
