package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsoleFormsRefuseOtherOrigins posts a state-changing console form
// with the Owner's session cookie, as a page of another site (or of a
// sibling subdomain) would make the browser do: refused with 403 and
// nothing changed, whether the browser says where the request comes from
// with Sec-Fetch-Site or, older ones, only with Origin.
func TestConsoleFormsRefuseOtherOrigins(t *testing.T) {
	f := newFixture(t)
	victim := f.roles["standard"]
	before := f.state(t)
	for _, headers := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://other.kh.test"},
		{"Origin": "https://evil.example"},
	} {
		form := url.Values{"roles": {"owner"}}
		req, _ := http.NewRequest("POST", f.srv.URL+"/admin/users/"+victim.ID+"/roles", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		c := newWebClient(t, f.srv.URL).session(f.owner.Token)
		if resp, body := c.do(req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%v: status %d, want 403: %.200s", headers, resp.StatusCode, body)
		}
	}
	if after := f.state(t); after != before {
		t.Errorf("a cross-origin form changed something:\nbefore %s\nafter  %s", before, after)
	}
}
