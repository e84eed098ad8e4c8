package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzNow is the clock of FuzzVerify: the valid seed, issued at t0, is
// unexpired then.
var fuzzNow = t0.Add(time.Minute)

// FuzzVerify checks that Verify never panics, answers only with its
// sentinels, never echoes the token, and verifies only tokens of a key in
// the ring.
func FuzzVerify(f *testing.F) {
	r := MustRing(f, MustFixedKey(f))
	sentinels := []error{ErrMalformed, ErrUnknownKey, ErrSignature, ErrExpired, ErrNotYetValid, ErrAudience}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := r.Verify(tok, fuzzNow)
		if err != nil {
			known := false
			for _, s := range sentinels {
				known = known || err == s
			}
			if !known {
				t.Fatalf("Verify error %v is not a sentinel", err)
			}
			return
		}
		if len(tok) > MaxLength {
			t.Fatalf("Verify accepted %d bytes", len(tok))
		}
		hdr, err := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
		if err != nil {
			t.Fatalf("verified a token whose header is not base64url: %v", err)
		}
		var h struct{ Alg, Kid string }
		if err := json.Unmarshal(hdr, &h); err != nil || h.Alg != "ES256" || !r.Has(h.Kid) {
			t.Fatalf("verified a token with header %s", hdr)
		}
		if c.Audience != Audience || c.ClientID == "" || !c.Expiry.After(fuzzNow.Add(-Leeway)) {
			t.Fatalf("verified claims %+v", c)
		}
	})
}

// TestFuzzSeedValid checks that the valid seed of FuzzVerify still
// verifies, so that the fuzzer starts from a real token.
func TestFuzzSeedValid(t *testing.T) {
	b, err := os.ReadFile("testdata/fuzz/FuzzVerify/valid")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	arg, ok := strings.CutPrefix(lines[len(lines)-1], "string(")
	if !ok || len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("seed file %q", b)
	}
	tok, err := strconv.Unquote(strings.TrimSuffix(arg, ")"))
	if err != nil {
		t.Fatal(err)
	}
	r := MustRing(t, MustFixedKey(t))
	if _, err := r.Verify(tok, fuzzNow); err != nil {
		t.Fatalf("valid seed: %v", err)
	}
	if _, err := r.Verify(tok, fuzzNow.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("valid seed an hour later: %v, want ErrExpired", err)
	}
}
