package apikey

import (
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"keyhouse"
)

// Known answers computed outside Go (Python zlib.crc32 and base64).
const (
	kaKeyID  = "khk_0123456789ABCDEFghij"
	kaSecret = "kh_sandbox_0123456789abcdefghijABCDEFGHIJ010BhIpX"
	kaAPIKey = "a2hrXzAxMjM0NTY3ODlBQkNERUZnaGlqOmtoX3NhbmRib3hfMDEyMzQ1Njc4OWFiY2RlZmdoaWpBQkNERUZHSElKMDEwQmhJcFg="
)

func TestCheckSecretKnownAnswers(t *testing.T) {
	tests := []struct {
		secret string
		env    keyhouse.Environment
	}{
		{kaSecret, keyhouse.Sandbox},
		{"kh_production_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz3Kkhym", keyhouse.Production},
		{"kh_sandbox_000000000000000000000000000000004cTzil", keyhouse.Sandbox},
	}
	for _, tt := range tests {
		t.Run(tt.secret, func(t *testing.T) {
			env, err := CheckSecret(tt.secret)
			if err != nil || env != tt.env {
				t.Fatalf("CheckSecret = %q, %v; want %q, nil", env, err, tt.env)
			}
		})
	}
	if got := (Key{ID: kaKeyID, Secret: kaSecret}).APIKey(); got != kaAPIKey {
		t.Errorf("APIKey = %q, want %q", got, kaAPIKey)
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		env    keyhouse.Environment
		prefix string
	}{
		{keyhouse.Sandbox, "kh_sandbox_"},
		{keyhouse.Production, "kh_production_"},
		{"", "kh_sandbox_"}, // anything but production is a sandbox key
	}
	for _, tt := range tests {
		t.Run(string(tt.env), func(t *testing.T) {
			seen := map[string]bool{}
			for range 500 {
				k := Generate(tt.env)
				checkGenerated(t, k, tt.prefix)
				if seen[k.ID] || seen[k.Secret] {
					t.Fatalf("repeated id or secret after %d keys", len(seen)/2)
				}
				seen[k.ID], seen[k.Secret] = true, true
			}
		})
	}
}

// checkGenerated checks the form of a generated key.
func checkGenerated(t *testing.T, k Key, prefix string) {
	t.Helper()
	if len(k.ID) != 24 || !strings.HasPrefix(k.ID, "khk_") || !isBase62(k.ID[4:]) {
		t.Fatalf("key id %q: want khk_ and 20 base62 characters", k.ID)
	}
	if !ValidKeyID(k.ID) {
		t.Fatalf("ValidKeyID(%q) = false", k.ID)
	}
	body, ok := strings.CutPrefix(k.Secret, prefix)
	if !ok || len(body) != 38 || !isBase62(body) {
		t.Fatalf("secret %q: want %s and 38 base62 characters", k.Secret, prefix)
	}
	env, err := CheckSecret(k.Secret)
	if err != nil || "kh_"+string(env)+"_" != prefix {
		t.Fatalf("CheckSecret(%q) = %q, %v", k.Secret, env, err)
	}
	if got := k.Last4(); got != k.Secret[len(k.Secret)-4:] {
		t.Fatalf("Last4 = %q", got)
	}
}

func TestGenerateUniform(t *testing.T) {
	// 2,000 keys hold 104,000 random characters, 1,677 per symbol on
	// average: a symbol that never appears, or appears twice as often as
	// it should, means a broken draw. The bounds are > 10 sigma wide.
	counts := map[byte]int{}
	for range 2000 {
		k := Generate(keyhouse.Sandbox)
		for _, s := range []string{k.ID[4:], k.Secret[11:43]} {
			for i := range len(s) {
				counts[s[i]]++
			}
		}
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct symbols, want 62", len(counts))
	}
	for c, n := range counts {
		if n < 1200 || n > 2200 {
			t.Errorf("symbol %q drawn %d times, want about 1677", c, n)
		}
	}
}

func TestCheckSecretRejectsSubstitutions(t *testing.T) {
	for _, env := range keyhouse.Environments {
		t.Run(string(env), func(t *testing.T) {
			s := Generate(env).Secret
			for i := range len(s) {
				for _, r := range replacements(s[i]) {
					bad := s[:i] + string(r) + s[i+1:]
					if _, err := CheckSecret(bad); !errors.Is(err, ErrMalformed) {
						t.Fatalf("CheckSecret accepted %q (position %d changed to %q)", bad, i, r)
					}
				}
			}
		})
	}
}

// replacements returns bytes that differ from c: its other case, its
// neighbours, and a few fixed ones inside and outside the alphabet.
func replacements(c byte) []byte {
	out := []byte{}
	for _, r := range []byte{
		c ^ 0x20, c + 1, c - 1, '0', '9', 'A', 'Z', 'a', 'z', '_', '-', ' ', '+', 0, 0xff,
	} {
		if r != c {
			out = append(out, r)
		}
	}
	return out
}

func TestCheckSecretRejectsTruncationsAndExtensions(t *testing.T) {
	for _, env := range keyhouse.Environments {
		t.Run(string(env), func(t *testing.T) {
			s := Generate(env).Secret
			bad := []string{s + "0", s + s, " " + s, s + "\n", s + "="}
			for i := range len(s) {
				bad = append(bad, s[:i], s[i+1:]) // truncated at either end
			}
			for _, b := range bad {
				if _, err := CheckSecret(b); err != ErrMalformed {
					t.Fatalf("CheckSecret(%q) = %v, want ErrMalformed", b, err)
				}
			}
		})
	}
}

func TestCheckSecretWrongEnvironmentPrefix(t *testing.T) {
	s := Generate(keyhouse.Sandbox).Secret
	tests := []string{
		"kh_production_" + s[len("kh_sandbox_"):],
		"KH_SANDBOX_" + s[len("kh_sandbox_"):],
		"kh_staging_" + s[len("kh_sandbox_"):],
	}
	for _, bad := range tests {
		t.Run(bad[:14], func(t *testing.T) {
			if _, err := CheckSecret(bad); err != ErrMalformed {
				t.Fatalf("CheckSecret(%q) = %v, want ErrMalformed", bad, err)
			}
		})
	}
}

func TestErrMalformedSaysNothing(t *testing.T) {
	s := Generate(keyhouse.Production).Secret
	_, err := CheckSecret(s[:40])
	if err == nil || strings.Contains(err.Error(), s[:20]) || strings.Contains(err.Error(), "kh_") {
		t.Fatalf("error %q must be the plain sentinel", err)
	}
}

func TestValidKeyID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{kaKeyID, true},
		{"khk_zzzzzzzzzzzzzzzzzzzz", true},
		{"khk_0123456789ABCDEFghi", false},   // 19
		{"khk_0123456789ABCDEFghijk", false}, // 21
		{"KHK_0123456789ABCDEFghij", false},
		{"khx_0123456789ABCDEFghij", false},
		{"khk_0123456789ABCDEFghi_", false},
		{"khk_0123456789ABCDEFghi-", false},
		{"khk_0123456789ABCDEFghi ", false},
		{"khk_0123456789ABCDEFgh\u00e9", false},
		{"", false},
		{"khk_", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := ValidKeyID(tt.id); got != tt.want {
				t.Fatalf("ValidKeyID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestLast4Short(t *testing.T) {
	if got := (Key{Secret: "abc"}).Last4(); got != "abc" {
		t.Fatalf("Last4 = %q, want abc", got)
	}
}

func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	k := Generate(keyhouse.Production)
	apiKey := k.APIKey()
	h := NewHasher([]byte("server secret"))
	tests := []struct {
		name string
		max  float64
		f    func()
	}{
		{"Generate", 2, func() { Generate(keyhouse.Sandbox) }},
		{"APIKey", 1, func() { _ = k.APIKey() }},
		{"CheckSecret", 0, func() { _, _ = CheckSecret(k.Secret) }},
		{"ValidKeyID", 0, func() { _ = ValidKeyID(k.ID) }},
		{"ParseBasic", 2, func() { _, _ = ParseBasic(apiKey) }},
		{"Hash", 1, func() { _ = h.Hash(k.Secret) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(200, tt.f); got > tt.max {
				t.Fatalf("%v allocations, want at most %v", got, tt.max)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(keyhouse.Production)
	}
}

func BenchmarkCheckSecret(b *testing.B) {
	s := Generate(keyhouse.Production).Secret
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckSecret(s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestChecksumMatchesCRC32(t *testing.T) {
	data := []byte("kh_production_" + strings.Repeat("0123456789abcdefXYZ", 5))
	for n := range len(data) + 1 { // every length, for the 8-byte loop and the tail
		if got, want := checksum(data[:n]), crc32.ChecksumIEEE(data[:n]); got != want {
			t.Fatalf("checksum of %d bytes = %08x, want %08x", n, got, want)
		}
		if got, want := checksum(string(data[:n])), crc32.ChecksumIEEE(data[:n]); got != want {
			t.Fatalf("checksum of a %d-byte string = %08x, want %08x", n, got, want)
		}
	}
}
