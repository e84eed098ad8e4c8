package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"keyhouse"
)

// SetupTTL is how long a printed setup link stays valid.
const SetupTTL = 24 * time.Hour

// CreatedOrg is a new organization and how its Owner's invitation goes
// out: e-mailed (EmailSent), or as ActivationURL for the operator to pass
// on, without a Mailer or when the e-mail failed (MailError says why).
type CreatedOrg struct {
	OrganizationID string
	ActivationURL  string
	EmailSent      bool
	MailError      string
}

// EnsureSetupLink returns a fresh one-time setup link when the deployment
// has no organization yet; "" otherwise.
func (s *Service) EnsureSetupLink(ctx context.Context) (string, error) {
	token := newToken("khl_")
	var created bool
	err := s.store.Update(ctx, func(tx Tx) error {
		orgs, err := tx.ListOrgs()
		if err != nil || len(orgs) > 0 {
			return err
		}
		// Earlier links stay valid: with several instances starting on one
		// new database, each prints its own, and the first one used wins.
		created = true
		return tx.CreateLink(&keyhouse.Link{
			TokenHash: hashToken(token), Purpose: keyhouse.LinkSetup,
			ExpiresAt: s.now().Add(SetupTTL),
		})
	})
	if err != nil || !created {
		return "", err
	}
	return s.cfg.BaseURL + "/setup?token=" + token, nil
}

// CheckSetupLink answers nil when token is an unused, unexpired setup
// link of a deployment still without organizations, and ENOTFOUND
// otherwise, so that the setup page says at once that the link is dead.
func (s *Service) CheckSetupLink(ctx context.Context, token string) error {
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := s.findLink(tx, token, keyhouse.LinkSetup); err != nil {
			return err
		}
		if orgs, err := tx.ListOrgs(); err != nil {
			return err
		} else if len(orgs) > 0 {
			return errBadLink
		}
		return nil
	})
	if keyhouse.ErrorCode(err) == keyhouse.EINVALID {
		return keyhouse.Errorf(keyhouse.ENOTFOUND, "token: the setup link is used, expired or unknown")
	}
	return err
}

// Setup spends a setup token to create the first organization and its
// Owner, and returns the Owner's activation link.
func (s *Service) Setup(ctx context.Context, token, orgName, ownerEmail string) (*CreatedOrg, error) {
	email, err := validateNewOrg("organization_name", orgName, ownerEmail)
	if err != nil {
		return nil, err
	}
	var out *CreatedOrg
	var mail *keyhouse.LinkMail
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := s.spendLink(tx, token, keyhouse.LinkSetup); err != nil {
			return err
		}
		if orgs, err := tx.ListOrgs(); err != nil {
			return err
		} else if len(orgs) > 0 {
			return keyhouse.Errorf(keyhouse.ECONFLICT, "setup: already done")
		}
		out, mail, err = s.createOrg(ctx, tx, orgName, email)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.sendOwnerLink(ctx, out, mail), nil
}

// CreateOrganization creates a pending organization and an activation link
// for its first Owner. Only the operator may.
func (s *Service) CreateOrganization(ctx context.Context, name, ownerEmail string) (*CreatedOrg, error) {
	if p := keyhouse.PrincipalFromContext(ctx); p == nil || !p.Operator {
		return nil, keyhouse.Errorf(keyhouse.EFORBIDDEN, "only the operator creates organizations")
	}
	email, err := validateNewOrg("name", name, ownerEmail)
	if err != nil {
		return nil, err
	}
	var out *CreatedOrg
	var mail *keyhouse.LinkMail
	err = s.store.Update(ctx, func(tx Tx) error {
		out, mail, err = s.createOrg(ctx, tx, name, email)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.sendOwnerLink(ctx, out, mail), nil
}

// sendOwnerLink e-mails a new organization's Owner link when a Mailer is
// configured. Without one, or when the e-mail fails, the link goes to the
// operator who made the organization (the setup page, the command line):
// nobody else could send it again, since the organization has no active
// member yet. A failure is logged with its cause.
func (s *Service) sendOwnerLink(ctx context.Context, out *CreatedOrg, mail *keyhouse.LinkMail) *CreatedOrg {
	sent, err := s.deliver(ctx, mail)
	switch {
	case sent:
		out.EmailSent = true
	case err != nil:
		out.ActivationURL, out.MailError = mail.URL, "the e-mail to "+mail.To+" could not be sent ("+mailReason(err)+"); pass the link on instead"
		s.cfg.Logger.WarnContext(ctx, "e-mail of a new organization's Owner link failed", "organization_id", out.OrganizationID, "err", err)
	default:
		out.ActivationURL = mail.URL
	}
	return out
}

// validateNewOrg checks a new organization's name (reported as
// nameField) and its Owner's e-mail, and returns the e-mail normalized.
func validateNewOrg(nameField, name, ownerEmail string) (string, error) {
	if err := keyhouse.ValidateName(nameField, name); err != nil {
		return "", err
	}
	return keyhouse.NormalizeEmail("owner_email", ownerEmail)
}

// createOrg inserts a pending organization with email invited as its
// Owner. It stays pending until the link is used, also when the address
// already has an account: that account must accept.
func (s *Service) createOrg(ctx context.Context, tx Tx, name, email string) (*CreatedOrg, *keyhouse.LinkMail, error) {
	if err := requireNewName(tx, name); err != nil {
		return nil, nil, err
	}
	org := &keyhouse.Organization{
		ID: keyhouse.NewID("org"), Name: name, State: keyhouse.OrgPending, CreatedAt: s.now(),
	}
	if err := tx.CreateOrg(org); err != nil {
		return nil, nil, fmt.Errorf("create org: %w", err)
	}
	m, link, err := s.addMember(tx, org.ID, email, keyhouse.Roles{keyhouse.RoleOwner}, "")
	if err != nil {
		return nil, nil, err
	}
	if err := s.audit(ctx, tx, org.ID, "", keyhouse.ActionOrgCreated, org.ID); err != nil {
		return nil, nil, err
	}
	if err := s.audit(ctx, tx, org.ID, "", keyhouse.ActionUserInvited, email); err != nil {
		return nil, nil, err
	}
	return &CreatedOrg{OrganizationID: org.ID}, linkMail(ctx, keyhouse.MailInvitation, email, org, m.Roles, link), nil
}

// requireNewName refuses a name that another organization has, in any
// case: two organizations of one name cannot be told apart in the
// console, the CLI's list or an e-mail.
func requireNewName(tx Tx, name string) error {
	orgs, err := tx.ListOrgs()
	if err != nil {
		return fmt.Errorf("list orgs: %w", err)
	}
	for _, o := range orgs {
		if strings.EqualFold(strings.TrimSpace(o.Name), strings.TrimSpace(name)) {
			return keyhouse.Errorf(keyhouse.ECONFLICT, "name: an organization named %q already exists (%s)", o.Name, o.ID)
		}
	}
	return nil
}

// ListOrganizations returns every organization. Only the operator may.
func (s *Service) ListOrganizations(ctx context.Context) ([]*keyhouse.Organization, error) {
	if p := keyhouse.PrincipalFromContext(ctx); p == nil || !p.Operator {
		return nil, keyhouse.Errorf(keyhouse.EFORBIDDEN, "only the operator lists organizations")
	}
	var orgs []*keyhouse.Organization
	err := s.store.View(ctx, func(tx Tx) (err error) {
		orgs, err = tx.ListOrgs()
		return err
	})
	return orgs, err
}

// spendLink checks an unused, unexpired link of purpose and marks it used.
func (s *Service) spendLink(tx Tx, token, purpose string) (*keyhouse.Link, error) {
	l, err := s.findLink(tx, token, purpose)
	if err != nil {
		return nil, err
	}
	if err := tx.UseLink(l.TokenHash, s.now()); err != nil {
		if keyhouse.ErrorCode(err) == keyhouse.ECONFLICT {
			return nil, errBadLink
		}
		return nil, err
	}
	return l, nil
}

var errBadLink = keyhouse.Errorf(keyhouse.EINVALID, "token: the link is invalid, used or expired")

// findLink returns the unused, unexpired link of purpose for token.
func (s *Service) findLink(tx Tx, token, purpose string) (*keyhouse.Link, error) {
	l, err := tx.FindLink(hashToken(token))
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		return nil, errBadLink
	} else if err != nil {
		return nil, err
	}
	if l.Purpose != purpose || l.UsedAt != nil || !s.now().Before(l.ExpiresAt) {
		return nil, errBadLink
	}
	return l, nil
}
