package verify

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// TestTokenSum: tokenSum is sha256.Sum256 of the token, for tokens
// shorter and longer than its buffer.
func TestTokenSum(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 1500, 4096} {
		raw := strings.Repeat("eyJ.x-", n)[:n]
		if got, want := tokenSum(raw), sha256.Sum256([]byte(raw)); got != want {
			t.Errorf("%d bytes: %x, want %x", n, got, want)
		}
	}
}
