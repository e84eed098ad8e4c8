package server

import (
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// auditEventResponse is one event of the security audit report.
type auditEventResponse struct {
	ID          int64                `json:"id"`
	Time        time.Time            `json:"time"`
	OrgID       string               `json:"organization_id"`
	Environment keyhouse.Environment `json:"environment,omitempty"`
	Actor       string               `json:"actor"`
	Action      string               `json:"action"`
	Target      string               `json:"target"`
	IP          string               `json:"ip"`
	UserAgent   string               `json:"user_agent"`
}

// auditPageResponse is one page of the report, newest first; next_cursor,
// when not "", fetches the next (older) page.
type auditPageResponse struct {
	Events     []auditEventResponse `json:"audit_events"`
	NextCursor string               `json:"next_cursor"`
}

func newAuditPageResponse(p *service.AuditPage) auditPageResponse {
	out := auditPageResponse{Events: make([]auditEventResponse, 0, len(p.Events)), NextCursor: p.NextCursor}
	for _, e := range p.Events {
		out.Events = append(out.Events, auditEventResponse{ID: e.ID, Time: e.Time, OrgID: e.OrgID, Environment: e.Environment,
			Actor: e.Actor, Action: e.Action, Target: e.Target, IP: e.IP, UserAgent: e.UserAgent})
	}
	return out
}
