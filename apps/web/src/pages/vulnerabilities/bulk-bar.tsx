// The bulk action bar: what is selected (rows, or every issue the view matches), and one action on all of it —
// assign, move the stage, record a decision, comment, create tickets (with a Jira connection). The server applies it all or nothing and says how many issues
// it matched and changed; a refusal is shown in the action's dialog, and nothing changed.
import { useState } from 'react'
import { type AssignableUser, api, type BulkResult, type Stage } from '../../api.ts'
import { useAuth } from '../../auth.tsx'
import { DecisionDialog } from '../../components/decision-dialog.tsx'
import { FormDialog } from '../../components/form-dialog.tsx'
import { TextArea } from '../../components/text-area.tsx'
import { BulkTicketsButton } from '../../components/tickets.tsx'
import { fmtCount, fmtNumber } from '../../format.ts'
import { DECISION_LABEL, MAX_COMMENT, STAGE_LABEL, STAGES } from '../../workflow.ts'

/** The issues an action applies to: chosen rows, or the view's filter (every issue it matches when applied). */
export type BulkTarget = { ids: string[] } | { filter: Record<string, string> }

type Action = 'assign' | 'stage' | 'decision' | 'comment'

export function BulkBar({
  count,
  allMatching,
  canSelectAllMatching,
  total,
  totalIsEstimate,
  target,
  users,
  onSelectAllMatching,
  onClear,
  onDone,
}: {
  count: number
  /** the selection is the view's filter, not rows */
  allMatching: boolean
  /** every row of the page is selected and the view has more */
  canSelectAllMatching: boolean
  total: number | null
  /** the total is the server's estimate */
  totalIsEstimate?: boolean
  target: BulkTarget
  users: AssignableUser[]
  onSelectAllMatching: () => void
  onClear: () => void
  /** the action is applied: what it did, in words */
  onDone: (result: BulkResult, what: string) => void
}) {
  const [open, setOpen] = useState<Action | null>(null)
  const many = `${fmtNumber(count)} issue${count === 1 ? '' : 's'}`
  const apply = async (action: Record<string, unknown>, what: string) => {
    const result = await api<BulkResult>('POST', '/vulnerabilities/bulk', { ...target, action })
    setOpen(null)
    onDone(result, what)
  }
  return (
    <section className="bulk-bar" aria-label="Bulk actions">
      <p className="bulk-count" aria-live="polite">
        <strong>{allMatching ? `All ${many} matching this view` : `${many} selected`}</strong>
        {canSelectAllMatching && total !== null ? (
          <button type="button" className="btn btn-link btn-sm" onClick={onSelectAllMatching}>
            Select all {fmtCount(total, totalIsEstimate)} matching
          </button>
        ) : null}
        <button type="button" className="btn btn-link btn-sm" onClick={onClear}>
          Clear selection
        </button>
      </p>
      <div className="bulk-actions">
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setOpen('assign')}>
          Assign…
        </button>
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setOpen('stage')}>
          Move stage…
        </button>
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setOpen('decision')}>
          Decide…
        </button>
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setOpen('comment')}>
          Comment…
        </button>
        <BulkTicketsButton target={target} count={count} onDone={onClear} />
      </div>
      {open === 'assign' ? (
        <AssignDialog many={many} users={users} onClose={() => setOpen(null)} apply={apply} />
      ) : null}
      {open === 'stage' ? <StageDialog many={many} onClose={() => setOpen(null)} apply={apply} /> : null}
      {open === 'comment' ? <CommentDialog many={many} onClose={() => setOpen(null)} apply={apply} /> : null}
      {open === 'decision' ? (
        <DecisionDialog
          title={`Decide on ${many}`}
          submitLabel={`Record for ${many}`}
          onClose={() => setOpen(null)}
          onSubmit={({ scope: _scope, ...decision }) =>
            apply({ decision }, `${DECISION_LABEL[decision.kind]} recorded`)
          }
        />
      ) : null}
    </section>
  )
}

type Apply = (action: Record<string, unknown>, what: string) => Promise<void>

function AssignDialog({
  many,
  users,
  onClose,
  apply,
}: {
  many: string
  users: AssignableUser[]
  onClose: () => void
  apply: Apply
}) {
  const { user } = useAuth()
  const [to, setTo] = useState<string>(user.id && users.some((u) => u.id === user.id) ? user.id : '')
  const name = users.find((u) => u.id === to)?.username
  return (
    <FormDialog
      title={`Assign ${many}`}
      formId="bulk-assign-form"
      submitLabel="Assign"
      busyLabel="Assigning…"
      onClose={onClose}
      errorTitle={() => 'Nothing was assigned'}
      onSubmit={() => apply({ assigneeId: to || null }, name ? `Assigned to ${name}` : 'Unassigned')}
    >
      {() => (
        <div className="field">
          <label htmlFor="bulk-assignee">Assign to</label>
          <select id="bulk-assignee" value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">Nobody (unassign)</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
                {u.id === user.id ? ' (me)' : ''}
              </option>
            ))}
          </select>
        </div>
      )}
    </FormDialog>
  )
}

function StageDialog({ many, onClose, apply }: { many: string; onClose: () => void; apply: Apply }) {
  const [stage, setStage] = useState<Stage>('triaged')
  return (
    <FormDialog
      title={`Move ${many} to a stage`}
      formId="bulk-stage-form"
      submitLabel="Move"
      busyLabel="Moving…"
      onClose={onClose}
      errorTitle={() => 'No stage was moved'}
      onSubmit={() => apply({ stage }, `Moved to ${STAGE_LABEL[stage]}`)}
    >
      {() => (
        <div className="field">
          <label htmlFor="bulk-stage">Stage</label>
          <select id="bulk-stage" value={stage} onChange={(e) => setStage(e.target.value as Stage)}>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {STAGE_LABEL[s]}
              </option>
            ))}
          </select>
          <p className="help">Stages move on open issues only: when one of them is not open, none moves.</p>
        </div>
      )}
    </FormDialog>
  )
}

function CommentDialog({ many, onClose, apply }: { many: string; onClose: () => void; apply: Apply }) {
  const [body, setBody] = useState('')
  return (
    <FormDialog
      title={`Comment on ${many}`}
      formId="bulk-comment-form"
      submitLabel="Comment"
      busyLabel="Commenting…"
      onClose={onClose}
      errorTitle={() => 'No comment was added'}
      onSubmit={() => apply({ comment: body }, 'Commented')}
    >
      {() => (
        <TextArea
          id="bulk-comment"
          label="Comment"
          value={body}
          onChange={setBody}
          rows={4}
          required
          maxLength={MAX_COMMENT}
          help="Markdown. The same comment joins the timeline of each issue."
        />
      )}
    </FormDialog>
  )
}
