-- The revocation feed (GET /v1/revocations): every key deletion and every
-- revoked signing key. DeleteKey and RevokeSigningKeys add the entries in
-- the deleting transaction; AUTOINCREMENT never reuses an id, even after
-- pruning.
CREATE TABLE revocations (
	id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	kind       TEXT    NOT NULL, -- 'api_key' or 'signing_key'
	subject    TEXT    NOT NULL, -- the key id or the kid
	revoked_at INTEGER NOT NULL
) STRICT;

CREATE INDEX revocations_revoked_at ON revocations (revoked_at);

-- What pruning forgot: a cursor below pruned_through has missed entries.
CREATE TABLE revocation_horizon (
	one            INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
	pruned_through INTEGER NOT NULL
) STRICT;

INSERT INTO revocation_horizon (one, pruned_through) VALUES (1, 0);

-- Credentials of the product's own services (introspection and the
-- revocation feed): the HMAC of the credential, never the credential.
CREATE TABLE resource_servers (
	id          TEXT    NOT NULL PRIMARY KEY,
	name        TEXT    NOT NULL,
	secret_hash BLOB    NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL,
	created_by  TEXT    NOT NULL
) STRICT;
