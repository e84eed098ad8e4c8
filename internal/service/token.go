package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"keyhouse"
	"keyhouse/internal/dataplane"
	"keyhouse/internal/token"
)

// ScopeIntegration is the one scope of the data plane, and the default.
const ScopeIntegration = "integration"

// IssuedToken is an access token and what the token endpoint answers.
type IssuedToken struct {
	AccessToken string
	TokenType   string
	ExpiresIn   int
	Scope       string
}

// Grant is what a verified access token allows: sending data as one key
// of one client.
type Grant = dataplane.Grant

// CheckScope returns the granted scope for a requested one: "" asks for
// the default; anything but "integration" is refused.
func CheckScope(requested string) (string, bool) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		return ScopeIntegration, true
	}
	for _, f := range fields {
		if f != ScopeIntegration {
			return "", false
		}
	}
	return ScopeIntegration, true
}

// IssueToken signs an access token for an authenticated key.
func (s *Service) IssueToken(k *keyhouse.APIKey, scope string) (*IssuedToken, error) {
	now := s.now().Truncate(time.Second)
	c := token.Claims{
		Issuer: s.cfg.BaseURL, ClientID: k.ClientID, Audience: token.Audience,
		OrgID: k.OrgID, Env: k.Environment, APIKeyID: k.KeyID, Scope: scope,
		IssuedAt: now, NotBefore: now, Expiry: now.Add(token.Lifetime), ID: token.NewJTI(),
	}
	s.signing <- struct{}{}
	raw, err := s.signer.ring.Sign(c)
	<-s.signing
	if err != nil {
		return nil, err
	}
	return &IssuedToken{AccessToken: raw, TokenType: "Bearer", ExpiresIn: int(token.Lifetime / time.Second), Scope: scope}, nil
}

var errBadToken = keyhouse.Errorf(keyhouse.EINVALIDTOKEN, "the access token is missing, invalid, expired or revoked")

// VerifyToken checks an access token for the data plane: signature,
// times, audience, scope, the signing-key rule of SPEC §3, that its API
// key still exists, in the token's organization, environment and client,
// and has not expired, and that the request comes from an address the
// key allows (SPEC §10). A token seen before costs a hash and a few map look-ups; neither
// the API key nor the signing key check is cached, so a deletion or a
// revoked signing key wins at once.
func (s *Service) VerifyToken(ctx context.Context, raw string) (*Grant, error) {
	return s.verifyGrant(ctx, raw, true)
}

// verifyGrant is VerifyToken; atAddress says whether the request in ctx
// is the token's use, to be checked against the key's allowed addresses
// (not for introspection, which asks about a token used elsewhere).
func (s *Service) verifyGrant(ctx context.Context, raw string, atAddress bool) (*Grant, error) {
	sum := token.Sum(raw)
	now := s.now()
	g, revoked := s.plane.CachedGrant(sum, now)
	if revoked {
		return nil, errBadToken
	}
	if g != nil && !s.signer.ring.Verifies(g.Claims.KeyID, g.Claims.IssuedAt, now) {
		s.plane.RefuseToken(sum) // its signing key was retired or revoked since
		return nil, errBadToken
	}
	if g == nil {
		var err error
		if g, err = s.verifyToken(ctx, raw, now); err != nil {
			return nil, err
		}
		s.plane.CacheGrant(sum, g)
	}
	k, err := s.plane.Key(ctx, g.KeyID)
	if err != nil {
		return nil, err // the store is down: not a verdict on the token
	}
	if k == nil || k.Environment != g.Env || k.OrgID != g.OrgID || k.ClientID != g.ClientID || k.HasExpired(now) {
		s.plane.RefuseToken(sum)
		return nil, errBadToken
	}
	if atAddress && !s.fromAllowed(ctx, k, now) {
		return nil, errBadToken // the token stays good from an allowed address
	}
	return g, nil
}

// verifyToken checks a token that is not in the cache.
func (s *Service) verifyToken(ctx context.Context, raw string, now time.Time) (*Grant, error) {
	c, err := s.signer.ring.Verify(raw, now)
	if errors.Is(err, token.ErrUnknownKey) && s.reloadRingSoon(ctx) {
		c, err = s.signer.ring.Verify(raw, now)
	}
	if err != nil {
		return nil, errBadToken
	}
	env, err := keyhouse.ParseEnvironment("env", string(c.Env))
	if err != nil || !slices.Contains(strings.Fields(c.Scope), ScopeIntegration) {
		return nil, errBadToken
	}
	return &Grant{KeyID: c.APIKeyID, OrgID: c.OrgID, ClientID: c.ClientID, Env: env, Scope: c.Scope, Claims: c}, nil
}

// Introspect answers RFC 7662 for a token, asked by the API key caller:
// its grant when active and of the caller's own organization and
// environment; nil when expired, revoked, not a token, or another
// organization's or environment's token, so that one tenant's key learns
// nothing of another's tokens.
func (s *Service) Introspect(ctx context.Context, caller *keyhouse.APIKey, raw string) *Grant {
	g, err := s.verifyGrant(ctx, raw, false)
	if err != nil || g.OrgID != caller.OrgID || g.Env != caller.Environment {
		return nil
	}
	return g
}
