package server

import (
	"net/http"
	"net/url"
	"strings"

	"keyhouse"
	"keyhouse/internal/service"
)

// auditView is the security audit report: filters, one page of events
// newest first, the link to the next (older) page, and CSV export.
type auditView struct {
	chrome
	From, To, Action string
	Actions          []string
	Errors           map[string]string
	Page             *service.AuditPage
	Rows             []auditRow // Page's events in words
	NextHref         string     // the next, older page; "" on the last
	FirstHref        string     // back to the newest page; "" on it
	ExportHref       string
}

// auditActions are the actions the filter offers.
var auditActions = []string{
	keyhouse.ActionSigninSucceeded, keyhouse.ActionSigninFailed,
	keyhouse.ActionUserInvited, keyhouse.ActionUserActivated, keyhouse.ActionUserUpdated,
	keyhouse.ActionUserRemoved, keyhouse.ActionUserPasswordReset,
	keyhouse.ActionClientInitialized, keyhouse.ActionKeyCreated, keyhouse.ActionKeyUpdated,
	keyhouse.ActionKeyDeleted, keyhouse.ActionKeyImported, keyhouse.ActionOrgCreated,
}

// auditPageSize is how many events one page of the console shows.
const auditPageSize = 50

func (s *Server) handleAuditPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.signedInChrome(r, "Security audit", "admin", crumbAdmin, crumb{"Security audit", "/admin/audit"})
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := auditView{chrome: c, From: q.Get("from"), To: q.Get("to"), Action: q.Get("action"), Actions: auditActions}
	filters := url.Values{}
	for _, k := range []string{"from", "to", "action"} {
		if q.Get(k) != "" {
			filters.Set(k, q.Get(k))
		}
	}
	f, err := auditFilter(r)
	if err != nil {
		v.Errors = fieldErrors(err, &v.chrome, "from", "to") // the page has no limit field: an alert
		v.Page = &service.AuditPage{}
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "audit.html", v)
	}
	if f.Limit == 0 {
		f.Limit = auditPageSize
	}
	cursor := q.Get("cursor")
	if v.Page, err = s.Service.ListAudit(r.Context(), f, cursor); err != nil {
		if !formError(err) {
			return err
		}
		v.Alert, v.Page = pageMessage(err), &service.AuditPage{}
	}
	v.FirstHref = withQuery("/admin/audit", filters)
	export := url.Values{"cursor": {cursor}}
	for k, vs := range filters {
		export[k] = vs
	}
	if cursor == "" {
		v.FirstHref = ""
		export.Del("cursor")
	}
	v.ExportHref = withQuery("/admin/audit/export.csv", export)
	v.Rows = s.auditRows(r, v.chrome, v.Page.Events)
	if v.Page.NextCursor != "" {
		next := url.Values{}
		for k, vs := range filters {
			next[k] = vs
		}
		next.Set("cursor", v.Page.NextCursor)
		v.NextHref = withQuery("/admin/audit", next)
	}
	return s.render(w, http.StatusOK, "audit.html", v)
}

// auditRow is one event of the report as people read it: what happened
// in words, who, and on what (the client's name and ID for a key).
type auditRow struct {
	*keyhouse.AuditEvent
	What, On string
}

// auditRows puts events into words. The clients and keys of the
// organization name the targets that are client IDs and key ids; one
// deleted since stays an id.
func (s *Server) auditRows(r *http.Request, c chrome, events []*keyhouse.AuditEvent) []auditRow {
	clients := map[string]*keyhouse.ClientDetail{} // by client ID
	keys := map[string]*keyhouse.ClientDetail{}    // by key id
	if c.Can.ViewKeys {
		for _, env := range keyhouse.Environments {
			cs, err := s.Service.ListClients(r.Context(), env)
			if err != nil {
				continue // the report stands without names
			}
			for _, cd := range cs {
				clients[cd.ClientID] = cd
				for _, k := range cd.Keys {
					keys[k.KeyID] = cd
				}
			}
		}
	}
	rows := make([]auditRow, len(events))
	for i, ev := range events {
		rows[i] = auditRow{AuditEvent: ev, What: auditWord(ev.Action), On: ev.Target}
		switch {
		case ev.Action == keyhouse.ActionClientInitialized && clients[ev.Target] != nil:
			rows[i].On = clients[ev.Target].Name + " · client ID " + ev.Target
		case strings.HasPrefix(ev.Action, "api_key.") && keys[ev.Target] != nil:
			rows[i].On = "Key " + ev.Target + " of " + keys[ev.Target].Name + " · client ID " + keys[ev.Target].ClientID
		case strings.HasPrefix(ev.Action, "api_key."):
			rows[i].On = "Key " + ev.Target
		case ev.Action == keyhouse.ActionOrgCreated && c.Me != nil && c.Me.Organization != nil && c.Me.Organization.ID == ev.Target:
			rows[i].On = c.Me.Organization.Name
		case ev.Action == keyhouse.ActionUserUpdated:
			if who, roles, ok := strings.Cut(ev.Target, " roles="); ok {
				rows[i].On = who + " · now " + rolesInWords(roles)
			}
		}
	}
	return rows
}

// rolesInWords turns "owner,admin" into "Owner, Admin".
func rolesInWords(codes string) string {
	names := strings.Split(codes, ",")
	for i, n := range names {
		names[i] = roleName(keyhouse.Role(strings.TrimSpace(n)))
	}
	return strings.Join(names, ", ")
}

// handleAuditExport answers the report as CSV: the JSON API's own
// handler, asked for text/csv, so that both give the same file.
func (s *Server) handleAuditExport(w http.ResponseWriter, r *http.Request) error {
	r.Header.Set("Accept", "text/csv")
	return s.handleAuditList(w, r)
}

// withQuery returns p with q as its query string, if any.
func withQuery(p string, q url.Values) string {
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}
