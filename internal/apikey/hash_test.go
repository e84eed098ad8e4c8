package apikey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"keyhouse"
)

// testKey is the bytes 0x00 to 0x1f.
var testKey = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

func TestHashKnownAnswer(t *testing.T) {
	// openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f <<< "keyhouse/totp"
	const want = "2a0093b0875b7edbb666e2c67133d3cca3c16b5fb1e6a4deeb1c739fdcb26604"
	h := NewHasher(testKey)
	for range 3 { // the pooled state must be reset between calls
		if got := hex.EncodeToString(h.Hash("keyhouse/totp")); got != want {
			t.Fatalf("Hash = %s, want %s", got, want)
		}
	}
}

// reference returns HMAC-SHA256(key, s) computed without the pool.
func reference(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func TestHash(t *testing.T) {
	h := NewHasher(testKey)
	tests := []struct {
		name   string
		secret string
	}{
		{"empty", ""},
		{"secret", Generate(keyhouse.Production).Secret},
		{"256", strings.Repeat("x", 256)},
		{"longer than the scratch buffer", strings.Repeat("0123456789", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.Hash(tt.secret)
			if len(got) != HashLen || !bytes.Equal(got, reference(testKey, tt.secret)) {
				t.Fatalf("Hash = %x, want %x", got, reference(testKey, tt.secret))
			}
			prefix := []byte("prefix")
			if got := h.AppendHash(prefix, tt.secret); !bytes.Equal(got, append(prefix, reference(testKey, tt.secret)...)) {
				t.Fatalf("AppendHash = %x", got)
			}
		})
	}
}

func TestHasherCopiesKey(t *testing.T) {
	key := bytes.Clone(testKey)
	h := NewHasher(key)
	key[0] ^= 1
	if got := h.Hash("s"); !bytes.Equal(got, reference(testKey, "s")) {
		t.Fatal("the hasher follows changes to the caller's key slice")
	}
	if bytes.Equal(NewHasher(key).Hash("s"), h.Hash("s")) {
		t.Fatal("different keys give the same hash")
	}
}

func TestHashConcurrent(t *testing.T) {
	h := NewHasher(testKey)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				s := Generate(keyhouse.Sandbox).Secret
				if !Equal(h.Hash(s), reference(testKey, s)) {
					t.Error("concurrent Hash gave a wrong result")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestEqual(t *testing.T) {
	a := reference(testKey, "a")
	tests := []struct {
		name string
		x, y []byte
		want bool
	}{
		{"same", a, bytes.Clone(a), true},
		{"last byte", a, append(bytes.Clone(a[:31]), a[31]^1), false},
		{"first byte", a, append([]byte{a[0] ^ 0x80}, a[1:]...), false},
		{"shorter", a, a[:31], false},
		{"empty and nil", []byte{}, nil, false},
		{"nil and nil", nil, nil, false},
		{"empty and hash", nil, a, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.x, tt.y); got != tt.want {
				t.Fatalf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(testKey)
	s := Generate(keyhouse.Production).Secret
	b.ReportAllocs()
	for b.Loop() {
		h.Hash(s)
	}
}
