package client

import (
	"context"
	"net/http"
	"time"
)

// GenerateKeyWith makes a key for a client as opts asks; its secret is in
// this answer only.
func (c *Client) GenerateKeyWith(ctx context.Context, env, clientID string, opts KeyOptions) (*GeneratedKey, error) {
	var out GeneratedKey
	in := struct {
		Description  string     `json:"description,omitempty"`
		ExpiresAt    *time.Time `json:"expires_at,omitempty"`
		AllowedCIDRs []string   `json:"allowed_cidrs,omitempty"`
	}{opts.Description, opts.ExpiresAt, opts.AllowedCIDRs}
	return &out, c.call(ctx, http.MethodPost, keyPath(env, clientID), in, &out, http.StatusCreated)
}

// SetAllowedCIDRs changes the client addresses a key works from (none:
// anywhere).
func (c *Client) SetAllowedCIDRs(ctx context.Context, env, clientID, keyID string, cidrs []string) (*Key, error) {
	if cidrs == nil {
		cidrs = []string{}
	}
	var out Key
	in := struct {
		AllowedCIDRs []string `json:"allowed_cidrs"`
	}{cidrs}
	return &out, c.call(ctx, http.MethodPatch, keyPath(env, clientID, keyID), in, &out, http.StatusOK)
}

// RollKey makes a new key in place of keyID, with its description and
// addresses; the old key keeps working for grace (0 to 7 days, whole
// seconds), then stops. Owners only.
func (c *Client) RollKey(ctx context.Context, env, clientID, keyID string, grace time.Duration) (*RolledKey, error) {
	var out RolledKey
	in := struct {
		GraceSeconds int64 `json:"grace_seconds"`
	}{int64(grace / time.Second)}
	return &out, c.call(ctx, http.MethodPost, keyPath(env, clientID, keyID)+"/roll", in, &out, http.StatusCreated)
}

// Organization returns the signed-in member's organization with its key
// policy.
func (c *Client) Organization(ctx context.Context) (*Organization, error) {
	var out Organization
	return &out, c.call(ctx, http.MethodGet, "/api/v1/organization", nil, &out, http.StatusOK)
}

// SetMaxKeyLifetime sets the longest a new key may live, in days (nil: no
// maximum). Owners only.
func (c *Client) SetMaxKeyLifetime(ctx context.Context, days *int) (*Organization, error) {
	var out Organization
	in := struct {
		MaxKeyLifetimeDays *int `json:"max_key_lifetime_days"`
	}{days}
	return &out, c.call(ctx, http.MethodPatch, "/api/v1/organization", in, &out, http.StatusOK)
}
