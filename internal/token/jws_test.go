package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
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
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	nonCanonical := sig[:85] + string(alphabet[strings.IndexByte(alphabet, sig[85])|1])
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
		{"signature non-canonical base64", hdr + "." + payload + "." + nonCanonical, ErrMalformed},
		{"signature standard base64", hdr + "." + payload + "." + base64.StdEncoding.EncodeToString(rawSig), ErrMalformed},
		{"no signature", hdr + "." + payload + ".", ErrMalformed},
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
		{"payload not base64", hdr + ".!!!." + sig, ErrSignature},
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

func TestSignatureConversion(t *testing.T) {
	k := MustKey(t, t0)
	for i := range 200 {
		digest := sha256.Sum256([]byte{byte(i)})
		der, err := ecdsa.SignASN1(rand.Reader, k.Private, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		var raw [sigLen]byte
		if !rawSignature(&raw, der) {
			t.Fatalf("rawSignature(%x) failed", der)
		}
		if back := appendDER(nil, &raw); string(back) != string(der) {
			t.Fatalf("appendDER(rawSignature(%x)) = %x", der, back)
		}
	}
	for _, der := range [][]byte{nil, {0x30}, {0x30, 0}, {0x30, 2, 2, 0}, {0x31, 6, 2, 1, 1, 2, 1, 1}, {0x30, 7, 2, 1, 1, 2, 1, 1, 0}, {0x30, 6, 2, 1, 1, 2, 2, 1}} {
		var raw [sigLen]byte
		if rawSignature(&raw, der) {
			t.Errorf("rawSignature(%x) accepted", der)
		}
	}
	big := append([]byte{0x30, 37, 0x02, 33, 1}, make([]byte, 32)...)
	big = append(big, 2, 1, 1)
	var raw [sigLen]byte
	if rawSignature(&raw, big) {
		t.Errorf("rawSignature accepted a 33-byte r")
	}
}

func TestNewJTI(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		j := NewJTI()
		b, err := base64.RawURLEncoding.DecodeString(j)
		if err != nil || len(b) != 16 {
			t.Fatalf("NewJTI = %q: %d bytes, %v", j, len(b), err)
		}
		if seen[j] {
			t.Fatalf("NewJTI repeated %q", j)
		}
		seen[j] = true
	}
}

func TestKeys(t *testing.T) {
	k := MustKey(t, t0)
	if len(k.ID) != 43 || !k.CreatedAt.Equal(t0) || k.Retired() {
		t.Fatalf("NewKey = %q created %v retired %v", k.ID, k.CreatedAt, k.Retired())
	}
	der, err := MarshalPrivate(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivate(der)
	if err != nil || !back.Equal(k.Private) {
		t.Fatalf("ParsePrivate(MarshalPrivate(k)) = %v, %v", back, err)
	}
	if id, _ := Thumbprint(&back.PublicKey); id != k.ID {
		t.Fatalf("Thumbprint after the round trip = %q, want %q", id, k.ID)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	edDER := mustDecode(t, "MC4CAQAwBQYDK2VwBCIEIKo6G5EOzvRwfqOk5jNk9P3ylgMd5yC5eq+rLUJrXsEk")
	for name, der := range map[string][]byte{"nil": nil, "garbage": []byte("garbage"), "P-384": p384DER, "Ed25519": edDER, "truncated": der[:len(der)-1]} {
		if _, err := ParsePrivate(der); err == nil {
			t.Errorf("ParsePrivate(%s) succeeded", name)
		}
	}
	if _, err := MarshalPrivate(nil); err == nil {
		t.Error("MarshalPrivate(nil) succeeded")
	}
	if _, err := MarshalPrivate(p384); err == nil {
		t.Error("MarshalPrivate(P-384) succeeded")
	}
}

func mustDecode(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
