package seal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// master is the bytes 0x00 to 0x1f.
var master = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

func TestDerive(t *testing.T) {
	// openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f <<< "keyhouse/totp"
	const want = "2a0093b0875b7edbb666e2c67133d3cca3c16b5fb1e6a4deeb1c739fdcb26604"
	if got := hex.EncodeToString(Derive(master, "totp")); got != want {
		t.Fatalf("Derive = %s, want %s", got, want)
	}
	other := bytes.Clone(master)
	other[31] ^= 1
	keys := [][]byte{
		Derive(master, "totp"), Derive(master, "apikey"), Derive(master, ""),
		Derive(master, "TOTP"), Derive(other, "totp"),
	}
	for i, a := range keys {
		if len(a) != KeyLen {
			t.Fatalf("key %d: %d bytes, want %d", i, len(a), KeyLen)
		}
		for _, b := range keys[i+1:] {
			if bytes.Equal(a, b) {
				t.Fatalf("key %d repeats another", i)
			}
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		n  int
		ok bool
	}{{0, false}, {16, false}, {24, false}, {31, false}, {32, true}, {33, false}, {64, false}}
	for _, tt := range tests {
		b, err := New(make([]byte, tt.n))
		if (err == nil) != tt.ok || (b != nil) != tt.ok {
			t.Errorf("New(%d bytes) = %v, %v; want ok=%v", tt.n, b, err, tt.ok)
		}
	}
}

// mustBox returns a Box with a key derived from master.
func mustBox(tb testing.TB, label string) *Box {
	tb.Helper()
	b, err := New(Derive(master, label))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	box := mustBox(t, "test")
	format := regexp.MustCompile(`^v1\.[A-Za-z0-9_-]+$`)
	tests := []struct {
		name      string
		plaintext []byte
		aad       string
	}{
		{"totp", []byte("JBSWY3DPEHPK3PXP"), "totp:usr_1"},
		{"empty", []byte{}, ""},
		{"binary", []byte{0, 0xff, '\n', 0xfe}, "signing-key:1"},
		{"4 KiB", bytes.Repeat([]byte{0xfb}, 4096), "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := box.Seal(tt.plaintext, tt.aad)
			if !format.MatchString(sealed) {
				t.Fatalf("Seal = %q, want v1. and unpadded base64url", sealed)
			}
			if again := box.Seal(tt.plaintext, tt.aad); again == sealed {
				t.Fatal("two seals of one value are equal: the nonce repeats")
			}
			got, err := box.Open(sealed, tt.aad)
			if err != nil || !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, %v; want %q", got, err, tt.plaintext)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	const plaintext = "TOTP-SECRET-JBSWY3DPEHPK3PXP"
	box := mustBox(t, "test")
	sealed := box.Seal([]byte(plaintext), "totp:usr_1")
	body := sealed[len("v1."):]
	type openCase struct {
		name, sealed, aad string
		box               *Box
	}
	tests := []openCase{
		{"wrong key", sealed, "totp:usr_1", mustBox(t, "other")},
		{"wrong aad", sealed, "totp:usr_2", box},
		{"empty aad", sealed, "", box},
		{"no prefix", body, "totp:usr_1", box},
		{"v2", "v2." + body, "totp:usr_1", box},
		{"upper case prefix", "V1." + body, "totp:usr_1", box},
		{"empty", "", "totp:usr_1", box},
		{"prefix only", "v1.", "totp:usr_1", box},
		{"too short", "v1." + body[:30], "totp:usr_1", box},
		{"truncated", sealed[:len(sealed)-1], "totp:usr_1", box},
		{"extended", sealed + "A", "totp:usr_1", box},
		{"padded", sealed + "=", "totp:usr_1", box},
		{"line break", sealed[:20] + "\n" + sealed[20:], "totp:usr_1", box},
		{"not base64", "v1." + strings.Repeat("!", len(body)), "totp:usr_1", box},
	}
	for i := len("v1."); i < len(sealed); i++ {
		for _, c := range []byte{'A', 'z', '-', '_', '+', '/'} {
			if sealed[i] != c {
				name := fmt.Sprintf("position %d to %c", i, c)
				tests = append(tests, openCase{name, sealed[:i] + string(c) + sealed[i+1:], "totp:usr_1", box})
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.aad)
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open(%q) = %q, %v; want ErrOpen", tt.sealed, got, err)
			}
			if strings.Contains(err.Error(), plaintext[:12]) || strings.Contains(err.Error(), body[:12]) {
				t.Fatalf("error %q holds the plaintext or the sealed value", err)
			}
		})
	}
}

func TestBoxConcurrent(t *testing.T) {
	box := mustBox(t, "test")
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for j := range 100 {
				aad := string(rune('a'+i)) + string(rune('a'+j%26))
				got, oerr := box.Open(box.Seal([]byte(aad), aad), aad)
				if oerr != nil || string(got) != aad {
					err = errors.New("concurrent seal and open failed")
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkSealOpen(b *testing.B) {
	box := mustBox(b, "bench")
	p := []byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := box.Open(box.Seal(p, "aad"), "aad"); err != nil {
			b.Fatal(err)
		}
	}
}
