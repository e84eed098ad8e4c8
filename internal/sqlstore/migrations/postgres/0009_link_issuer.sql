-- 0009_link_issuer: the member who made each link (issued_by, a user id;
-- '' for links the command line or first-run setup made), so that a
-- member's unused links end when the member is removed or loses the right
-- to make them: without SMTP the member holds them, and could otherwise
-- activate a reset account or an invitation after leaving.
ALTER TABLE links ADD COLUMN issued_by TEXT NOT NULL DEFAULT '';
CREATE INDEX links_org_issued_by ON links (org_id, issued_by) WHERE used_at IS NULL;
