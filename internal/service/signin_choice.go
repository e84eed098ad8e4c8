package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

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

// signInState is what the console carries between the steps of its
// sign-in form, sealed.
type signInState struct {
	Email    string    `json:"e"`
	Password string    `json:"p"`
	OTP      string    `json:"o,omitempty"`
	Expires  time.Time `json:"x"`
}

// signInStateTTL bounds how long a sealed sign-in state may be used.
const signInStateTTL = 10 * time.Minute

// SealSignIn seals what a person typed in the first steps of the
// console's sign-in (e-mail, password, then the code) so that the next
// step can carry it in a hidden field: the page then holds ciphertext,
// never the password. It is good for 10 minutes.
func (s *Service) SealSignIn(req SignInRequest) string {
	b, _ := json.Marshal(signInState{Email: req.Email, Password: req.Password, OTP: req.OTP, Expires: s.now().Add(signInStateTTL)})
	return s.signInBox.Seal(b, "console-sign-in")
}

// OpenSignIn opens a sealed sign-in state; false when it is not one, or
// has expired.
func (s *Service) OpenSignIn(sealed string) (SignInRequest, bool) {
	b, err := s.signInBox.Open(sealed, "console-sign-in")
	var st signInState
	if err != nil || json.Unmarshal(b, &st) != nil || !s.now().Before(st.Expires) {
		return SignInRequest{}, false
	}
	return SignInRequest{Email: st.Email, Password: st.Password, OTP: st.OTP}, true
}
