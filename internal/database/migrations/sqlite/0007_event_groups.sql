-- A row of the event log may hold several events: the consecutive events
-- one transaction appended for the same audience (an account's agents, or
-- one visitor too), seq to end_seq, with data their frames one per line.
-- A visitor's message appends two events (message.created and
-- conversation.updated); one row for both halves the log's writes.
-- end_seq is NULL for a row of one event, whose data is the object alone.
ALTER TABLE events ADD COLUMN end_seq BIGINT;
