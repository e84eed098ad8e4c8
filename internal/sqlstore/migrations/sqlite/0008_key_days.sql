-- 0008_key_days: requests authenticated with each API key (token and
-- introspection requests), per UTC day (day: unix microseconds of its
-- midnight), for the console's charts. The key-usage flush adds to it in
-- batches, never the request itself. A deleted key's rows stay: the
-- environment's totals of past days do not change.
CREATE TABLE key_days (
	org_id      TEXT    NOT NULL,
	environment TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	key_id      TEXT    NOT NULL,
	day         INTEGER NOT NULL,
	count       INTEGER NOT NULL,
	PRIMARY KEY (org_id, environment, key_id, day)
) STRICT;
