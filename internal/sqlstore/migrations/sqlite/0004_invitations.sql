-- Invitations: a membership is pending until its invitation link is used
-- (SPEC §1, Invitation), and has an id of its own, so that an organization
-- never sees the id an account has elsewhere. Existing memberships take
-- their user's status and creation time; their ids are drawn at random.
ALTER TABLE memberships ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
	CHECK (status IN ('pending', 'active'));
ALTER TABLE memberships ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;

UPDATE memberships SET
	id = 'mem_' || lower(hex(randomblob(10))),
	status = (SELECT u.status FROM users u WHERE u.id = memberships.user_id),
	created_at = (SELECT u.created_at FROM users u WHERE u.id = memberships.user_id);

CREATE UNIQUE INDEX memberships_id ON memberships (id);
CREATE INDEX links_user_id_org_id ON links (user_id, org_id);
