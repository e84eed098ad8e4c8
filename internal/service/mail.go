package service

import (
	"context"
	"fmt"

	"keyhouse"
)

// Mailer delivers the e-mails that carry links: invitations and password
// resets. internal/mail sends them over SMTP. Without a Mailer each link
// goes to whoever asked for it (the API answer, the console, the command
// line's output), as SPEC §1 says.
type Mailer interface {
	// SendLink delivers m to m.To, or answers why it could not: a
	// keyhouse EMAILFAILED error whose message is safe to show.
	SendLink(ctx context.Context, m *keyhouse.LinkMail) error
	// SendExpiry tells an Owner that a key stops working soon; errors as
	// SendLink's.
	SendExpiry(ctx context.Context, m *keyhouse.ExpiryMail) error
}

// MailsLinks reports whether links are e-mailed (a Mailer is configured)
// rather than given to whoever asked for them.
func (s *Service) MailsLinks() bool { return s.cfg.Mailer != nil }

// deliver e-mails m when a Mailer is configured, and reports whether it
// did; without one it does nothing, and the caller answers with the link.
// The delivery outlives the request that asked for it (a caller hanging up
// does not cut it short); the Mailer bounds its time.
func (s *Service) deliver(ctx context.Context, m *keyhouse.LinkMail) (bool, error) {
	if s.cfg.Mailer == nil {
		return false, nil
	}
	if err := s.cfg.Mailer.SendLink(context.WithoutCancel(ctx), m); err != nil {
		return false, err
	}
	return true, nil
}

// linkMail is the e-mail of link, of kind, for email's membership in org.
func linkMail(ctx context.Context, kind keyhouse.MailKind, email string, org *keyhouse.Organization, roles keyhouse.Roles, link *issued) *keyhouse.LinkMail {
	by := ""
	if p := keyhouse.PrincipalFromContext(ctx); p != nil && !p.Operator {
		by = p.Email
	}
	return &keyhouse.LinkMail{
		Kind: kind, To: email, OrganizationName: org.Name, Roles: roles,
		InvitedBy: by, URL: link.url, ExpiresAt: link.expires,
	}
}

// mailFailed is the answer when a member's e-mail could not be sent: done
// says what was made and kept, and the invitation can be sent again with a
// fresh link (POST /api/v1/users/{id}/invitation, the console's Send again).
func mailFailed(done, email string, err error) error {
	return &keyhouse.Error{
		Code: keyhouse.EMAILFAILED,
		Message: fmt.Sprintf("email: %s, but the e-mail to %s could not be sent (%s); send the invitation again once that is fixed",
			done, email, mailReason(err)),
		Err: err,
	}
}

// mailReason is the safe words of a Mailer's error.
func mailReason(err error) string {
	if keyhouse.ErrorCode(err) == keyhouse.EMAILFAILED {
		return keyhouse.ErrorMessage(err)
	}
	return "the mail server did not take it"
}
