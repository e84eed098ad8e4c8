package token

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

// The benchmarks compare Sign with the same work done through go-jose
// (BenchmarkSignGoJose) and with the signature alone (BenchmarkSignStdlib).
// Verify is go-jose's. Run them with
//
//	go test -run '^$' -bench . -benchmem ./internal/token/

func BenchmarkSign(b *testing.B) {
	r := MustRing(b, MustKey(b, t0))
	c := testClaims(t0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignStdlib is the signature alone as crypto/ecdsa makes it:
// what BenchmarkSign costs beyond it is the encoding.
func BenchmarkSignStdlib(b *testing.B) {
	k := MustKey(b, t0)
	digest := sha256.Sum256([]byte("header.payload"))
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, k.Private, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	r := MustRing(b, MustKey(b, t0))
	tok := MustSign(b, r, testClaims(t0))
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Verify(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	r := MustRing(b, MustKey(b, t0))
	tok := MustSign(b, r, testClaims(t0))
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Verify(tok, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyRefused is the cost of a token that fails before the
// signature check: a forged header.
func BenchmarkVerifyRefused(b *testing.B) {
	k := MustKey(b, t0)
	r := MustRing(b, k)
	tok := hs256(`{"alg":"HS256","kid":"`+k.ID+`"}`, `{}`, []byte("secret"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Verify(tok, t0); err == nil {
			b.Fatal("verified")
		}
	}
}

func BenchmarkSignGoJose(b *testing.B) {
	s := newGoJoseSigner(b, MustKey(b, t0))
	c := testClaims(t0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signGoJose(s, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWKS(b *testing.B) {
	old, cur := MustKey(b, t0), MustKey(b, t0.Add(time.Minute))
	old.RetiredAt = cur.CreatedAt
	r := MustRing(b, old, cur)
	now := t0.Add(2 * time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		r.JWKS(now)
	}
}
