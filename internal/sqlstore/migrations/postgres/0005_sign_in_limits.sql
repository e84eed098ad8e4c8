-- Sealed console sign-in states already used: each opens once.
CREATE TABLE sign_in_states (
	id         TEXT   NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL
);

CREATE INDEX sign_in_states_expires_at ON sign_in_states (expires_at);

-- Pruning forgets idle throttle records.
CREATE INDEX login_throttles_updated_at ON login_throttles (updated_at);
