package server

import (
	"strconv"
	"time"

	"keyhouse"
)

// revocationsResponse is the answer of GET /v1/revocations, and the data of
// each of its server-sent events.
type revocationsResponse struct {
	Revoked     []revokedKeyResponse `json:"revoked"`
	RetiredKids []string             `json:"retired_kids"`
	Cursor      string               `json:"cursor"`
}

// revokedKeyResponse is one deleted API key of the feed.
type revokedKeyResponse struct {
	APIKeyID  string    `json:"api_key_id"`
	RevokedAt time.Time `json:"revoked_at"`
}

// newRevocationsResponse returns the answer for a page of the feed.
func newRevocationsResponse(p *keyhouse.RevocationPage) revocationsResponse {
	out := revocationsResponse{Revoked: []revokedKeyResponse{}, RetiredKids: []string{}, Cursor: strconv.FormatInt(p.Last, 10)}
	for _, e := range p.Entries {
		switch e.Kind {
		case keyhouse.RevokedAPIKey:
			out.Revoked = append(out.Revoked, revokedKeyResponse{APIKeyID: e.Subject, RevokedAt: e.At})
		case keyhouse.RevokedSigningKey:
			out.RetiredKids = append(out.RetiredKids, e.Subject)
		}
	}
	return out
}
