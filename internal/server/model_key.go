package server

import (
	"net/netip"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// keyResponse is an API key, without its secret.
type keyResponse struct {
	KeyID       string     `json:"key_id"`
	SecretLast4 string     `json:"secret_last4"`
	Description *string    `json:"description"` // null for legacy keys
	Legacy      bool       `json:"legacy"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	// ExpiresAt is null for a key that never expires.
	ExpiresAt    *time.Time     `json:"expires_at"`
	AllowedCIDRs []netip.Prefix `json:"allowed_cidrs"` // []: anywhere
	ReplacedBy   *string        `json:"replaced_by"`   // the key a roll made in its place
	Expired      bool           `json:"expired"`
}

func newKeyResponse(k *keyhouse.APIKey) keyResponse {
	return keyResponse{KeyID: k.KeyID, SecretLast4: k.SecretLast4, Description: k.Description, Legacy: k.Legacy,
		CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy, LastUsedAt: k.LastUsedAt,
		ExpiresAt: k.ExpiresAt, AllowedCIDRs: cidrList(k.AllowedCIDRs), ReplacedBy: k.ReplacedBy, Expired: k.Expired}
}

// cidrList is ps, [] rather than null for none.
func cidrList(ps []netip.Prefix) []netip.Prefix {
	if ps == nil {
		return []netip.Prefix{}
	}
	return ps
}

// generatedKeyResponse is a new key: the only answer that holds the secret.
type generatedKeyResponse struct {
	KeyID        string         `json:"key_id"`
	APIKey       string         `json:"api_key"`
	Secret       string         `json:"secret"`
	Description  *string        `json:"description"`
	CreatedAt    time.Time      `json:"created_at"`
	ExpiresAt    *time.Time     `json:"expires_at"`
	AllowedCIDRs []netip.Prefix `json:"allowed_cidrs"`
}

func newGeneratedKeyResponse(g *service.GeneratedKey) generatedKeyResponse {
	return generatedKeyResponse{KeyID: g.KeyID, APIKey: g.APIKey, Secret: g.Secret, Description: g.Description,
		CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt, AllowedCIDRs: cidrList(g.AllowedCIDRs)}
}

// rolledKeyResponse is the answer to a roll: the new key as generation
// answers it, the key it replaces, and when that one stops working.
type rolledKeyResponse struct {
	generatedKeyResponse
	Replaces        string    `json:"replaces"`
	OldKeyExpiresAt time.Time `json:"old_key_expires_at"`
}

func newRolledKeyResponse(r *service.RolledKey) rolledKeyResponse {
	return rolledKeyResponse{newGeneratedKeyResponse(&r.GeneratedKey), r.Replaces, r.OldKeyExpiresAt}
}

// keyCreateRequest generates a key; the body is optional.
type keyCreateRequest struct {
	Description  string   `json:"description"`
	ExpiresAt    *string  `json:"expires_at"` // RFC 3339; absent or null: none
	AllowedCIDRs []string `json:"allowed_cidrs"`
}

// keyUpdateRequest changes a key's description ("" clears it), its
// allowed addresses ([]: anywhere), or both.
type keyUpdateRequest struct {
	Description  *string   `json:"description"`
	AllowedCIDRs *[]string `json:"allowed_cidrs"`
}

// keyRollRequest rolls a key: the old key works grace_seconds more.
type keyRollRequest struct {
	GraceSeconds *int64 `json:"grace_seconds"`
}

// keyDeleteRequest confirms a deletion with the client ID.
type keyDeleteRequest struct {
	ConfirmClientID string `json:"confirm_client_id"`
}
