-- Outbound: the outbox over the timeline, notification subscriptions and their deliveries, tickets in trackers.

-- the outbox cursor: every timeline entry and every new issue carries the transaction that wrote it, so a reader
-- that takes only rows of finished transactions (tx below the snapshot's xmin), in (tx, id) order, never skips a row
-- that a slower transaction commits later (ADR 0012). Existing rows keep NULL: they are before every cursor.
ALTER TABLE issue_events ADD COLUMN tx xid8;
ALTER TABLE issue_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX issue_events_outbox ON issue_events (tx, id) WHERE tx IS NOT NULL;
ALTER TABLE issues ADD COLUMN created_tx xid8;
ALTER TABLE issues ALTER COLUMN created_tx SET DEFAULT pg_current_xact_id();
CREATE INDEX issues_created_outbox ON issues (created_tx, id) WHERE created_tx IS NOT NULL;

-- where each outbox reader is: the timeline position, the new-issue position, and the time scans reached
CREATE TABLE outbound_cursors (
  name         text PRIMARY KEY,
  event_tx     xid8 NOT NULL,
  event_id     bigint NOT NULL DEFAULT 0,
  issue_tx     xid8 NOT NULL,
  issue_id     bigint NOT NULL DEFAULT 0,
  scanned_at   timestamptz NOT NULL,
  -- when the reader began: scans that look back (runs that ended) never reach before it
  started_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- what happened, once each (dedupe_key), as subscribers see it
CREATE TABLE outbound_events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  type           text NOT NULL,
  dedupe_key     text NOT NULL UNIQUE,
  issue_id       bigint,
  priority_rank  smallint,
  payload        jsonb NOT NULL,
  at             timestamptz NOT NULL
);
CREATE INDEX outbound_events_at ON outbound_events (workspace_id, at DESC);

-- generic webhooks (signed) and Slack incoming webhooks; URLs and signing secrets encrypted like credentials
CREATE TABLE webhook_subscriptions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('webhook', 'slack')),
  url_enc       text NOT NULL,
  url_hint      text NOT NULL,
  secret_enc    text,
  events        jsonb NOT NULL,
  min_priority  text CHECK (min_priority IN ('critical', 'high', 'medium', 'low', 'info')),
  enabled       boolean NOT NULL DEFAULT true,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz
);
CREATE UNIQUE INDEX webhook_subscriptions_name ON webhook_subscriptions (workspace_id, lower(name)) WHERE deleted_at IS NULL;

-- one row per (subscription, event) and redelivery: the delivery log a user sees
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_id         bigint NOT NULL REFERENCES outbound_events(id) ON DELETE CASCADE,
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  last_attempt_at  timestamptz,
  last_status      int,
  last_error       text,
  duration_ms      int,
  created_at       timestamptz NOT NULL,
  delivered_at     timestamptz,
  redelivery_of    bigint
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, id DESC);

-- tickets in a tracker (Jira): one per group of issues (a fix by default), with the tracker's last known state
CREATE TABLE tracker_tickets (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id       uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  connection_id      uuid NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  group_key          text NOT NULL,
  remote_id          text,
  remote_key         text,
  remote_url         text,
  category           text NOT NULL DEFAULT 'new' CHECK (category IN ('new', 'indeterminate', 'done')),
  status_name        text,
  resolution         text,
  -- the newest change of the ticket vulnsync has taken in: older or repeated deliveries are ignored
  remote_updated_at  timestamptz,
  -- vulnsync has something to tell the tracker (create, move, rewrite); the outbound job does it, with retries
  pending            boolean NOT NULL DEFAULT true,
  content_dirty      boolean NOT NULL DEFAULT true,
  reopen_requested   boolean NOT NULL DEFAULT false,
  -- bumped by every mark: a push that read an older value leaves the ticket pending
  push_seq           int NOT NULL DEFAULT 0,
  attempts           int NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz,
  last_error         text,
  -- decisions a resolution in the tracker recorded, revoked if the ticket reopens there
  applied_decisions  jsonb NOT NULL DEFAULT '[]',
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tracker_tickets_live_group ON tracker_tickets (connection_id, group_key) WHERE category <> 'done';
CREATE UNIQUE INDEX tracker_tickets_remote ON tracker_tickets (connection_id, remote_id) WHERE remote_id IS NOT NULL;
CREATE INDEX tracker_tickets_pending ON tracker_tickets (connection_id, next_attempt_at) WHERE pending;

CREATE TABLE tracker_ticket_issues (
  ticket_id  bigint NOT NULL REFERENCES tracker_tickets(id) ON DELETE CASCADE,
  issue_id   bigint NOT NULL,
  PRIMARY KEY (ticket_id, issue_id)
);
CREATE INDEX tracker_ticket_issues_issue ON tracker_ticket_issues (issue_id);

-- per tracker connection: the account vulnsync acts as, and how far the reconciliation has read
CREATE TABLE tracker_state (
  connection_id   uuid PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  account_id      text,
  reconciled_at   timestamptz
);
