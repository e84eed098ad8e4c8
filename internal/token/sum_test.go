package token

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// TestSum: Sum is sha256.Sum256 of the token, for tokens shorter and
// longer than its buffer.
func TestSum(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 1500, 4096} {
		raw := strings.Repeat("eyJ.x-", n)[:n]
		if got, want := Sum(raw), sha256.Sum256([]byte(raw)); got != want {
			t.Errorf("%d bytes: %x, want %x", n, got, want)
		}
	}
}
