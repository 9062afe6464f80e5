import { describe, expect, it } from 'vitest'
import { canChangeDecision, dateInput, daysLeftText, expiryInstant, slaText } from './workflow.ts'

describe('the workflow as the web app shows it', () => {
  it('says days left, due today, and days overdue', () => {
    expect(daysLeftText(5)).toBe('5 days left')
    expect(daysLeftText(1)).toBe('1 day left')
    expect(daysLeftText(0)).toBe('due today')
    expect(daysLeftText(-3)).toBe('3 days overdue')
    const sla = { dueAt: '2026-01-10T00:00:00.000Z', state: 'breached' as const, daysLeft: -2 }
    expect(slaText(sla, true)).toBe('Breached: 2 days overdue')
    expect(slaText({ ...sla, metSla: false }, false)).toBe('Closed after its SLA')
    expect(slaText(null, true)).toBe('No SLA at this level')
  })

  it('an expiry picked as a day is the start of that local day, so the last day the picker offers stays inside the maximum', () => {
    const now = new Date(2026, 2, 10, 15, 30)
    expect(dateInput(0, now)).toBe('2026-03-10')
    expect(dateInput(90, now)).toBe('2026-06-08')
    const last = new Date(expiryInstant(dateInput(90, now)) as string)
    expect(last.getTime()).toBeLessThanOrEqual(now.getTime() + 90 * 86_400_000)
    expect(last.getTime()).toBeGreaterThan(now.getTime() + 89 * 86_400_000)
    expect(new Date(expiryInstant('2026-03-11') as string).getHours()).toBe(0)
    expect(expiryInstant('')).toBeNull()
    expect(expiryInstant('11/03/2026')).toBeNull()
  })

  it('offers to change a decision to its author (a member) and to admins, never to a viewer', () => {
    const d = { createdById: 'u1' }
    expect(canChangeDecision({ id: 'u1', role: 'member' }, d)).toBe(true)
    expect(canChangeDecision({ id: 'u2', role: 'member' }, d)).toBe(false)
    expect(canChangeDecision({ id: 'u2', role: 'admin' }, d)).toBe(true)
    expect(canChangeDecision({ id: 'u1', role: 'viewer' }, d)).toBe(false)
    expect(canChangeDecision({ id: null, role: 'member' }, { createdById: null })).toBe(false)
  })
})
