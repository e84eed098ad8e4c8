-- 0001_init: the whole schema of keyhouse 1, as migrations/sqlite/0001_init.sql.
--
-- Times are unix microseconds in BIGINT; NULL where the time is optional.

CREATE TABLE organizations (
	id         TEXT   NOT NULL PRIMARY KEY,
	name       TEXT   NOT NULL,
	state      TEXT   NOT NULL CHECK (state IN ('pending', 'active')),
	created_at BIGINT NOT NULL
);

CREATE TABLE users (
	id             TEXT   NOT NULL PRIMARY KEY,
	email          TEXT   NOT NULL UNIQUE,
	status         TEXT   NOT NULL CHECK (status IN ('pending', 'active')),
	password_hash  TEXT   NOT NULL DEFAULT '',
	totp_secret    TEXT   NOT NULL DEFAULT '',
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL
);

-- roles: keyhouse.Roles.String(), e.g. 'owner,admin'.
CREATE TABLE memberships (
	org_id  TEXT NOT NULL REFERENCES organizations (id),
	user_id TEXT NOT NULL REFERENCES users (id),
	roles   TEXT NOT NULL,
	PRIMARY KEY (org_id, user_id)
);

CREATE INDEX memberships_user_id ON memberships (user_id);

-- One-time links. user_id and org_id are '' when the link has none (setup).
CREATE TABLE links (
	token_hash BYTEA  NOT NULL PRIMARY KEY,
	purpose    TEXT   NOT NULL,
	user_id    TEXT   NOT NULL DEFAULT '',
	org_id     TEXT   NOT NULL DEFAULT '',
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);

CREATE INDEX links_user_id_purpose ON links (user_id, purpose);

CREATE TABLE sessions (
	token_hash   BYTEA  NOT NULL PRIMARY KEY,
	user_id      TEXT   NOT NULL REFERENCES users (id),
	org_id       TEXT   NOT NULL REFERENCES organizations (id),
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);

-- client_id is unique per deployment. The UNIQUE triple is the target of
-- the api_keys foreign key: a key is in its client's organization and
-- environment, never another.
CREATE TABLE clients (
	client_id      TEXT   NOT NULL PRIMARY KEY,
	org_id         TEXT   NOT NULL REFERENCES organizations (id),
	environment    TEXT   NOT NULL CHECK (environment IN ('sandbox', 'production')),
	name           TEXT   NOT NULL,
	initialized_at BIGINT,
	created_at     BIGINT NOT NULL,
	UNIQUE (client_id, org_id, environment)
);

CREATE INDEX clients_org_id_environment ON clients (org_id, environment);

-- description is NULL for legacy keys. Keys are deleted explicitly (no
-- cascade): deletion is the revocation.
CREATE TABLE api_keys (
	key_id       TEXT    NOT NULL PRIMARY KEY,
	org_id       TEXT    NOT NULL,
	environment  TEXT    NOT NULL,
	client_id    TEXT    NOT NULL,
	secret_hash  BYTEA   NOT NULL UNIQUE,
	secret_last4 TEXT    NOT NULL,
	description  TEXT,
	legacy       BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT  NOT NULL,
	created_by   TEXT    NOT NULL,
	last_used_at BIGINT,
	FOREIGN KEY (client_id, org_id, environment) REFERENCES clients (client_id, org_id, environment)
);

CREATE INDEX api_keys_client_id ON api_keys (client_id);
CREATE INDEX api_keys_org_id_environment ON api_keys (org_id, environment, created_at);

-- Events received through the intake API. They outlive the key that sent
-- them, so key_id is not a foreign key.
CREATE TABLE events (
	id          TEXT   NOT NULL PRIMARY KEY,
	org_id      TEXT   NOT NULL,
	environment TEXT   NOT NULL,
	client_id   TEXT   NOT NULL,
	key_id      TEXT   NOT NULL,
	received_at BIGINT NOT NULL,
	payload     BYTEA  NOT NULL
);

-- Append-only: the store never updates or deletes a row. org_id and
-- environment are '' for deployment-wide events.
CREATE TABLE audit_events (
	id          BIGSERIAL NOT NULL PRIMARY KEY,
	at          BIGINT    NOT NULL,
	org_id      TEXT      NOT NULL,
	environment TEXT      NOT NULL DEFAULT '',
	actor       TEXT      NOT NULL,
	action      TEXT      NOT NULL,
	target      TEXT      NOT NULL DEFAULT '',
	ip          TEXT      NOT NULL DEFAULT '',
	user_agent  TEXT      NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_org_id_id ON audit_events (org_id, id);

-- Failed sign-ins per subject (an account or a source IP).
CREATE TABLE login_throttles (
	key          TEXT    NOT NULL PRIMARY KEY,
	failures     INTEGER NOT NULL,
	locked_until BIGINT,
	updated_at   BIGINT  NOT NULL
);
