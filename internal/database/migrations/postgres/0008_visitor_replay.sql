-- A visitor's stream replays from the visitor's conversations and their
-- messages (a message's seq is its message.created event's), not from the
-- log: the log's index by visitor cost a page write in a random place of
-- the file for every message. event_seq is the seq of the conversation's
-- latest conversation.updated, replayed as the conversation's state now.
DROP INDEX events_visitor;
ALTER TABLE conversations ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
-- Conversations saved before this version: their latest update is not
-- known, so a visitor resuming from any earlier seq gets their state once.
UPDATE conversations SET event_seq = (SELECT last_seq FROM accounts WHERE accounts.id = conversations.account_id)
    WHERE visitor_id IS NOT NULL;
