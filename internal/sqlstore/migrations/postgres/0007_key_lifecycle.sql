-- Key lifecycle (SPEC §10): a key may expire (expires_at, NULL for
-- never), be bound to client addresses (allowed_cidrs, comma-separated
-- CIDR ranges, '' for anywhere), be replaced by a roll (replaced_by), and
-- have had expiry reminders sent (expiry_reminded_days: 7, then 1).
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN allowed_cidrs TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT;
ALTER TABLE api_keys ADD COLUMN expiry_reminded_days BIGINT;

CREATE INDEX api_keys_expires_at ON api_keys (expires_at) WHERE expires_at IS NOT NULL;

-- The organization's maximum lifetime of new keys, in days; NULL for none.
ALTER TABLE organizations ADD COLUMN max_key_lifetime_days BIGINT;
