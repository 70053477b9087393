-- The security log: who signed in, failed to, changed a role, made or
-- revoked an API key, changed settings... Read by the account's owner,
-- newest first, optionally for one action or one actor; kept at least a
-- year (see server.AuditRetention). Never secrets or message text.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    -- agent, api_key, system or anonymous; the name and email are the
    -- agent's at the time.
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    actor_email TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id TEXT NOT NULL DEFAULT '',
    target_label TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
-- The page query of each filter walks its own index in order: no sort.
CREATE INDEX audit_events_account ON audit_events (account_id, created_at DESC, id DESC);
CREATE INDEX audit_events_action ON audit_events (account_id, action, created_at DESC, id DESC);
CREATE INDEX audit_events_actor ON audit_events (account_id, actor_id, created_at DESC, id DESC);
-- The prune of old entries.
CREATE INDEX audit_events_created ON audit_events (created_at);
