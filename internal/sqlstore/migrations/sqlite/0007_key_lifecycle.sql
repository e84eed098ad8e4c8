-- Key lifecycle (SPEC §10): a key may expire (expires_at, NULL for
-- never), be bound to client addresses (allowed_cidrs, comma-separated
-- CIDR ranges, '' for anywhere), be replaced by a roll (replaced_by), and
-- have had expiry reminders sent (expiry_reminded_days: 7, then 1), and
-- have had its expiry put in the revocation feed (expiry_announced).
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN allowed_cidrs TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT;
ALTER TABLE api_keys ADD COLUMN expiry_reminded_days INTEGER;
ALTER TABLE api_keys ADD COLUMN expiry_announced INTEGER NOT NULL DEFAULT 0;

CREATE INDEX api_keys_expires_at ON api_keys (expires_at) WHERE expires_at IS NOT NULL;
-- The expiries not yet in the feed, looked for every half second.
CREATE INDEX api_keys_unannounced ON api_keys (expires_at) WHERE expires_at IS NOT NULL AND expiry_announced = 0;

-- The organization's maximum lifetime of new keys, in days; NULL for none.
ALTER TABLE organizations ADD COLUMN max_key_lifetime_days INTEGER;
