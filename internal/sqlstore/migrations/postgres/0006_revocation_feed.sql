-- The revocation feed (GET /v1/revocations): every key deletion and every
-- revoked signing key. DeleteKey and RevokeSigningKeys add the entries in
-- the deleting transaction, under a lock that numbers them in the order
-- they commit.
CREATE TABLE revocations (
	id         BIGSERIAL NOT NULL PRIMARY KEY,
	kind       TEXT      NOT NULL, -- 'api_key' or 'signing_key'
	subject    TEXT      NOT NULL, -- the key id or the kid
	revoked_at BIGINT    NOT NULL
);

CREATE INDEX revocations_revoked_at ON revocations (revoked_at);

-- What pruning forgot: a cursor below pruned_through has missed entries.
CREATE TABLE revocation_horizon (
	one            INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
	pruned_through BIGINT  NOT NULL
);

INSERT INTO revocation_horizon (one, pruned_through) VALUES (1, 0);

-- Credentials of the product's own services (introspection and the
-- revocation feed): the HMAC of the credential, never the credential.
CREATE TABLE resource_servers (
	id          TEXT   NOT NULL PRIMARY KEY,
	name        TEXT   NOT NULL,
	secret_hash BYTEA  NOT NULL UNIQUE,
	created_at  BIGINT NOT NULL,
	created_by  TEXT   NOT NULL
);
