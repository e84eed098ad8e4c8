package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// jwksKids returns the kids of a JWKS, in order.
func jwksKids(tb testing.TB, body []byte) []string {
	tb.Helper()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
			Alg string `json:"alg"`
			Use string `json:"use"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		tb.Fatalf("JWKS %s: %v", body, err)
	}
	if set.Keys == nil {
		tb.Fatalf("JWKS %s: no keys array", body)
	}
	kids := []string{}
	for _, k := range set.Keys {
		if k.Kty != "EC" || k.Alg != "ES256" || k.Use != "sig" || k.D != "" {
			tb.Fatalf("JWKS key %+v", k)
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestCurrent(t *testing.T) {
	k1, k2, k3 := MustKey(t, t0), MustKey(t, t0.Add(time.Hour)), MustKey(t, t0.Add(2*time.Hour))
	retired := func(k Key) Key { k.RetiredAt = t0.Add(3 * time.Hour); return k }
	tests := []struct {
		name string
		keys []Key
		want string // kid, or "" for none
	}{
		{"empty", nil, ""},
		{"one", []Key{k1}, k1.ID},
		{"newest wins, in any order", []Key{k2, k3, k1}, k3.ID},
		{"newest is retired", []Key{k1, k2, retired(k3)}, k2.ID},
		{"all retired", []Key{retired(k1), retired(k2)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustRing(t, tt.keys...)
			got, ok := r.Current()
			if ok != (tt.want != "") || got.ID != tt.want {
				t.Fatalf("Current = %q, %v, want %q", got.ID, ok, tt.want)
			}
			if ok {
				tok := MustSign(t, r, testClaims(t0))
				hdr, _, _ := segments(t, tok)
				if want := b64s(`{"alg":"ES256","kid":"` + tt.want + `","typ":"JWT"}`); hdr != want {
					t.Fatalf("Sign used another key than Current")
				}
			}
			for _, k := range tt.keys {
				if !r.Has(k.ID) {
					t.Errorf("Has(%q) = false", k.ID)
				}
			}
			if r.Has("nope") || r.Has("") {
				t.Error("Has reports a key that is not there")
			}
		})
	}
}

func TestZeroRing(t *testing.T) {
	var r Ring
	if _, ok := r.Current(); ok {
		t.Error("zero Ring has a current key")
	}
	if got := string(r.JWKS(t0)); got != `{"keys":[]}` {
		t.Errorf("JWKS = %s", got)
	}
	if _, err := r.Sign(testClaims(t0)); !errors.Is(err, ErrNoKey) {
		t.Errorf("Sign = %v, want ErrNoKey", err)
	}
}

func TestSetRefuses(t *testing.T) {
	good := MustKey(t, t0)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name string
		keys []Key
	}{
		{"nil private key", []Key{{ID: "a", CreatedAt: t0}}},
		{"empty private key", []Key{{ID: "a", Private: &ecdsa.PrivateKey{}}}},
		{"P-384", []Key{{ID: "a", Private: p384}}},
		{"no id", []Key{{Private: good.Private}}},
		{"id twice", []Key{good, {ID: good.ID, Private: MustKey(t, t0).Private}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustRing(t, good)
			if err := r.Set(tt.keys); err == nil {
				t.Fatal("Set succeeded")
			}
			if cur, ok := r.Current(); !ok || cur.ID != good.ID {
				t.Fatal("a refused Set changed the ring")
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := MustKey(t, t0)
	r := MustRing(t, old)
	issued := t0.Add(10 * time.Minute)
	oldTok := MustSign(t, r, testClaims(issued))
	if got := jwksKids(t, r.JWKS(issued)); !slices.Equal(got, []string{old.ID}) {
		t.Fatalf("JWKS before rotation = %v", got)
	}

	// keyhouse signing-keys rotate, at t0+15m, then every instance reloads.
	rotated := t0.Add(15 * time.Minute)
	next := MustKey(t, rotated)
	old.RetiredAt = rotated
	if err := r.Set([]Key{old, next}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := r.Current(); cur.ID != next.ID {
		t.Fatalf("Current after rotation = %q, want the new key", cur.ID)
	}
	newTok := MustSign(t, r, testClaims(rotated))
	for _, tok := range []string{oldTok, newTok} {
		if _, err := r.Verify(tok, rotated.Add(time.Minute)); err != nil {
			t.Fatalf("Verify after rotation: %v", err)
		}
	}

	gone := rotated.Add(Lifetime + Leeway)
	tests := []struct {
		now  time.Time
		want []string
	}{
		{rotated, []string{next.ID, old.ID}},
		{issued.Add(Lifetime + Leeway), []string{next.ID, old.ID}}, // oldTok just expired
		{gone.Add(-time.Nanosecond), []string{next.ID, old.ID}},
		{gone, []string{next.ID}},
		{gone.Add(24 * time.Hour), []string{next.ID}},
		{rotated, []string{next.ID, old.ID}}, // a clock that went back
	}
	for _, tt := range tests {
		if got := jwksKids(t, r.JWKS(tt.now)); !slices.Equal(got, tt.want) {
			t.Errorf("JWKS at rotation%+v = %v, want %v", tt.now.Sub(rotated), got, tt.want)
		}
	}
	// Any token the old key signed has expired by the time it leaves,
	// and from then on the key verifies nothing.
	if _, err := r.Verify(oldTok, gone.Add(-time.Nanosecond)); !errors.Is(err, ErrExpired) {
		t.Errorf("old token just before its key leaves the JWKS: %v, want ErrExpired", err)
	}
	if _, err := r.Verify(oldTok, gone); !errors.Is(err, ErrRetiredKey) {
		t.Errorf("old token when its key leaves the JWKS: %v, want ErrRetiredKey", err)
	}
}

func TestJWKSCache(t *testing.T) {
	old, next := MustKey(t, t0), MustKey(t, t0.Add(time.Minute))
	old.RetiredAt = t0.Add(time.Minute)
	r := MustRing(t, old, next)
	a, b := r.JWKS(t0), r.JWKS(t0.Add(time.Second))
	if &a[0] != &b[0] {
		t.Error("JWKS re-encoded an unchanged set")
	}
	c := r.JWKS(t0.Add(time.Hour))
	if len(jwksKids(t, c)) != 1 || len(jwksKids(t, a)) != 2 {
		t.Errorf("JWKS after the window = %s, before = %s", c, a)
	}
	if err := r.Set([]Key{old, next}); err != nil {
		t.Fatal(err)
	}
	if d := r.JWKS(t0); &d[0] == &a[0] || string(d) != string(a) {
		t.Error("JWKS after Set reused the old cache or changed")
	}
}

func TestConcurrent(t *testing.T) {
	a, b := MustKey(t, t0), MustKey(t, t0.Add(time.Second))
	aRetired, bRetired := a, b
	aRetired.RetiredAt, bRetired.RetiredAt = t0.Add(time.Minute), t0.Add(time.Minute)
	sets := [][]Key{{a, bRetired}, {aRetired, b}, {a, b}}
	r := MustRing(t, a, b)
	now := t0.Add(time.Minute)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := r.Set(sets[i%len(sets)]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var workers sync.WaitGroup
	for range 4 {
		workers.Go(func() {
			for range 100 {
				tok, err := r.Sign(testClaims(t0))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := r.Verify(tok, now); err != nil {
					t.Error(err)
					return
				}
				var set struct{ Keys []json.RawMessage }
				if err := json.Unmarshal(r.JWKS(now), &set); err != nil || len(set.Keys) != 2 {
					t.Errorf("JWKS: %d keys, %v", len(set.Keys), err)
					return
				}
				r.Current()
				r.Has(a.ID)
			}
		})
	}
	workers.Wait()
	close(stop)
	wg.Wait()
}
