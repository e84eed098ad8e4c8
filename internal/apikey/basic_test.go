package apikey

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"keyhouse"
)

func TestParseBasicRoundTrip(t *testing.T) {
	for _, env := range keyhouse.Environments {
		t.Run(string(env), func(t *testing.T) {
			for range 100 {
				k := Generate(env)
				c, err := ParseBasic(k.APIKey())
				want := Credential{KeyID: k.ID, Secret: k.Secret, Environment: env}
				if err != nil || c != want {
					t.Fatalf("ParseBasic(APIKey) = %+v, %v; want %+v", c, err, want)
				}
			}
		})
	}
}

// basic returns the Basic credential of user:pass, padded or not.
func basic(user, pass string, pad bool) string {
	if pad {
		return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	}
	return base64.RawStdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// pct percent-encodes every byte of s, with hex digits in the given case.
func pct(s string, lower bool) string {
	var b strings.Builder
	for i := range len(s) {
		if lower {
			fmt.Fprintf(&b, "%%%02x", s[i])
		} else {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
	}
	return b.String()
}

func TestParseBasicEncodings(t *testing.T) {
	k := Generate(keyhouse.Production) // 77 bytes: base64 with one '='
	pair := Credential{KeyID: k.ID, Secret: k.Secret, Environment: keyhouse.Production}
	tests := []struct {
		name string
		cred string
		want Credential // zero: ErrMalformed; Legacy: the credential itself
	}{
		{"api key", k.APIKey(), pair},
		{"unpadded", basic(k.ID, k.Secret, false), pair},
		{"underscores escaped", basic(strings.ReplaceAll(k.ID, "_", "%5F"),
			strings.ReplaceAll(k.Secret, "_", "%5f"), true), pair},
		{"all escaped", basic(pct(k.ID, false), pct(k.Secret, false), true), pair},
		{"all escaped lower", basic(pct(k.ID, true), pct(k.Secret, true), false), pair},
		{"plus is a space", basic(k.ID+"+", k.Secret, true), legacy},
		// A key id with a bad secret is a typo, refused without a look-up.
		{"bad escape", basic(k.ID, "%G1"+k.Secret[3:], true), Credential{}},
		{"truncated escape", basic(k.ID, k.Secret+"%4", true), Credential{}},
		{"escaped colon in id", basic(k.ID+"%3A", k.Secret, true), legacy},
		{"swapped", basic(k.Secret, k.ID, true), legacy},
		{"no colon", base64.StdEncoding.EncodeToString([]byte(k.ID + k.Secret)), legacy},
		{"wrong checksum", basic(k.ID, k.Secret[:len(k.Secret)-1]+"!", true), Credential{}},
		{"truncated secret", basic(k.ID, k.Secret[:len(k.Secret)-1], true), Credential{}},
		{"plain id:secret", k.ID + ":" + k.Secret, legacy},
		{"bad padding", strings.TrimSuffix(k.APIKey(), "=") + "==", legacy},
		{"line break", k.APIKey()[:40] + "\r\n" + k.APIKey()[40:], Credential{}},
		{"space", k.APIKey()[:40] + " " + k.APIKey()[40:], Credential{}},
		{"empty", "", Credential{}},
		{"short", "YTpi", Credential{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == legacy {
				want = Credential{Secret: tt.cred, Legacy: true}
			}
			c, err := ParseBasic(tt.cred)
			if want == (Credential{}) {
				if err != ErrMalformed {
					t.Fatalf("ParseBasic = %+v, %v; want ErrMalformed", c, err)
				}
				return
			}
			if err != nil || c != want {
				t.Fatalf("ParseBasic = %+v, %v; want %+v", c, err, want)
			}
		})
	}
}

// legacy marks a test case that must parse as a legacy key.
var legacy = Credential{Legacy: true}

func TestLegacy(t *testing.T) {
	tests := []struct {
		name string
		key  string
		rule string // "" when valid
	}{
		{"20", strings.Repeat("a", 20), ""},
		{"256", strings.Repeat("~", 256), ""},
		{"every printable", legacyAlphabet(), ""},
		{"19", strings.Repeat("a", 19), "at least 20 characters"},
		{"empty", "", "at least 20 characters"},
		{"257", strings.Repeat("a", 257), "at most 256 characters"},
		{"space", "legacy-key with-space", "printable ASCII"},
		{"tab", "legacy-key\twith-a-tab", "printable ASCII"},
		{"DEL", "legacy-key-with-a-del\x7f", "printable ASCII"},
		{"NUL", "legacy-key-with-a-nul\x00", "printable ASCII"},
		{"non-ASCII", "legacy-key-with-\u00e9t\u00e9", "printable ASCII"},
		{"invalid UTF-8", "legacy-key-invalid-\xff", "printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateLegacy(tt.key)
			c, perr := ParseBasic(tt.key)
			if tt.rule == "" {
				if err != nil || perr != nil || c != (Credential{Secret: tt.key, Legacy: true}) {
					t.Fatalf("ValidateLegacy = %v; ParseBasic = %+v, %v", err, c, perr)
				}
				return
			}
			if keyhouse.ErrorCode(err) != keyhouse.EINVALID {
				t.Fatalf("ValidateLegacy = %v, want an EINVALID error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.rule) || (len(tt.key) > 0 && strings.Contains(msg, tt.key[:10])) {
				t.Fatalf("message %q: want the rule %q and not the key", msg, tt.rule)
			}
			if perr != ErrMalformed {
				t.Fatalf("ParseBasic = %+v, %v; want ErrMalformed", c, perr)
			}
		})
	}
}

// legacyAlphabet returns every character a legacy key may hold, once.
func legacyAlphabet() string {
	b := make([]byte, 0, 94)
	for c := byte(0x21); c <= 0x7e; c++ {
		b = append(b, c)
	}
	return string(b)
}

func TestParseBasicGarbage(t *testing.T) {
	k := Generate(keyhouse.Sandbox)
	raw := k.ID + ":" + k.Secret
	inputs := []string{
		"=", "==", "===", "====", strings.Repeat("=", 400), ":", "Og==", "Og",
		basic("", "", true), basic("khk_", "kh_sandbox_", true), basic(":", ":", true),
		strings.Repeat("A", 308), strings.Repeat("A", 309), strings.Repeat("%", 300),
		basic(strings.Repeat("%", 100), strings.Repeat("%", 100), true),
		strings.Repeat("a", 100000),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte(raw)
		for range rng.IntN(4) + 1 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		inputs = append(inputs, base64.StdEncoding.EncodeToString(b), string(b[:rng.IntN(len(b))]))
	}
	for _, in := range inputs {
		checkParsed(t, in)
	}
}

// checkParsed checks the invariants of ParseBasic on any input: an error
// is ErrMalformed, and a credential is either a legacy key that is the
// input itself or a valid key id and secret that survive re-encoding.
func checkParsed(t *testing.T, cred string) {
	t.Helper()
	c, err := ParseBasic(cred)
	switch {
	case err != nil:
		if !errors.Is(err, ErrMalformed) || c != (Credential{}) {
			t.Fatalf("ParseBasic(%q) = %+v, %v", cred, c, err)
		}
	case c.Legacy:
		if c != (Credential{Secret: cred, Legacy: true}) || ValidateLegacy(cred) != nil {
			t.Fatalf("ParseBasic(%q) = %+v: not a valid legacy key", cred, c)
		}
	default:
		env, err := CheckSecret(c.Secret)
		if !ValidKeyID(c.KeyID) || err != nil || env != c.Environment {
			t.Fatalf("ParseBasic(%q) = %+v: invalid parts", cred, c)
		}
		again, err := ParseBasic(Key{ID: c.KeyID, Secret: c.Secret}.APIKey())
		if err != nil || again != c {
			t.Fatalf("re-encoded %+v parses to %+v, %v", c, again, err)
		}
	}
}

func TestFormUnescapeMatchesQueryUnescape(t *testing.T) {
	tests := []string{
		"", "abc", "a+b", "%41", "%4a%4A", "%", "%4", "%G0", "%0G", "a%", "%%41",
		"++", "%2B", "%20", "%00", "%ff", "caf%C3%A9", "\xff", "a%2",
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			checkFormUnescape(t, s)
		})
	}
}

// checkFormUnescape checks formUnescape against url.QueryUnescape.
func checkFormUnescape(t *testing.T, s string) {
	t.Helper()
	want, werr := url.QueryUnescape(s)
	got, ok := formUnescape([]byte(s))
	if ok != (werr == nil) || (ok && string(got) != want) {
		t.Fatalf("formUnescape(%q) = %q, %v; url.QueryUnescape = %q, %v", s, got, ok, want, werr)
	}
}

func FuzzParseBasic(f *testing.F) {
	// The seeds are in testdata/fuzz/FuzzParseBasic.
	f.Fuzz(func(t *testing.T, cred string) {
		checkParsed(t, cred)
		checkFormUnescape(t, cred)
	})
}

func BenchmarkParseBasic(b *testing.B) {
	apiKey := Generate(keyhouse.Production).APIKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBasic(apiKey); err != nil {
			b.Fatal(err)
		}
	}
}
