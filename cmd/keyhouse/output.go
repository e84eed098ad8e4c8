package main

import (
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// The shapes that commands print with --json. Like the server's response
// types (internal/server/model*.go) they live with their adapter: domain
// and service types carry no json tags.

// createdOrgJSON is what `org create --json` prints.
type createdOrgJSON struct {
	OrganizationID string `json:"organization_id"`
	ActivationURL  string `json:"activation_url,omitempty"`
	EmailSent      bool   `json:"email_sent,omitempty"`
	MailError      string `json:"mail_error,omitempty"`
}

func newCreatedOrgJSON(c *service.CreatedOrg) createdOrgJSON {
	return createdOrgJSON{OrganizationID: c.OrganizationID, ActivationURL: c.ActivationURL, EmailSent: c.EmailSent, MailError: c.MailError}
}

// organizationJSON is one organization of `org list --json`.
type organizationJSON struct {
	ID        string            `json:"organization_id"`
	Name      string            `json:"name"`
	State     keyhouse.OrgState `json:"state"`
	CreatedAt time.Time         `json:"created_at"`
	// MaxKeyLifetimeDays caps new keys' expiry; null for none.
	MaxKeyLifetimeDays *int `json:"max_key_lifetime_days"`
}

// orgListJSON is what `org list --json` prints: {"organizations":[…]}.
type orgListJSON struct {
	Organizations []organizationJSON `json:"organizations"`
}

func newOrgListJSON(orgs []*keyhouse.Organization) orgListJSON {
	out := orgListJSON{Organizations: make([]organizationJSON, 0, len(orgs))}
	for _, o := range orgs {
		out.Organizations = append(out.Organizations, organizationJSON{ID: o.ID, Name: o.Name, State: o.State, CreatedAt: o.CreatedAt, MaxKeyLifetimeDays: o.MaxKeyLifetimeDays})
	}
	return out
}
