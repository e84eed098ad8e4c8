package token

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVerifyTampered(t *testing.T) {
	k, other := MustKey(t, t0), MustKey(t, t0.Add(-time.Hour))
	r := MustRing(t, k, other)
	c := testClaims(t0)
	tok := MustSign(t, r, c)
	hdr, payload, sig := segments(t, tok)
	rawSig, _ := base64.RawURLEncoding.DecodeString(sig)
	flip := func(i int) string {
		s := slices.Clone(rawSig)
		s[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(s)
	}
	changedPayload := strings.Replace(payloadOf(t, tok), c.OrgID, "org_other", 1)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"payload changed", hdr + "." + b64s(changedPayload) + "." + sig, ErrSignature},
		{"payload of another token", hdr + "." + b64s(payloadOf(t, MustSign(t, r, testClaims(t0)))) + "." + sig, ErrSignature},
		{"header names the other key", b64s(`{"alg":"ES256","kid":"`+other.ID+`","typ":"JWT"}`) + "." + payload + "." + sig, ErrSignature},
		{"header with an extra field", b64s(`{"alg":"ES256","kid":"`+k.ID+`","typ":"JWT","x":1}`) + "." + payload + "." + sig, ErrSignature},
		{"first signature byte", hdr + "." + payload + "." + flip(0), ErrSignature},
		{"last signature byte", hdr + "." + payload + "." + flip(63), ErrSignature},
		{"zero signature", hdr + "." + payload + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)), ErrSignature},
		{"signature truncated", hdr + "." + payload + "." + sig[:85], ErrMalformed},
		{"signature padded", hdr + "." + payload + "." + sig + "==", ErrMalformed},
		{"signature standard base64", hdr + "." + payload + "." + base64.StdEncoding.EncodeToString(rawSig), ErrMalformed},
		{"no signature", hdr + "." + payload + ".", ErrSignature},
		{"two segments", hdr + "." + payload, ErrMalformed},
		{"four segments", tok + "." + sig, ErrMalformed},
		{"JWE shape", hdr + "." + payload + "." + payload + "." + payload + "." + sig, ErrMalformed},
		{"empty", "", ErrMalformed},
		{"dots", "..", ErrMalformed},
		{"space before", " " + tok, ErrMalformed},
		{"Bearer prefix", "Bearer " + tok, ErrMalformed},
		{"header not base64", "e30!." + payload + "." + sig, ErrMalformed},
		{"header not JSON", b64s("alg=ES256") + "." + payload + "." + sig, ErrMalformed},
		{"header is an array", b64s(`["ES256"]`) + "." + payload + "." + sig, ErrMalformed},
		{"longer than MaxLength", tok + strings.Repeat("A", MaxLength), ErrMalformed},
		{"payload not base64", hdr + ".!!!." + sig, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Verify(tt.token, t0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if len(tt.token) > 10 && strings.Contains(err.Error(), tt.token) {
				t.Fatalf("error %q echoes the token", err)
			}
		})
	}
	if _, err := r.Verify(tok, t0); err != nil {
		t.Fatalf("the untampered token: %v", err)
	}
}

func TestVerifyRefusesOtherAlgorithms(t *testing.T) {
	k := MustKey(t, t0)
	r := MustRing(t, k)
	payload := payloadOf(t, MustSign(t, r, testClaims(t0)))
	kid := `"kid":"` + k.ID + `"`
	point, _ := k.Private.PublicKey.Bytes()
	pkix, _ := x509.MarshalPKIXPublicKey(&k.Private.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	hs := `{"alg":"HS256",` + kid + `,"typ":"JWT"}`
	tests := []struct {
		name  string
		token string
	}{
		{"none", b64s(`{"alg":"none",`+kid+`,"typ":"JWT"}`) + "." + b64s(payload) + "."},
		{"none with a signature", signRaw(t, k, `{"alg":"none",`+kid+`}`, payload)},
		{"None", b64s(`{"alg":"None",`+kid+`}`) + "." + b64s(payload) + "."},
		{"HS256 keyed by the public point", hs256(hs, payload, point)},
		{"HS256 keyed by the PEM public key", hs256(hs, payload, pemKey)},
		{"HS256 keyed by the DER public key", hs256(hs, payload, pkix)},
		{"HS256 keyed by x", hs256(hs, payload, point[1:33])},
		{"ES384", signRaw(t, k, `{"alg":"ES384",`+kid+`}`, payload)},
		{"RS256", signRaw(t, k, `{"alg":"RS256",`+kid+`}`, payload)},
		{"es256 in lower case", signRaw(t, k, `{"alg":"es256",`+kid+`}`, payload)},
		{"no alg", signRaw(t, k, `{`+kid+`,"typ":"JWT"}`, payload)},
		{"no kid", signRaw(t, k, `{"alg":"ES256","typ":"JWT"}`, payload)},
		{"crit", signRaw(t, k, `{"alg":"ES256",`+kid+`,"crit":["exp"],"exp":1}`, payload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Verify(tt.token, t0); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %v, want ErrMalformed", err)
			}
		})
	}
	// A header Sign does not write, but with everything right, verifies.
	tok := signRaw(t, k, `{"typ":"JWT",`+kid+`,"alg":"ES256"}`, payload)
	if _, err := r.Verify(tok, t0); err != nil {
		t.Fatalf("Verify of a reordered header: %v", err)
	}
}

func TestVerifyUnknownKey(t *testing.T) {
	a, b := MustKey(t, t0), MustKey(t, t0)
	tok := MustSign(t, MustRing(t, a), testClaims(t0))
	r := MustRing(t, b)
	if _, err := r.Verify(tok, t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify = %v, want ErrUnknownKey", err)
	}
	// The caller reloads the ring from the database and retries.
	if err := r.Set([]Key{a, b}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(tok, t0); err != nil {
		t.Fatalf("Verify after reload: %v", err)
	}
	if _, err := NewRing().Verify(tok, t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify on an empty ring = %v, want ErrUnknownKey", err)
	}
}

func TestVerifyTimes(t *testing.T) {
	r := MustRing(t, MustKey(t, t0))
	exp := t0.Add(Lifetime)
	tests := []struct {
		name   string
		change func(*Claims)
		now    time.Time
		want   error
	}{
		{"at iat", nil, t0, nil},
		{"just before exp", nil, exp.Add(-time.Second), nil},
		{"at exp, within leeway", nil, exp, nil},
		{"last second of leeway", nil, exp.Add(Leeway - time.Second), nil},
		{"last nanosecond of leeway", nil, exp.Add(Leeway - time.Nanosecond), nil},
		{"exp + leeway", nil, exp.Add(Leeway), ErrExpired},
		{"long expired", nil, exp.Add(24 * time.Hour), ErrExpired},
		{"iat - leeway", nil, t0.Add(-Leeway), nil},
		{"iat - leeway - 1s", nil, t0.Add(-Leeway - time.Second), ErrNotYetValid},
		{"nbf later than iat, now at nbf - leeway", func(c *Claims) { c.NotBefore = t0.Add(time.Minute) }, t0.Add(time.Minute - Leeway), nil},
		{"nbf later than iat, before nbf - leeway", func(c *Claims) { c.NotBefore = t0.Add(time.Minute) }, t0.Add(time.Minute - Leeway - time.Second), ErrNotYetValid},
		{"iat in the future", func(c *Claims) { c.IssuedAt = t0.Add(time.Hour); c.NotBefore = t0 }, t0, ErrNotYetValid},
		{"exp before nbf", func(c *Claims) { c.Expiry = t0.Add(-time.Hour) }, t0, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClaims(t0)
			if tt.change != nil {
				tt.change(&c)
			}
			_, err := r.Verify(MustSign(t, r, c), tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyAudience(t *testing.T) {
	r := MustRing(t, MustKey(t, t0))
	for _, aud := range []string{"keyhouse:other", "Keyhouse:Integration", Audience + " ", "https://keyhouse.example.com"} {
		c := testClaims(t0)
		c.Audience = aud
		if _, err := r.Verify(MustSign(t, r, c), t0); !errors.Is(err, ErrAudience) {
			t.Errorf("aud %q: Verify = %v, want ErrAudience", aud, err)
		}
	}
}

func TestVerifyClaims(t *testing.T) {
	k := MustKey(t, t0)
	r := MustRing(t, k)
	hdr := `{"alg":"ES256","kid":"` + k.ID + `","typ":"JWT"}`
	iat := big.NewInt(t0.Unix()).String()
	exp := big.NewInt(t0.Add(Lifetime).Unix()).String()
	full := map[string]string{
		"iss": `"https://k.example"`, "sub": `"1234567890"`, "client_id": `"1234567890"`,
		"aud": `"` + Audience + `"`, "org": `"org_1"`, "env": `"sandbox"`,
		"api_key_id": `"khk_1"`, "scope": `"integration"`, "iat": iat, "nbf": iat,
		"exp": exp, "jti": `"j1"`,
	}
	payload := func(change map[string]string) string {
		var b strings.Builder
		b.WriteString("{")
		for _, n := range slices.Sorted(func(yield func(string) bool) {
			for n := range full {
				if !yield(n) {
					return
				}
			}
		}) {
			v, ok := change[n]
			if !ok {
				v = full[n]
			}
			if v == "" {
				continue
			}
			if b.Len() > 1 {
				b.WriteString(",")
			}
			b.WriteString(`"` + n + `":` + v)
		}
		b.WriteString("}")
		return b.String()
	}
	if _, err := r.Verify(signRaw(t, k, hdr, payload(nil)), t0); err != nil {
		t.Fatalf("every claim, in another order: %v", err)
	}
	tests := []struct {
		name   string
		change map[string]string
	}{
		{"no iss", map[string]string{"iss": ""}},
		{"no sub", map[string]string{"sub": ""}},
		{"no client_id", map[string]string{"client_id": ""}},
		{"sub is not client_id", map[string]string{"sub": `"999"`}},
		{"no aud", map[string]string{"aud": ""}},
		{"aud is an array", map[string]string{"aud": `["` + Audience + `"]`}},
		{"no org", map[string]string{"org": ""}},
		{"env unknown", map[string]string{"env": `"staging"`}},
		{"no api_key_id", map[string]string{"api_key_id": ""}},
		{"no scope", map[string]string{"scope": ""}},
		{"no iat", map[string]string{"iat": ""}},
		{"no nbf", map[string]string{"nbf": ""}},
		{"no exp", map[string]string{"exp": ""}},
		{"exp a string", map[string]string{"exp": `"` + exp + `"`}},
		{"exp fractional", map[string]string{"exp": exp + ".5"}},
		{"no jti", map[string]string{"jti": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Verify(signRaw(t, k, hdr, payload(tt.change)), t0); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := r.Verify(signRaw(t, k, hdr, "not json"), t0); !errors.Is(err, ErrMalformed) {
		t.Fatalf("payload not JSON: %v, want ErrMalformed", err)
	}
}
