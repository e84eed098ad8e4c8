-- 0002_data_plane: token-signing keys and per-day event counts.

-- Token-signing keys, shared by every instance. private_key is the PKCS#8
-- key sealed with the server secret. retired_at is NULL for the key that
-- signs; a retired key verifies until its last token expires.
CREATE TABLE signing_keys (
	kid         TEXT    NOT NULL PRIMARY KEY,
	private_key TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	retired_at  INTEGER
) STRICT;

-- Events received per client and UTC day (day: unix microseconds of its
-- midnight), kept with every intake commit so that the data-received
-- summary never counts the events table.
CREATE TABLE event_days (
	org_id           TEXT    NOT NULL,
	environment      TEXT    NOT NULL,
	client_id        TEXT    NOT NULL,
	day              INTEGER NOT NULL,
	count            INTEGER NOT NULL,
	last_received_at INTEGER NOT NULL,
	PRIMARY KEY (org_id, environment, client_id, day)
) STRICT;

INSERT INTO event_days (org_id, environment, client_id, day, count, last_received_at)
SELECT org_id, environment, client_id, received_at - received_at % 86400000000, COUNT(*), MAX(received_at)
FROM events
GROUP BY org_id, environment, client_id, received_at - received_at % 86400000000;
