package keyhousetest

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"keyhouse/internal/seal"
	"keyhouse/internal/token"
)

// SigningKeyIDs returns the ids of the stored signing keys, oldest first.
func (e *Env) SigningKeyIDs(tb testing.TB) []string {
	tb.Helper()
	stored, err := e.Store.ListSigningKeys(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	kids := make([]string, len(stored))
	for i, sk := range stored {
		kids[i] = sk.ID
	}
	return kids
}

// StealSigningKey returns the stored signing key kid, unsealed with the
// test secret: what an attacker who stole it would sign with.
func (e *Env) StealSigningKey(tb testing.TB, kid string) token.Key {
	tb.Helper()
	stored, err := e.Store.ListSigningKeys(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	box, err := seal.New(seal.Derive(Secret, "signing-key"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, sk := range stored {
		if sk.ID != kid {
			continue
		}
		der, err := box.Open(sk.SealedKey, sk.ID)
		if err != nil {
			tb.Fatal(err)
		}
		priv, err := token.ParsePrivate(der)
		if err != nil {
			tb.Fatal(err)
		}
		return token.Key{ID: kid, Private: priv, CreatedAt: sk.CreatedAt}
	}
	tb.Fatalf("no stored signing key %s", kid)
	return token.Key{}
}

// kidPattern is what a kid looks like (base64url), so that SetRetiredAt
// can write it into its statement.
var kidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// SetRetiredAt moves the stored retirement of the signing key kid to at,
// as someone with write access to the database could.
func (e *Env) SetRetiredAt(tb testing.TB, kid string, at time.Time) {
	tb.Helper()
	if !kidPattern.MatchString(kid) {
		tb.Fatalf("kid %q", kid)
	}
	// Literals rather than placeholders: the two dialects spell those differently.
	q := fmt.Sprintf(`UPDATE signing_keys SET retired_at = %d WHERE kid = '%s'`, at.UnixMicro(), kid)
	if _, err := e.Store.DB().ExecContext(context.Background(), q); err != nil {
		tb.Fatal(err)
	}
}

// Forge signs c with k whatever the service thinks of k, as a holder of
// its private key would.
func Forge(tb testing.TB, k token.Key, c token.Claims) string {
	tb.Helper()
	r := token.NewRing()
	if err := r.Set([]token.Key{{ID: k.ID, Private: k.Private, CreatedAt: k.CreatedAt}}); err != nil {
		tb.Fatal(err)
	}
	tok, err := r.Sign(c)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}
