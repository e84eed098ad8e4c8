package keyhouse

import "time"

// MailKind is what an e-mail with a link is for.
type MailKind string

// The e-mails keyhouse sends.
const (
	MailInvitation    MailKind = "invitation"     // join an organization
	MailPasswordReset MailKind = "password_reset" // set a new password and authenticator
)

// LinkMail is an e-mail that carries a single-use link to one address:
// an invitation into an organization or a password reset. It says who
// asked for it, for which organization and roles, and until when the
// link works.
type LinkMail struct {
	Kind             MailKind
	To               string
	OrganizationName string
	Roles            Roles
	InvitedBy        string // the member who asked, by e-mail; "" for the operator
	URL              string
	ExpiresAt        time.Time
}
