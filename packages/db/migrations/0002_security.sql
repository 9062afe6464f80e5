-- Security: a session never carries more than the credential it came from; runs know which process owns them.

-- a session opened with an API token is capped at the token's role and ends with the token
ALTER TABLE sessions ADD COLUMN token_id uuid REFERENCES api_tokens(id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN max_role text CHECK (max_role IN ('admin', 'member', 'viewer'));
CREATE INDEX sessions_user ON sessions (user_id);

-- the process running a run: host, pid and a lease the database can prove expired (a session advisory lock on
-- PostgreSQL; on PGlite only one process can open the database)
ALTER TABLE sync_runs ADD COLUMN owner jsonb;

-- failed sign-ins are audit events; the login rate limit counts them per account and per address
CREATE INDEX audit_events_login_failed_account ON audit_events (target, at) WHERE action = 'auth.login_failed';
CREATE INDEX audit_events_login_failed_address ON audit_events ((detail->>'address'), at) WHERE action = 'auth.login_failed';
