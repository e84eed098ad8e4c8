package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
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
// sign-in form, sealed: what was typed, and what makes it single-use
// (ID), bound to one browser (Binding) and short-lived (Expires).
type signInState struct {
	Email    string    `json:"e"`
	Password string    `json:"p"`
	OTP      string    `json:"o,omitempty"`
	ID       string    `json:"i"`
	Binding  []byte    `json:"b"`
	Expires  time.Time `json:"x"`
}

// SignInStateTTL bounds how long a sealed sign-in state may be used.
const SignInStateTTL = 3 * time.Minute

// Why a sealed sign-in state does not open. Each asks to start again.
var (
	errStateInvalid  = keyhouse.Errorf(keyhouse.EINVALID, "That sign-in form is not valid; start again.")
	errStateExpired  = keyhouse.Errorf(keyhouse.EINVALID, "That sign-in took too long; start again.")
	errStateBrowser  = keyhouse.Errorf(keyhouse.EINVALID, "That sign-in was started in another browser; start again.")
	errStateReplayed = keyhouse.Errorf(keyhouse.EINVALID, "That sign-in form was already used; start again.")
)

// SealSignIn seals what a person typed in the first steps of the
// console's sign-in (e-mail, password, then the code) so that the next
// step can carry it in a hidden field: the page then holds ciphertext,
// never the password. It opens once, within SignInStateTTL, and only with
// binding: the value of a cookie of the browser that started the sign-in.
func (s *Service) SealSignIn(req SignInRequest, binding string) string {
	b, _ := json.Marshal(signInState{
		Email: req.Email, Password: req.Password, OTP: req.OTP,
		ID: newToken("sis_"), Binding: bindingHash(binding), Expires: s.now().Add(SignInStateTTL),
	})
	return s.signInBox.Seal(b, "console-sign-in")
}

// OpenSignIn opens a sealed sign-in state and spends it. It answers
// EINVALID, with a message that asks to start again, when sealed is not
// a state, has expired, was sealed for another binding (another browser)
// or was opened before.
func (s *Service) OpenSignIn(ctx context.Context, sealed, binding string) (SignInRequest, error) {
	b, err := s.signInBox.Open(sealed, "console-sign-in")
	var st signInState
	if err != nil || json.Unmarshal(b, &st) != nil || st.ID == "" {
		return SignInRequest{}, errStateInvalid
	}
	if !s.now().Before(st.Expires) {
		return SignInRequest{}, errStateExpired
	}
	if binding == "" || subtle.ConstantTimeCompare(st.Binding, bindingHash(binding)) != 1 {
		return SignInRequest{}, errStateBrowser
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.UseSignInState(st.ID, st.Expires)
		if err != nil {
			return fmt.Errorf("use sign-in state: %w", err)
		}
		if !fresh {
			return errStateReplayed
		}
		return nil
	})
	if err != nil {
		return SignInRequest{}, err
	}
	return SignInRequest{Email: st.Email, Password: st.Password, OTP: st.OTP}, nil
}

// bindingHash returns what a sealed state keeps of a browser's binding
// cookie; an empty cookie binds nothing.
func bindingHash(binding string) []byte {
	if binding == "" {
		return nil
	}
	h := sha256.Sum256([]byte("console-sign-in\x00" + binding))
	return h[:]
}
