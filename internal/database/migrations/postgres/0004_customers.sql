-- The complete visitor card: the shop's customer behind a contact, visits,
-- API keys for the shop's back end, and identity verification.

-- external_id is the shop's own user id, from parley('identify') or the
-- customers API; shop is what the shop sends about its customer (JSON).
ALTER TABLE contacts ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN shop TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX contacts_external_id ON contacts (account_id, external_id) WHERE external_id <> '';
CREATE INDEX contacts_email ON contacts (account_id, email) WHERE email <> '';

-- A visit is a run of page views with gaps under 30 minutes.
ALTER TABLE visitors ADD COLUMN visit_id TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN visit_started_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN last_view_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN visits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN visit_pages BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN referrer TEXT NOT NULL DEFAULT '';
ALTER TABLE page_views ADD COLUMN visit_id TEXT NOT NULL DEFAULT '';
ALTER TABLE page_views ADD COLUMN visit_start BOOLEAN NOT NULL DEFAULT FALSE;

-- Keys a shop's back end uses to push customer data; only the hash is kept.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

-- Identity verification: user_hash = HMAC-SHA256(identity_secret, user_id).
ALTER TABLE accounts ADD COLUMN identity_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN identity_verify BOOLEAN NOT NULL DEFAULT FALSE;
