import {
  type ConnectorContext,
  type MoveOutcome,
  type SlaLevel,
  type TicketCategory,
  type TicketContent,
  type TicketRef,
  type TicketState,
  UpstreamError,
} from '@vulnsync/core'
import { adfText, ticketDescription } from './adf.ts'
import { createJiraClient } from './client.ts'
import type { JiraConfig, JiraSecrets } from './config.ts'

type Ctx = ConnectorContext<JiraConfig, JiraSecrets>

/** vulnsync's priorities as Jira's default priority scheme names them. */
const JIRA_PRIORITY: Record<SlaLevel, string> = {
  critical: 'Highest',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Lowest',
}

const isFieldRefusal = (err: unknown, field: string) =>
  err instanceof UpstreamError && err.kind === 'client' && err.status === 400 && (err.body ?? '').includes(field)

const fieldsOf = (c: TicketContent, withPriority: boolean): Record<string, unknown> => ({
  summary: c.summary,
  description: ticketDescription(c),
  labels: c.labels,
  duedate: c.dueDate,
  ...(withPriority ? { priority: { name: JIRA_PRIORITY[c.priority] } } : {}),
})

/**
 * Creates the ticket of a group. Jira has no idempotency key, so the group's label is looked up first: a ticket a
 * previous attempt made (whose answer was lost) is adopted instead of made twice. A project whose screen has no
 * priority field gets the ticket without one.
 */
export const createTicket = async (ctx: Ctx, c: TicketContent): Promise<TicketState> => {
  const client = createJiraClient(ctx)
  const groupLabel = c.labels.find((l) => l.startsWith('vulnsync-g-'))
  if (groupLabel) {
    const found = await client.search(
      `project = "${ctx.config.projectKey}" AND labels = "${groupLabel}" AND statusCategory != Done ORDER BY created ASC`,
      undefined,
      1,
    )
    if (found.issues[0]) return found.issues[0]
  }
  const base = { project: { key: ctx.config.projectKey }, issuetype: { name: ctx.config.issueType } }
  let created: { key: string }
  try {
    created = await client.create({ ...base, ...fieldsOf(c, true) })
  } catch (err) {
    if (!isFieldRefusal(err, 'priority')) throw err
    created = await client.create({ ...base, ...fieldsOf(c, false) })
  }
  const state = await client.issue(created.key)
  if (!state)
    throw new UpstreamError({
      kind: 'bad_response',
      host: client.host,
      message: `Jira lost ${created.key} right after creating it`,
    })
  return state
}

/** Rewrites summary, description, labels, due date and priority. */
export const updateTicket = async (ctx: Ctx, ref: TicketRef, c: TicketContent): Promise<void> => {
  const client = createJiraClient(ctx)
  try {
    await client.edit(ref.key, fieldsOf(c, true))
  } catch (err) {
    if (!isFieldRefusal(err, 'priority')) throw err
    await client.edit(ref.key, fieldsOf(c, false))
  }
}

const CONFIGURED: Record<TicketCategory, keyof JiraConfig> = {
  new: 'reopenTransition',
  indeterminate: 'inProgressTransition',
  done: 'doneTransition',
}

/**
 * Moves a ticket to a status category through the configured transition (by name or id), else the first transition
 * leading to a status of that category. A workflow with no such transition (or a screen that needs fields vulnsync
 * cannot fill) gets a comment saying what vulnsync wanted instead.
 */
export const moveTicket = async (ctx: Ctx, ref: TicketRef, to: TicketCategory, why: string): Promise<MoveOutcome> => {
  const client = createJiraClient(ctx)
  const all = await client.transitions(ref.key)
  const wanted = (ctx.config[CONFIGURED[to]] as string | undefined)?.trim().toLowerCase()
  const pick = wanted
    ? all.find((t) => t.name.toLowerCase() === wanted || t.id === wanted)
    : all.find((t) => t.to.statusCategory?.key === to)
  const note = `vulnsync: ${why}`
  const fallback = async (reason: string): Promise<MoveOutcome> => {
    await client.comment(ref.key, adfText(`${note}. ${reason}`))
    const state = await client.issue(ref.key)
    if (!state)
      throw new UpstreamError({ kind: 'not_found', host: client.host, message: `Jira: issue ${ref.key} not found` })
    return { moved: false, state, reason }
  }
  if (!pick)
    return fallback(
      wanted
        ? `The configured transition "${wanted}" is not available from this status; move the ticket by hand.`
        : `No transition leads to a ${to === 'done' ? 'Done' : to === 'new' ? 'To Do' : 'In Progress'} status from here; move the ticket by hand.`,
    )
  try {
    await client.transition(ref.key, pick.id, adfText(note))
  } catch (err) {
    if (!(err instanceof UpstreamError && err.kind === 'client' && err.status === 400)) throw err
    return fallback(
      `The transition "${pick.name}" needs fields vulnsync cannot fill (${err.message}); move the ticket by hand.`,
    )
  }
  const state = await client.issue(ref.key)
  if (!state)
    throw new UpstreamError({ kind: 'not_found', host: client.host, message: `Jira: issue ${ref.key} not found` })
  return { moved: true, state, via: pick.name }
}

export const getTicket = async (ctx: Ctx, ref: TicketRef) => createJiraClient(ctx).issue(ref.key)

export const whoami = async (ctx: Ctx) => (await createJiraClient(ctx).myself()).accountId
