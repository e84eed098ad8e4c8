package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzAuditQuery drives the audit report's query string (from, to,
// action, limit, cursor) on the JSON API, its CSV answer, the console's
// page and its CSV export.
func FuzzAuditQuery(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		q := fe.fill(t, query)
		api := http.Header{"Authorization": {"Bearer " + fe.vars["$SESSION"]}}
		console := http.Header{"Cookie": {"keyhouse_session=" + fe.vars["$SESSION"]}}
		var req request
		switch route % 4 {
		case 0:
			req = request{method: "GET", target: withQuery("/api/v1/audit-events", q), header: api}
		case 1:
			api.Set("Accept", "text/csv")
			req = request{method: "GET", target: withQuery("/api/v1/audit-events", q), header: api}
		case 2:
			req = request{method: "GET", target: withQuery("/admin/audit", q), header: console}
		default:
			req = request{method: "GET", target: withQuery("/admin/audit/export.csv", q), header: console}
		}
		resp := fe.serve(req)
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		switch {
		case a.StatusCode == http.StatusOK && route%2 == 1:
			if !strings.HasPrefix(a.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(a.body, "id,time,") {
				t.Fatalf("CSV answer %s: %.200s", a.Header.Get("Content-Type"), a.body)
			}
		case route%4 >= 2: // the console's: a page
			checkPage(t, a)
		default:
			checkAPI(t, a, "from", "to", "limit", "cursor")
		}
	})
}
