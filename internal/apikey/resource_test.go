package apikey

import (
	"regexp"
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

// resourceServerForm is the credential's form, written out as the fuzz
// oracle.
var resourceServerForm = regexp.MustCompile(`^khrs_([0-9A-Za-z]{20})_[0-9A-Za-z]{43}$`)

// FuzzParseResourceServer: ParseResourceServer never panics, accepts
// exactly the credential's form, and names the id of its 20 characters.
func FuzzParseResourceServer(f *testing.F) {
	_, cred := GenerateResourceServer()
	for _, s := range []string{cred, "", "khrs_", cred[:30], cred + "=", "khk_" + cred[5:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseResourceServer(s)
		m := resourceServerForm.FindStringSubmatch(s)
		switch {
		case m == nil && err == nil:
			t.Fatalf("accepted %q", s)
		case m != nil && (err != nil || id != ResourceServerIDPrefix+m[1]):
			t.Fatalf("ParseResourceServer(%q) = %q, %v", s, id, err)
		}
	})
}
