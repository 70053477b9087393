-- Where a visitor is and what they browse with, derived from the address
-- and the User-Agent on every session (the visitor card).
ALTER TABLE visitors ADD COLUMN country_code TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN browser TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN browser_version TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN os TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN os_version TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN device TEXT NOT NULL DEFAULT '';
-- The card shows the contact's most recently seen visitor.
CREATE INDEX visitors_contact_seen ON visitors (contact_id, last_seen_at);
