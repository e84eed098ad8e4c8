package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"keyhouse"
)

// SignInChoices is SignIn for the console's organization picker. When the
// e-mail, password and code are right but the user belongs to several
// organizations and req names none, SignIn answers 422 naming
// organization_id; SignInChoices then starts no session either and returns
// the active organizations the user may choose from, by name. In every
// other case it answers what SignIn answers.
func (s *Service) SignInChoices(ctx context.Context, req SignInRequest) (*SignedIn, []*keyhouse.Organization, error) {
	out, err := s.SignIn(ctx, req)
	// SignIn answers EINVALID only from its choice of membership, which
	// runs after the password and the code were verified: the caller has
	// proved who it is, and may see the user's organizations.
	if req.OrganizationID != "" || keyhouse.ErrorCode(err) != keyhouse.EINVALID {
		return out, nil, err
	}
	email, _ := keyhouse.NormalizeEmail("email", req.Email)
	var orgs []*keyhouse.Organization
	verr := s.store.View(ctx, func(tx Tx) error {
		u, err := tx.FindUserByEmail(email)
		if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		ms, err := tx.ListMemberships(u.ID)
		if err != nil {
			return fmt.Errorf("list memberships: %w", err)
		}
		for _, m := range ms {
			o, err := tx.FindOrg(m.OrgID)
			if err != nil {
				return fmt.Errorf("find org: %w", err)
			}
			if o.State == keyhouse.OrgActive {
				orgs = append(orgs, o)
			}
		}
		return nil
	})
	if verr != nil {
		return nil, nil, verr
	}
	if len(orgs) == 0 {
		return nil, nil, err
	}
	slices.SortFunc(orgs, func(a, b *keyhouse.Organization) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return nil, orgs, nil
}
