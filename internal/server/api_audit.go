package server

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keyhouse"
)

// auditFilter reads the report's filters from the query string.
func auditFilter(r *http.Request) (keyhouse.AuditFilter, error) {
	q := r.URL.Query()
	var f keyhouse.AuditFilter
	var err error
	if f.From, err = queryTime(q.Get("from"), "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(q.Get("to"), "to"); err != nil {
		return f, err
	}
	if _, dateErr := time.Parse(time.DateOnly, q.Get("to")); dateErr == nil {
		f.To = f.To.AddDate(0, 0, 1) // a date includes its whole day
	}
	f.Action = q.Get("action")
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return f, keyhouse.Errorf(keyhouse.EINVALID, "limit: must be a number from 1 to 1000")
		}
	}
	return f, nil
}

// queryTime parses an RFC 3339 time or a date (YYYY-MM-DD, UTC midnight).
func queryTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, keyhouse.Errorf(keyhouse.EINVALID, "%s: must be an RFC 3339 time or a YYYY-MM-DD date", field)
}

func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	wantCSV := strings.Contains(r.Header.Get("Accept"), "text/csv")
	if wantCSV && f.Limit == 0 {
		f.Limit = 1000
	}
	page, err := s.Service.ListAudit(r.Context(), f, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	if !wantCSV {
		writeJSON(w, http.StatusOK, newAuditPageResponse(page))
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // e-mails and addresses: no cache keeps them
	w.Header().Set("Content-Disposition", `attachment; filename="keyhouse-audit.csv"`)
	if page.NextCursor != "" {
		w.Header().Set("X-Next-Cursor", page.NextCursor)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "time", "organization_id", "environment", "actor", "action", "target", "ip", "user_agent"})
	for _, ev := range page.Events {
		_ = cw.Write([]string{
			strconv.FormatInt(ev.ID, 10), ev.Time.Format(time.RFC3339Nano), ev.OrgID, string(ev.Environment),
			csvSafe(ev.Actor), ev.Action, csvSafe(ev.Target), ev.IP, csvSafe(ev.UserAgent),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.logError(r, "write audit csv", err)
	}
	return nil
}

// csvSafe defuses spreadsheet formula injection in user-controlled cells.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
