-- Remediation workflows: status and stage, decisions, assignment, SLA, the issue timeline, workspace policies.

-- status: whether it is still a problem and, if not, why; stage: how far work on an open issue has come
ALTER TABLE issues DROP CONSTRAINT issues_status_check;
ALTER TABLE issues ADD CONSTRAINT issues_status_check
  CHECK (status IN ('open', 'fixed', 'excluded', 'accepted', 'false_positive', 'not_affected'));
ALTER TABLE issues ADD COLUMN stage text NOT NULL DEFAULT 'new'
  CHECK (stage IN ('new', 'triaged', 'in_progress', 'fix_proposed', 'fix_merged'));
-- no foreign keys on this hot table (ADR 0002): users are disabled, never deleted; decisions are never deleted
ALTER TABLE issues ADD COLUMN assignee_id uuid;
-- the valid decision that governs the issue (the narrowest scope, then the newest), kept by the decision store
ALTER TABLE issues ADD COLUMN decision_id bigint;
-- the evidence changed (a new source, another installed version) under a decision: someone should look again
ALTER TABLE issues ADD COLUMN review_needed boolean NOT NULL DEFAULT false;
-- detected_at + the policy's days for its level; null when the level has no SLA
ALTER TABLE issues ADD COLUMN sla_due_at timestamptz;
-- when it stopped being open (verified fixed, or decided), for "fixed within SLA"
ALTER TABLE issues ADD COLUMN closed_at timestamptz;
ALTER TABLE issues ADD COLUMN reopened_count int NOT NULL DEFAULT 0;

CREATE INDEX issues_assignee ON issues (assignee_id, priority_rank DESC, severity_rank DESC, id DESC) WHERE assignee_id IS NOT NULL;
CREATE INDEX issues_sla_open ON issues (workspace_id, sla_due_at) WHERE status = 'open' AND sla_due_at IS NOT NULL;
CREATE INDEX issues_decision ON issues (decision_id) WHERE decision_id IS NOT NULL;

-- a decision is a record of its own: what, why, who, until when, and what it covers
CREATE TABLE decisions (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id     uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('accepted', 'false_positive', 'not_affected')),
  scope            text NOT NULL CHECK (scope IN ('issue', 'cve_in_target', 'cve_everywhere')),
  -- scope issue: the issue; cve_in_target: every issue of the CVE in the target; cve_everywhere: of the CVE
  issue_id         bigint,
  cve              text NOT NULL,
  target_key       text,
  reason           text NOT NULL,
  justification    text,
  expires_at       timestamptz,
  created_by       uuid,
  created_by_name  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  ended_at         timestamptz,
  end_reason       text CHECK (end_reason IN ('revoked', 'expired', 'superseded')),
  ended_by         text,
  needs_review     boolean NOT NULL DEFAULT false,
  review_reason    text,
  CHECK (scope <> 'issue' OR issue_id IS NOT NULL),
  CHECK (scope <> 'cve_in_target' OR target_key IS NOT NULL),
  CHECK (kind <> 'accepted' OR expires_at IS NOT NULL)
);
CREATE INDEX decisions_live_cve ON decisions (workspace_id, cve) WHERE ended_at IS NULL;
CREATE INDEX decisions_expiring ON decisions (expires_at) WHERE ended_at IS NULL AND expires_at IS NOT NULL;

-- the timeline: every change to an issue, append-only, with its actor and cause (the audit log shows them too).
-- Detections and each source's first and last sight are read from the occurrences, not copied here.
CREATE TABLE issue_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  issue_id      bigint NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  actor         text NOT NULL,
  actor_kind    text NOT NULL CHECK (actor_kind IN ('user', 'token', 'sync', 'job', 'system', 'jira', 'pull_request')),
  type          text NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}',
  bulk_id       uuid
);
CREATE INDEX issue_events_issue ON issue_events (issue_id, id);
CREATE INDEX issue_events_workspace ON issue_events (workspace_id, at DESC);

-- workspace policies (sla, priority, …) as validated JSON documents
CREATE TABLE policies (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name          text NOT NULL,
  body          jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    text,
  PRIMARY KEY (workspace_id, name)
);

-- existing issues: due dates under the default policy (by priority: critical 7, high 30, medium 90, low 180 days)
UPDATE issues SET
  sla_due_at = detected_at + make_interval(days => CASE priority WHEN 'critical' THEN 7 WHEN 'high' THEN 30
                                                    WHEN 'medium' THEN 90 WHEN 'low' THEN 180 END),
  closed_at = CASE WHEN status = 'fixed' THEN fixed_at END
WHERE priority <> 'info';
UPDATE issues SET closed_at = fixed_at WHERE status = 'fixed' AND closed_at IS NULL;
