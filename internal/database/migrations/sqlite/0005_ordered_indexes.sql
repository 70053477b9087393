-- Lists ordered by (time, id) read straight from an index that holds both,
-- instead of sorting ties in a temporary b-tree: a visitor's latest
-- conversation is looked up for every message they send.
DROP INDEX conversations_visitor;
CREATE INDEX conversations_visitor ON conversations (visitor_id, created_at DESC, id DESC);
DROP INDEX conversations_contact;
CREATE INDEX conversations_contact ON conversations (contact_id, created_at DESC, id DESC);
DROP INDEX page_views_visitor;
CREATE INDEX page_views_visitor ON page_views (visitor_id, created_at DESC, id DESC);
