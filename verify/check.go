package verify

import (
	"context"
	"crypto/ecdsa"
	"slices"
	"strings"
	"time"

	"keyhouse/internal/token"
)

// verify checks a token not in the cache: signature by a key of the JWKS
// (one refresh for a kid it does not know), the rules of keyhouse's own
// verifier (internal/token), the issuer, and the scope.
func (v *Verifier) verify(ctx context.Context, raw string, now time.Time) (*Claims, error) {
	tc, err := token.VerifyPublic(raw, now, func(kid string) (*ecdsa.PublicKey, error) { return v.keyFor(ctx, kid) })
	if err != nil || tc.Issuer != v.cfg.Issuer || !slices.Contains(strings.Fields(tc.Scope), "integration") {
		return nil, ErrInvalidToken
	}
	return &Claims{
		OrganizationID: tc.OrgID, Environment: string(tc.Env), ClientID: tc.ClientID, APIKeyID: tc.APIKeyID,
		Scope: tc.Scope, IssuedAt: tc.IssuedAt, ExpiresAt: tc.Expiry, TokenID: tc.ID, kid: tc.KeyID,
	}, nil
}

// keyFor returns the public key of kid: from the JWKS held, else from a
// fresh fetch unless one was made within refreshGap.
func (v *Verifier) keyFor(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	if v.isRetired(kid) {
		return nil, token.ErrRetiredKey
	}
	if k := (*v.keys.Load())[kid]; k != nil {
		return k, nil
	}
	if err := v.refreshSoon(ctx); err != nil {
		v.cfg.Logger.Warn("verify: fetch the JWKS for an unknown kid", "err", err)
	}
	if k := (*v.keys.Load())[kid]; k != nil {
		return k, nil
	}
	return nil, token.ErrUnknownKey
}

// refresh fetches the JWKS unless it was fetched within gap.
func (v *Verifier) refresh(ctx context.Context, gap time.Duration) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	if time.Since(v.fetched) < gap {
		return nil
	}
	return v.fetchLocked(ctx)
}

// refreshSoon fetches the JWKS for a kid it does not hold: once
// refreshGap has passed since the last fetch (waiting for it), and not at
// all if another request fetched it meanwhile. Made-up kids thus cost
// one fetch per refreshGap at most, and a kid made a moment ago is found
// within it.
func (v *Verifier) refreshSoon(ctx context.Context) error {
	asked := time.Now()
	v.fetchMu.Lock()
	wait := refreshGap - time.Since(v.fetched)
	v.fetchMu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	if v.fetched.After(asked) {
		return nil
	}
	return v.fetchLocked(ctx)
}

// cachedClaims returns the claims of a token verified before, or nil. A
// token found in the cache's old half moves back to the young one, so
// that tokens in use outlive a flood of new ones.
func (v *Verifier) cachedClaims(sum [32]byte) *Claims {
	c, _ := v.cached.Load(sum)
	return c
}

// cache remembers a verified token; when the cache is full it forgets
// its older half, never all of it at once.
func (v *Verifier) cache(sum [32]byte, c *Claims) { v.cached.Store(sum, c) }

// isRevoked reports whether c's key was deleted or its signing key
// revoked, as far as the feed has said.
func (v *Verifier) isRevoked(c *Claims) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	_, gone := v.revoked[c.APIKeyID]
	return gone || v.retired[c.kid]
}

// isRetired reports whether the feed named kid revoked.
func (v *Verifier) isRetired(kid string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.retired[kid]
}

// fresh answers ErrStale when the feed has not answered for longer than
// MaxStaleness, logging when that starts and ends.
func (v *Verifier) fresh() error {
	since := time.Since(time.Unix(0, v.heard.Load()))
	stale := since > v.cfg.MaxStaleness
	if stale != v.stale.Load() && v.stale.CompareAndSwap(!stale, stale) {
		if stale {
			v.cfg.Logger.Error("verify: no news from keyhouse's revocation feed; refusing every token (fail closed)",
				"silent_for", since.Round(time.Second), "max_staleness", v.cfg.MaxStaleness, "issuer", v.cfg.Issuer)
		} else {
			v.cfg.Logger.Info("verify: keyhouse's revocation feed answers again; accepting tokens")
		}
	}
	if stale {
		return ErrStale
	}
	return nil
}
