package server_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"regexp"
	"testing"
	"unicode/utf8"

	"keyhouse"
	"keyhouse/internal/server"
)

// correlationID is the form of a caller's X-Correlation-Id that is echoed.
var correlationID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// FuzzRequestInfo drives the headers every request is logged and audited
// with: X-Forwarded-For (behind a trusted proxy), X-Correlation-Id and
// User-Agent, on a failed sign-in, which the audit records. The answer
// echoes only a well-formed correlation id; the audit event has an
// address and a User-Agent of at most 512 bytes of UTF-8, the one sent
// when it was such.
func FuzzRequestInfo(f *testing.F) {
	fe := newFuzzEnv(f)
	fe.h.(*server.Server).TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, forwardedFor, correlation, userAgent string) {
		resp := fe.serve(request{
			method: "POST", target: "/api/v1/sessions",
			header: http.Header{
				"Content-Type": {"application/json"}, "X-Forwarded-For": {forwardedFor},
				"X-Correlation-Id": {correlation}, "User-Agent": {userAgent},
			},
			body: fe.fill(t, `{"email":"$OWNER","password":"not-the-password","otp":"000000"}`),
		})
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		checkAPI(t, a)
		got := a.Header.Get("X-Correlation-Id")
		if correlationID.MatchString(correlation) != (got == correlation) || !correlationID.MatchString(got) {
			t.Fatalf("X-Correlation-Id %q answered %q", correlation, got)
		}
		if a.StatusCode != http.StatusUnauthorized {
			return // throttled: not audited
		}
		page, err := fe.e.Svc.ListAudit(fe.ownerCtx, keyhouse.AuditFilter{Action: keyhouse.ActionSigninFailed, Limit: 1}, "")
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("audit: %v", err)
		}
		ev := page.Events[0]
		if _, err := netip.ParseAddr(ev.IP); err != nil {
			t.Fatalf("audited address %q", ev.IP)
		}
		ua := ev.UserAgent
		if len(ua) > 512 || !utf8.ValidString(ua) || utf8.ValidString(userAgent) && len(userAgent) <= 512 && ua != userAgent {
			b, _ := json.Marshal(ev)
			t.Fatalf("User-Agent %q audited as %s", userAgent, b)
		}
	})
}
