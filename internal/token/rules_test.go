package token

import (
	"errors"
	"testing"
	"time"
)

// forge signs c with k as a holder of k's private key would, whatever the
// ring thinks of k: k is given to a ring of its own as its current key.
func forge(tb testing.TB, k Key, c Claims) string {
	tb.Helper()
	return MustSign(tb, MustRing(tb, Key{ID: k.ID, Private: k.Private, CreatedAt: k.CreatedAt}), c)
}

// TestVerifyRule checks SPEC §3's rule: a token verifies only if its kid
// is published at that moment, exp - iat is at most 1200 s, and iat is not
// after its key's retirement.
func TestVerifyRule(t *testing.T) {
	now := t0.Add(72 * time.Hour)
	current := MustKey(t, now.Add(-48*time.Hour))
	longRetired := MustKey(t, now.Add(-96*time.Hour))
	longRetired.RetiredAt = now.Add(-48 * time.Hour) // moved two days back
	justRetired := MustKey(t, now.Add(-96*time.Hour))
	justRetired.RetiredAt = now.Add(-10 * time.Minute)
	stranger := MustKey(t, now)
	r := MustRing(t, current, longRetired, justRetired)

	yearAhead := testClaims(now)
	yearAhead.Expiry = now.Add(365 * 24 * time.Hour)
	tooLong := testClaims(now)
	tooLong.Expiry = now.Add(Lifetime + time.Second)
	exact := testClaims(now)
	beforeRetirement := testClaims(justRetired.RetiredAt.Add(-time.Minute))
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"retired key moved back, exp a year ahead", forge(t, longRetired, yearAhead), ErrRetiredKey},
		{"retired key moved back, exp - iat = 1200", forge(t, longRetired, exact), ErrRetiredKey},
		{"current key, exp a year ahead", forge(t, current, yearAhead), ErrLifetime},
		{"current key, exp - iat = 1201", forge(t, current, tooLong), ErrLifetime},
		{"published retired key, iat after its retirement", forge(t, justRetired, exact), ErrRetiredKey},
		{"kid not in the JWKS", forge(t, stranger, exact), ErrUnknownKey},
		{"current key, exp - iat = 1200", forge(t, current, exact), nil},
		{"published retired key, iat before its retirement", forge(t, justRetired, beforeRetirement), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Verify(tt.token, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	kids := jwksKids(t, r.JWKS(now))
	if len(kids) != 2 || kids[0] != current.ID || kids[1] != justRetired.ID {
		t.Fatalf("JWKS kids = %v, want the current and the just-retired key", kids)
	}
}

// TestVerifies checks the key check of a cached token against Verify.
func TestVerifies(t *testing.T) {
	now := t0.Add(time.Hour)
	current := MustKey(t, t0)
	retired := MustKey(t, t0.Add(-time.Hour))
	retired.RetiredAt = now.Add(-10 * time.Minute)
	r := MustRing(t, current, retired)
	tests := []struct {
		name string
		kid  string
		iat  time.Time
		now  time.Time
		want bool
	}{
		{"current key", current.ID, now, now, true},
		{"retired key, iat before retirement", retired.ID, retired.RetiredAt.Add(-time.Second), now, true},
		{"retired key, iat after retirement", retired.ID, retired.RetiredAt.Add(time.Second), now, false},
		{"retired key out of the JWKS", retired.ID, retired.RetiredAt.Add(-time.Second), retired.RetiredAt.Add(Lifetime + Leeway), false},
		{"unknown key", "nope", now, now, false},
	}
	for _, tt := range tests {
		if got := r.Verifies(tt.kid, tt.iat, tt.now); got != tt.want {
			t.Errorf("%s: Verifies = %v, want %v", tt.name, got, tt.want)
		}
	}
}
