import {
  DECISION_KIND_VALUES,
  DecisionEnvelope,
  DecisionKind,
  DecisionList,
  DecisionScope,
  type Decision as DecisionView,
} from '@vulnsync/api'
import { VEX_JUSTIFICATIONS } from '@vulnsync/core'
import { type DecisionWithCounts, getDecision, getSlaPolicy, InputError, listDecisions } from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { amendDecision, endDecision, recordDecision } from '../../workflow/decisions.ts'
import { ApiError } from '../errors.ts'
import { iso, isoRequired } from '../presenters/time.ts'
import { eventActor } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbId, DbIdParams } from '../schemas.ts'

const When = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2027-03-01T00:00:00Z' })

/** What a decision says: its kind, why, the VEX justification, and until when. */
export const DecisionFields = z.object({
  kind: DecisionKind,
  reason: z.string().trim().min(1, 'a decision needs a reason').max(5000),
  justification: z
    .string()
    .trim()
    .max(5000)
    .nullable()
    .optional()
    .describe(`for not_affected: one of ${VEX_JUSTIFICATIONS.join(', ')}`),
  expiresAt: When.nullable().optional(),
})

export const presentDecision = (d: DecisionWithCounts): DecisionView => ({
  id: String(d.id),
  kind: d.kind,
  scope: d.scope,
  issueId: d.issue_id === null ? null : String(d.issue_id),
  cve: d.cve,
  targetKey: d.target_key,
  reason: d.reason,
  justification: d.justification,
  expiresAt: iso(d.expires_at),
  createdBy: d.created_by_name,
  createdById: d.created_by,
  createdAt: isoRequired(d.created_at),
  endedAt: iso(d.ended_at),
  endReason: d.end_reason,
  needsReview: d.needs_review || d.issues_needing_review > 0,
  reviewReason: d.review_reason,
  issues: d.issues,
  issuesNeedingReview: d.issues_needing_review,
})

const csvKinds = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s) return undefined
    const parts = s.split(',').map((p) => p.trim())
    for (const p of parts)
      if (!(DECISION_KIND_VALUES as readonly string[]).includes(p))
        ctx.addIssue({
          code: 'custom',
          message: `unknown kind ${JSON.stringify(p)}; use ${DECISION_KIND_VALUES.join(', ')}`,
        })
    return parts as (typeof DECISION_KIND_VALUES)[number][]
  })

export const decisionRoutes = (rt: Runtime, r: Router) => {
  const load = async (id: string) => {
    const d = await getDecision(rt.db, rt.workspaceId, id)
    if (!d)
      throw new ApiError(404, 'not_found', `decision ${id} does not exist`, 'list them with GET /api/v1/decisions')
    return d
  }

  r.add({
    method: 'POST',
    url: '/api/v1/decisions',
    access: 'member',
    summary:
      'Record a decision on an issue: risk accepted (until an expiry), false positive, or not affected (with a VEX justification); scope issue, cve_in_target or cve_everywhere',
    tags: ['workflow'],
    body: DecisionFields.extend({ issueId: DbId, scope: DecisionScope.default('issue') }),
    response: DecisionEnvelope,
    status: 201,
    handler: async ({ body, principal }) => {
      const policy = await getSlaPolicy(rt.db, rt.workspaceId)
      const now = rt.now()
      const { decision } = await rt.db.transaction((tx) =>
        recordDecision(
          tx,
          rt.workspaceId,
          { ...body, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null },
          policy,
          { userId: principal.userId, actor: eventActor(principal) },
          { now },
        ),
      )
      return { decision: presentDecision(await load(String(decision.id))) }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/decisions',
    access: 'viewer',
    summary: 'Decisions: the live ones (or all with includeEnded=true), by kind, expiring soon, or needing review',
    tags: ['workflow'],
    query: z.object({
      kind: csvKinds,
      expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional(),
      needsReview: z.enum(['true', 'false']).optional(),
      includeEnded: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
    response: DecisionList,
    handler: async ({ query }) => ({
      items: (
        await listDecisions(
          rt.db,
          rt.workspaceId,
          {
            kind: query.kind,
            expiringWithinDays: query.expiringWithinDays,
            needsReview: query.needsReview === 'true',
            includeEnded: query.includeEnded === 'true',
            limit: query.limit,
          },
          rt.now(),
        )
      ).map(presentDecision),
    }),
  })

  r.add({
    method: 'GET',
    url: '/api/v1/decisions/:id',
    access: 'viewer',
    summary: 'One decision, with how many issues it governs',
    tags: ['workflow'],
    params: DbIdParams,
    response: DecisionEnvelope,
    handler: async ({ params }) => ({ decision: presentDecision(await load(params.id)) }),
  })

  r.add({
    method: 'PATCH',
    url: '/api/v1/decisions/:id',
    access: 'member',
    summary:
      'Extend a live decision (expiresAt, within the policy), reword it, or mark it reviewed after its evidence changed',
    tags: ['workflow'],
    params: DbIdParams,
    body: z
      .object({
        expiresAt: When.optional(),
        reason: z.string().trim().min(1).max(5000).optional(),
        justification: z.string().trim().max(5000).nullable().optional(),
        reviewed: z.literal(true).optional(),
      })
      .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'send at least one field' }),
    response: DecisionEnvelope,
    handler: async ({ params, body, principal }) => {
      const d = await load(params.id)
      if (principal.role !== 'admin' && d.created_by !== principal.userId)
        throw new ApiError(403, 'forbidden', 'only an admin may change a decision someone else made')
      const policy = await getSlaPolicy(rt.db, rt.workspaceId)
      const out = await amendDecision(
        rt.db,
        rt.workspaceId,
        params.id,
        { ...body, expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined },
        policy,
        eventActor(principal),
        rt.now(),
      )
      return { decision: presentDecision(out) }
    },
  })

  r.add({
    method: 'DELETE',
    url: '/api/v1/decisions/:id',
    access: 'member',
    summary: 'Revoke a decision: what it governed reopens (stage triaged) unless another decision covers it',
    tags: ['workflow'],
    params: DbIdParams,
    response: DecisionEnvelope,
    handler: async ({ params, principal }) => {
      const d = await load(params.id)
      if (principal.role !== 'admin' && d.created_by !== principal.userId)
        throw new ApiError(
          403,
          'forbidden',
          `only an admin may revoke a decision someone else made (this one is ${d.created_by_name}'s)`,
          'ask an admin',
        )
      if (d.ended_at)
        throw new InputError('invalid_request', `decision ${params.id} already ended (${d.end_reason})`, undefined, 409)
      await endDecision(rt.db, d.id, 'revoked', eventActor(principal), rt.now())
      return { decision: presentDecision(await load(params.id)) }
    },
  })
}
