-- 0001_init: the whole schema of keyhouse 1.
--
-- Times are unix microseconds in INTEGER (SQLite's 64-bit integer: the
-- BIGINT of migrations/postgres); NULL where the time is optional.
-- Tables are STRICT so that a value of the wrong type is refused instead of
-- stored. Booleans are 0/1.

CREATE TABLE organizations (
	id         TEXT    NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	state      TEXT    NOT NULL CHECK (state IN ('pending', 'active')),
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
	id             TEXT    NOT NULL PRIMARY KEY,
	email          TEXT    NOT NULL UNIQUE,
	status         TEXT    NOT NULL CHECK (status IN ('pending', 'active')),
	password_hash  TEXT    NOT NULL DEFAULT '',
	totp_secret    TEXT    NOT NULL DEFAULT '',
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL
) STRICT;

-- roles: keyhouse.Roles.String(), e.g. 'owner,admin'.
CREATE TABLE memberships (
	org_id  TEXT NOT NULL REFERENCES organizations (id),
	user_id TEXT NOT NULL REFERENCES users (id),
	roles   TEXT NOT NULL,
	PRIMARY KEY (org_id, user_id)
) STRICT;

CREATE INDEX memberships_user_id ON memberships (user_id);

-- One-time links. user_id and org_id are '' when the link has none (setup).
CREATE TABLE links (
	token_hash BLOB    NOT NULL PRIMARY KEY,
	purpose    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL DEFAULT '',
	org_id     TEXT    NOT NULL DEFAULT '',
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) STRICT;

CREATE INDEX links_user_id_purpose ON links (user_id, purpose);

CREATE TABLE sessions (
	token_hash   BLOB    NOT NULL PRIMARY KEY,
	user_id      TEXT    NOT NULL REFERENCES users (id),
	org_id       TEXT    NOT NULL REFERENCES organizations (id),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id);

-- client_id is unique per deployment. The UNIQUE triple is the target of
-- the api_keys foreign key: a key is in its client's organization and
-- environment, never another.
CREATE TABLE clients (
	client_id      TEXT    NOT NULL PRIMARY KEY,
	org_id         TEXT    NOT NULL REFERENCES organizations (id),
	environment    TEXT    NOT NULL CHECK (environment IN ('sandbox', 'production')),
	name           TEXT    NOT NULL,
	initialized_at INTEGER,
	created_at     INTEGER NOT NULL,
	UNIQUE (client_id, org_id, environment)
) STRICT;

CREATE INDEX clients_org_id_environment ON clients (org_id, environment);

-- description is NULL for legacy keys. Keys are deleted explicitly (no
-- cascade): deletion is the revocation.
CREATE TABLE api_keys (
	key_id       TEXT    NOT NULL PRIMARY KEY,
	org_id       TEXT    NOT NULL,
	environment  TEXT    NOT NULL,
	client_id    TEXT    NOT NULL,
	secret_hash  BLOB    NOT NULL UNIQUE,
	secret_last4 TEXT    NOT NULL,
	description  TEXT,
	legacy       INTEGER NOT NULL DEFAULT 0 CHECK (legacy IN (0, 1)),
	created_at   INTEGER NOT NULL,
	created_by   TEXT    NOT NULL,
	last_used_at INTEGER,
	FOREIGN KEY (client_id, org_id, environment) REFERENCES clients (client_id, org_id, environment)
) STRICT;

CREATE INDEX api_keys_client_id ON api_keys (client_id);
CREATE INDEX api_keys_org_id_environment ON api_keys (org_id, environment, created_at);

-- Events received through the intake API. They outlive the key that sent
-- them, so key_id is not a foreign key. Ids grow with time, so an intake
-- commit appends to the primary key's index; the summary reads event_days,
-- so no other index is kept up to date per event.
CREATE TABLE events (
	id          TEXT    NOT NULL PRIMARY KEY,
	org_id      TEXT    NOT NULL,
	environment TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	key_id      TEXT    NOT NULL,
	received_at INTEGER NOT NULL,
	payload     BLOB    NOT NULL
) STRICT;

-- Append-only: the store never updates or deletes a row. org_id and
-- environment are '' for deployment-wide events.
CREATE TABLE audit_events (
	id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	at          INTEGER NOT NULL,
	org_id      TEXT    NOT NULL,
	environment TEXT    NOT NULL DEFAULT '',
	actor       TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	target      TEXT    NOT NULL DEFAULT '',
	ip          TEXT    NOT NULL DEFAULT '',
	user_agent  TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_events_org_id_id ON audit_events (org_id, id);

-- Failed sign-ins per subject (an account or a source IP).
CREATE TABLE login_throttles (
	key          TEXT    NOT NULL PRIMARY KEY,
	failures     INTEGER NOT NULL,
	locked_until INTEGER,
	updated_at   INTEGER NOT NULL
) STRICT;
