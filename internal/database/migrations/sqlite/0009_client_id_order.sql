-- A client_id is unique per sender, as before; the index now leads with
-- the client_id. Keyed by sender first, every chatting visitor kept a leaf
-- of its own hot in it (a page write in a random place of the file for
-- each message); the widget's and the dashboard's client_ids begin with the
-- time they were made, so by client_id first new entries go to one place.
DROP INDEX messages_client_id;
CREATE UNIQUE INDEX messages_client_id ON messages (client_id, sender_id) WHERE client_id IS NOT NULL;
