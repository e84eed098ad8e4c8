package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"sync"
	"testing"

	"filippo.io/bigmod"
)

// TestSignDigest checks signatures made from prepared nonces with
// crypto/ecdsa: they verify, and not for another digest or key.
func TestSignDigest(t *testing.T) {
	k, other := MustKey(t, t0), MustKey(t, t0)
	d, err := scalar(&k)
	if err != nil {
		t.Fatal(err)
	}
	var pool noncePool
	for i := range 3 * nonceBatch {
		digest := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		var sig [sigLen]byte
		if err := signDigest(&sig, d, &digest, mustTake(t, &pool)); err != nil {
			t.Fatal(err)
		}
		r, s := new(big.Int).SetBytes(sig[:scalarLen]), new(big.Int).SetBytes(sig[scalarLen:])
		if !ecdsa.Verify(&k.Private.PublicKey, digest[:], r, s) {
			t.Fatalf("signature %d does not verify", i)
		}
		if ecdsa.Verify(&other.Private.PublicKey, digest[:], r, s) {
			t.Fatalf("signature %d verifies under another key", i)
		}
		digest[0] ^= 1
		if ecdsa.Verify(&k.Private.PublicKey, digest[:], r, s) {
			t.Fatalf("signature %d verifies another digest", i)
		}
	}
}

// TestInvertAll compares the batch inversion with math/big's.
func TestInvertAll(t *testing.T) {
	order := elliptic.P256().Params().N
	for _, size := range []int{1, 2, 3, nonceBatch} {
		xs := make([]*bigmod.Nat, size)
		want := make([]*big.Int, size)
		for i := range xs {
			v, err := rand.Int(rand.Reader, new(big.Int).Sub(order, big.NewInt(1)))
			if err != nil {
				t.Fatal(err)
			}
			v.Add(v, big.NewInt(1)) // [1, n-1]
			if xs[i], err = bigmod.NewNat().SetBytes(v.FillBytes(make([]byte, scalarLen)), p256N); err != nil {
				t.Fatal(err)
			}
			want[i] = new(big.Int).ModInverse(v, order)
		}
		invertAll(xs)
		for i, x := range xs {
			if got := new(big.Int).SetBytes(x.Bytes(p256N)); got.Cmp(want[i]) != 0 {
				t.Fatalf("size %d: inverse %d = %x, want %x", size, i, got, want[i])
			}
		}
	}
}

// TestNoncesAreNeverRepeated takes nonces from many goroutines at once
// (run with -race) and checks that no r comes twice: a repeated nonce
// would give the private key away.
func TestNoncesAreNeverRepeated(t *testing.T) {
	var pool noncePool
	const workers, each = 8, 2 * nonceBatch
	var mu sync.Mutex
	seen := make(map[string]bool, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				k, err := pool.take() // not mustTake: Fatal belongs to the test's goroutine
				if err != nil {
					t.Error(err)
					return
				}
				r := string(k.r.Bytes(p256N))
				mu.Lock()
				if seen[r] {
					t.Errorf("nonce with r = %x handed out twice", r)
				}
				seen[r] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("%d distinct nonces, want %d", len(seen), workers*each)
	}
}

// mustTake takes a nonce from pool.
func mustTake(tb testing.TB, pool *noncePool) nonce {
	tb.Helper()
	k, err := pool.take()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
