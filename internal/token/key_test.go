package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"testing"
)

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
