-- 0003_events_rowid: events keyed by SQLite's rowid alone.
--
-- An event's id (keyhouse.NewEventIDs: the time in microseconds and 71
-- random bits) is unique by construction, and nothing looks an event up
-- by it, so the index that PRIMARY KEY kept beside the table was a second
-- B-tree written for every event: 2.6 µs of CPU an event, measured
-- in-process (BENCHMARKS.md). The rowid grows with every insert, so a
-- commit appends to the table's last page.
CREATE TABLE events_by_rowid (
	id          TEXT    NOT NULL,
	org_id      TEXT    NOT NULL,
	environment TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	key_id      TEXT    NOT NULL,
	received_at INTEGER NOT NULL,
	payload     BLOB    NOT NULL
) STRICT;

INSERT INTO events_by_rowid (id, org_id, environment, client_id, key_id, received_at, payload)
SELECT id, org_id, environment, client_id, key_id, received_at, payload FROM events ORDER BY id;

DROP TABLE events;

ALTER TABLE events_by_rowid RENAME TO events;
