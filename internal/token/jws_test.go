package token

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"keyhouse"
)

// signRaw signs any header and payload with k, as a forger holding the
// key (or Sign from another version) could.
func signRaw(tb testing.TB, k Key, header, payload string) string {
	tb.Helper()
	input := b64s(header) + "." + b64s(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.Private, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// hs256 signs header and payload with HMAC-SHA256 keyed by secret.
func hs256(header, payload string, secret []byte) string {
	input := b64s(header) + "." + b64s(payload)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// payloadOf returns the JSON payload of tok.
func payloadOf(tb testing.TB, tok string) string {
	tb.Helper()
	_, p, _ := segments(tb, tok)
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	k := MustKey(t, t0)
	r := MustRing(t, k)
	odd := testClaims(t0)
	odd.Issuer = "https://k.example/\"quoted\"\\path\n\x00é中🙂"
	odd.Scope = "integration extra"
	odd.Env = keyhouse.Production
	tests := []struct {
		name string
		c    Claims
	}{
		{"plain", testClaims(t0)},
		{"characters to escape", odd},
		{"explicit audience", func() Claims { c := testClaims(t0); c.Audience = Audience; return c }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := MustSign(t, r, tt.c)
			got, err := r.Verify(tok, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := tt.c
			want.Audience = Audience
			want.KeyID = k.ID
			if got != want {
				t.Fatalf("Verify = %+v, want %+v", got, want)
			}
		})
	}
}

func TestSignFormat(t *testing.T) {
	k := MustKey(t, t0)
	r := MustRing(t, k)
	c := testClaims(t0)
	tok := MustSign(t, r, c)
	hdr, _, sig := segments(t, tok)
	h, _ := base64.RawURLEncoding.DecodeString(hdr)
	if want := `{"alg":"ES256","kid":"` + k.ID + `","typ":"JWT"}`; string(h) != want {
		t.Errorf("header = %s, want %s", h, want)
	}
	if len(sig) != 86 {
		t.Errorf("signature is %d characters, want 86 (64 bytes)", len(sig))
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(payloadOf(t, tok)), &claims); err != nil {
		t.Fatal(err)
	}
	names := []string{"iss", "sub", "client_id", "aud", "org", "env", "api_key_id", "scope", "iat", "nbf", "exp", "jti"}
	if got := slices.Sorted(func(yield func(string) bool) {
		for n := range claims {
			if !yield(n) {
				return
			}
		}
	}); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Errorf("claim names = %v, want %v", got, names)
	}
	if claims["aud"] != Audience || claims["sub"] != c.ClientID || claims["client_id"] != c.ClientID {
		t.Errorf("aud, sub, client_id = %v, %v, %v", claims["aud"], claims["sub"], claims["client_id"])
	}
	if claims["exp"].(float64)-claims["iat"].(float64) != 1200 {
		t.Errorf("exp - iat = %v, want 1200", claims["exp"].(float64)-claims["iat"].(float64))
	}
}

func TestSignRefuses(t *testing.T) {
	r := MustRing(t, MustKey(t, t0))
	tests := []struct {
		name   string
		change func(*Claims)
	}{
		{"no issuer", func(c *Claims) { c.Issuer = "" }},
		{"no client id", func(c *Claims) { c.ClientID = "" }},
		{"no org", func(c *Claims) { c.OrgID = "" }},
		{"unknown env", func(c *Claims) { c.Env = "staging" }},
		{"no api key id", func(c *Claims) { c.APIKeyID = "" }},
		{"no scope", func(c *Claims) { c.Scope = "" }},
		{"no iat", func(c *Claims) { c.IssuedAt = time.Time{} }},
		{"no nbf", func(c *Claims) { c.NotBefore = time.Time{} }},
		{"exp at the epoch", func(c *Claims) { c.Expiry = time.Unix(0, 0) }},
		{"no jti", func(c *Claims) { c.ID = "" }},
		{"too long", func(c *Claims) { c.Scope = strings.Repeat("s", MaxLength) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClaims(t0)
			tt.change(&c)
			if tok, err := r.Sign(c); err == nil {
				t.Fatalf("Sign = %q, want an error", tok)
			}
		})
	}
	if _, err := NewRing().Sign(testClaims(t0)); !errors.Is(err, ErrNoKey) {
		t.Errorf("Sign on an empty ring: %v, want ErrNoKey", err)
	}
}

func TestAppendString(t *testing.T) {
	tests := []string{
		"", "plain", `"quoted"`, `back\slash`, "\x00\x01\x1f\x7f", "\n\r\t\b\f",
		"é中🙂", "\xff\xfeinvalid\xc3", "\xed\xa0\x80", "<>&", "\u2028\u2029", "a\"b\\c\x00d",
	}
	for _, s := range tests {
		b := appendString(nil, s)
		if !json.Valid(b) {
			t.Errorf("appendString(%q) = %s, not valid JSON", s, b)
			continue
		}
		var got, want string
		std, _ := json.Marshal(s)
		json.Unmarshal(b, &got)
		json.Unmarshal(std, &want)
		if got != want {
			t.Errorf("appendString(%q) decodes to %q, encoding/json to %q", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("é\"\\\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got, want string
		std, _ := json.Marshal(s)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, b, err)
		}
		json.Unmarshal(std, &want)
		if got != want {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json to %q", s, got, want)
		}
	})
}

// TestDERToRaw: r and s come out of crypto/ecdsa's DER right-aligned in
// 32 bytes each, whatever their length; anything but two non-negative
// INTEGERs of at most 32 bytes in one SEQUENCE is refused.
func TestDERToRaw(t *testing.T) {
	seq := func(parts ...[]byte) []byte {
		var body []byte
		for _, p := range parts {
			body = append(body, p...)
		}
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	integer := func(v ...byte) []byte { return append([]byte{0x02, byte(len(v))}, v...) }
	full := make([]byte, 32)
	for i := range full {
		full[i] = 0x11
	}
	high := append([]byte{0x00, 0x80}, full[1:]...) // 33 bytes: a sign octet before a high bit
	want := func(r, s []byte) [sigLen]byte {
		var w [sigLen]byte
		copy(w[32-len(r):32], r)
		copy(w[64-len(s):], s)
		return w
	}
	for _, c := range []struct {
		name string
		der  []byte
		ok   bool
		want [sigLen]byte
	}{
		{"32 bytes each", seq(integer(full...), integer(full...)), true, want(full, full)},
		{"sign octet", seq(integer(high...), integer(0x01)), true, want(high[1:], []byte{0x01})},
		{"short r padded", seq(integer(0x7f), integer(full...)), true, want([]byte{0x7f}, full)},
		{"negative", seq(integer(0x80), integer(0x01)), false, [sigLen]byte{}},
		{"33 bytes", seq(integer(append([]byte{0x01}, full...)...), integer(0x01)), false, [sigLen]byte{}},
		{"one integer", seq(integer(0x01)), false, [sigLen]byte{}},
		{"three integers", seq(integer(0x01), integer(0x01), integer(0x01)), false, [sigLen]byte{}},
		{"trailing bytes", append(seq(integer(0x01), integer(0x01)), 0x00), false, [sigLen]byte{}},
		{"empty integer", seq([]byte{0x02, 0x00}, integer(0x01)), false, [sigLen]byte{}},
		{"not a sequence", integer(0x01), false, [sigLen]byte{}},
	} {
		var got [sigLen]byte
		if ok := derToRaw(c.der, &got); ok != c.ok || ok && got != c.want {
			t.Errorf("%s: derToRaw(% x) = %v, % x; want %v, % x", c.name, c.der, ok, got, c.ok, c.want)
		}
	}
}
