-- Two-factor sign-in (TOTP, RFC 6238). totp_secret is the base32 secret of
-- an agent with two-factor on, totp_pending one being set up (not yet
-- confirmed with a code); totp_last_step is the time step of the last code
-- accepted, so a code is never accepted twice. Recovery codes are kept
-- only as SHA-256 hashes and deleted when used. An account's owner may
-- require two-factor sign-in of the whole team.
ALTER TABLE agents ADD COLUMN two_factor BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agents ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
CREATE TABLE recovery_codes (
    hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX recovery_codes_agent ON recovery_codes (agent_id);
ALTER TABLE accounts ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
