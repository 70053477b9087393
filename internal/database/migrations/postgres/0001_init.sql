-- Times are microseconds since the Unix epoch (UTC); IDs are UUIDv7 strings.

CREATE TABLE install (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    setup_token_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    widget_key TEXT NOT NULL UNIQUE,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    password_hash TEXT NOT NULL,
    notify_offline_messages BOOLEAN NOT NULL DEFAULT TRUE,
    notify_missed_conversations BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agents_account ON agents (account_id, created_at);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    account_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX tokens_agent ON tokens (agent_id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    variables TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id, created_at);

CREATE TABLE visitors (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    token_hash TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX visitors_contact ON visitors (contact_id);

CREATE TABLE page_views (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL REFERENCES visitors (id),
    url TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    referrer TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX page_views_visitor ON page_views (visitor_id, created_at);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    visitor_id TEXT REFERENCES visitors (id),
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    channel TEXT NOT NULL CHECK (channel IN ('chat', 'email', 'messenger')),
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    assignee_id TEXT REFERENCES agents (id),
    last_message_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT
);
-- The Open/Resolved lists and their views page by (last_message_at, id).
CREATE INDEX conversations_list ON conversations (account_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (account_id, status, assignee_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_visitor ON conversations (visitor_id, created_at DESC);
CREATE INDEX conversations_contact ON conversations (contact_id, created_at DESC);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'note', 'event')),
    sender_type TEXT NOT NULL CHECK (sender_type IN ('visitor', 'agent', 'system')),
    sender_id TEXT,
    sender_name TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    client_id TEXT,
    meta TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, seq);
-- A client_id is unique per sender: the same send twice stores one message.
CREATE UNIQUE INDEX messages_client_id ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;

-- The per-account event log: the truth that streams replay from. Kept in
-- (account_id, seq) order; old events are pruned per account from the front.
CREATE TABLE events (
    account_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    visitor_id TEXT,
    visitor_data TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, seq)
);
CREATE INDEX events_visitor ON events (visitor_id, seq) WHERE visitor_id IS NOT NULL;
