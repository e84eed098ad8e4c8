package apikey

import (
	"strings"
	"testing"
)

func TestResourceServerCredential(t *testing.T) {
	id, cred := GenerateResourceServer()
	got, err := ParseResourceServer(cred)
	if err != nil || got != id {
		t.Fatalf("ParseResourceServer(%q) = %q, %v; want %q", cred, got, err, id)
	}
	if other, _ := GenerateResourceServer(); other == id {
		t.Fatal("two credentials with one id")
	}
	bad := []string{
		"", "khrs_", cred[:len(cred)-1], cred + "x",
		strings.Replace(cred, "khrs_", "khrz_", 1),
		cred[:25] + "-" + cred[26:], // no separator
		cred[:10] + "!" + cred[11:], // not base62 in the id
		cred[:len(cred)-1] + "=",    // not base62 in the secret
		"khk_" + cred[5:],           // an API key's prefix
	}
	for _, b := range bad {
		if _, err := ParseResourceServer(b); err != ErrMalformed {
			t.Errorf("ParseResourceServer(%q) = %v, want ErrMalformed", b, err)
		}
	}
}
