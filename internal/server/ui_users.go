package server

import (
	"net/http"

	"keyhouse"
)

// usersView is the Users page: the members of the organization, the
// invitation form, and one dialog per action on a member. The service
// enforces the Owner-only rules; the page only hides what the viewer
// cannot do (an Admin sees no actions on Owners and cannot tick owner).
type usersView struct {
	chrome
	Roles   []keyhouse.Role
	IsOwner bool
	Members []*memberRow
	Invite  inviteForm
	Link    *passOn // an activation link to pass on, after invite or reset
	Mails   bool    // links are e-mailed, not shown
}

type inviteForm struct {
	dialogForm
	Roles keyhouse.Roles
}

// memberRow is one member with the dialogs that act on it.
type memberRow struct {
	*keyhouse.Member
	Self, Manage bool
	// Removable is Manage, except for the organization's only active
	// Owner: removing them is refused, so it is not offered.
	Removable                        bool
	Resend                           bool           // a pending invitation the viewer may send again
	Chosen                           keyhouse.Roles // the ticked roles of the roles dialog
	RolesForm, Remove, Reset         dialogForm
	RolesHref, RemoveHref, ResetHref string
}

// passOn is a link the viewer must pass on to someone (no SMTP server).
type passOn struct {
	Heading, Text, URL string
}

func (s *Server) newUsersView(r *http.Request) (*usersView, error) {
	c, err := s.signedInChrome(r, "Users", "admin", crumbAdmin, crumb{"Users", "/admin/users"})
	if err != nil {
		return nil, err
	}
	ms, err := s.Service.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	v := &usersView{chrome: c, Roles: keyhouse.AllRoles, IsOwner: c.Me.Roles.Has(keyhouse.RoleOwner), Mails: s.Service.MailsLinks()}
	v.Invite.Roles = keyhouse.Roles{keyhouse.RoleView}
	owners := activeOwners(ms)
	for _, m := range ms {
		base := "/admin/users?"
		row := &memberRow{
			Member: m, Self: m.Email == c.Me.Email, Chosen: m.Roles,
			Manage:    v.IsOwner || !m.Roles.Has(keyhouse.RoleOwner),
			RolesHref: base + "roles=" + m.ID + "#roles-" + m.ID, RemoveHref: base + "remove=" + m.ID + "#remove-" + m.ID,
			ResetHref: base + "reset=" + m.ID + "#reset-" + m.ID,
		}
		row.Resend = row.Manage && m.Status == keyhouse.UserPending
		row.Removable = row.Manage && !(owners == 1 && isActiveOwner(m))
		v.Members = append(v.Members, row)
	}
	return v, nil
}

// activeOwners counts the active Owners among ms.
func activeOwners(ms []*keyhouse.Member) int {
	n := 0
	for _, m := range ms {
		if isActiveOwner(m) {
			n++
		}
	}
	return n
}

// isActiveOwner reports whether m is an Owner who has activated.
func isActiveOwner(m *keyhouse.Member) bool {
	return m.Status == keyhouse.UserActive && m.Roles.Has(keyhouse.RoleOwner)
}

// member returns the row of a member, or nil.
func (v *usersView) member(id string) *memberRow {
	for _, m := range v.Members {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (s *Server) handleUsersPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.newUsersView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v.Notice = notices[q.Get("notice")]
	v.Invite.Open = q.Get("invite") != ""
	if m := v.member(q.Get("roles")); m != nil && m.Manage {
		m.RolesForm.Open = true
	}
	if m := v.member(q.Get("remove")); m != nil && m.Manage {
		m.Remove.Open = true
	}
	if m := v.member(q.Get("reset")); m != nil && m.Manage {
		m.Reset.Open = true
	}
	return s.render(w, http.StatusOK, "users.html", v)
}

func (s *Server) handleUserInviteForm(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return keyhouse.Errorf(keyhouse.EBADREQUEST, "form: %v", err)
	}
	email, roles := r.PostFormValue("email"), r.PostForm["roles"]
	inv, err := s.Service.InviteUser(r.Context(), email, roles)
	if keyhouse.ErrorCode(err) == keyhouse.EMAILFAILED {
		return s.mailFailedPage(w, r, err)
	}
	if err != nil && !formError(err) && keyhouse.ErrorCode(err) != keyhouse.EFORBIDDEN {
		return err
	}
	v, verr := s.newUsersView(r)
	if verr != nil {
		return verr
	}
	if err != nil {
		v.Invite = inviteForm{dialogForm: dialogForm{Open: true, Value: email, Error: pageMessage(err)}, Roles: rolesOf(roles)}
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "users.html", v)
	}
	v.Clean = "/admin/users"
	if inv.EmailSent {
		v.Notice = "Invitation sent to " + inv.Email + ". The link in it works once, for 7 days; " + inv.Email + " stays pending here until it is used."
	} else {
		v.Link = &passOn{
			Heading: "Invitation created for " + inv.Email,
			Text:    "Send this invitation link to " + inv.Email + ". It works once, for 7 days, and is not shown again. " + inv.Email + " stays pending here until the link is used.",
			URL:     inv.ActivationURL,
		}
	}
	return s.render(w, http.StatusCreated, "users.html", v)
}

// mailFailedPage answers an e-mail that could not be sent: the Users
// page, with the service's message (what was kept, and why the e-mail
// failed) as its alert, and the invitation's Send again button in the list.
func (s *Server) mailFailedPage(w http.ResponseWriter, r *http.Request, err error) error {
	v, verr := s.newUsersView(r)
	if verr != nil {
		return verr
	}
	s.Logger.WarnContext(r.Context(), "e-mail not sent", "err", err)
	v.Clean, v.Alert = "/admin/users", pageMessage(err)
	return s.render(w, statusOf[keyhouse.EMAILFAILED], "users.html", v)
}

// rolesOf keeps the known roles of names, for ticking them again.
func rolesOf(names []string) keyhouse.Roles {
	var rs keyhouse.Roles
	for _, n := range names {
		for _, r := range keyhouse.AllRoles {
			if string(r) == n {
				rs = append(rs, r)
			}
		}
	}
	return rs
}

// userFormError answers a refused action on a member with its dialog open
// and the service's message in it.
func (s *Server) userFormError(w http.ResponseWriter, r *http.Request, err error, open func(*memberRow)) error {
	if !formError(err) && keyhouse.ErrorCode(err) != keyhouse.EFORBIDDEN {
		return err
	}
	v, verr := s.newUsersView(r)
	if verr != nil {
		return verr
	}
	if m := v.member(r.PathValue("id")); m != nil {
		open(m)
	} else {
		return err
	}
	return s.render(w, statusOf[keyhouse.ErrorCode(err)], "users.html", v)
}

func (s *Server) handleUserRolesForm(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return keyhouse.Errorf(keyhouse.EBADREQUEST, "form: %v", err)
	}
	roles := r.PostForm["roles"]
	if _, err := s.Service.UpdateUserRoles(r.Context(), r.PathValue("id"), roles); err != nil {
		return s.userFormError(w, r, err, func(m *memberRow) {
			m.RolesForm, m.Chosen = dialogForm{Open: true, Error: pageMessage(err)}, rolesOf(roles)
		})
	}
	http.Redirect(w, r, "/admin/users?notice=roles", http.StatusSeeOther)
	return nil
}

func (s *Server) handleUserRemoveForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RemoveUser(r.Context(), r.PathValue("id")); err != nil {
		return s.userFormError(w, r, err, func(m *memberRow) {
			m.Remove = dialogForm{Open: true, Error: pageMessage(err)}
		})
	}
	http.Redirect(w, r, "/admin/users?notice=removed", http.StatusSeeOther)
	return nil
}

func (s *Server) handleUserResetForm(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Service.ResetPassword(r.Context(), r.PathValue("id"))
	if keyhouse.ErrorCode(err) == keyhouse.EMAILFAILED {
		return s.mailFailedPage(w, r, err)
	} else if err != nil {
		return s.userFormError(w, r, err, func(m *memberRow) {
			m.Reset = dialogForm{Open: true, Error: pageMessage(err)}
		})
	}
	v, err := s.newUsersView(r)
	if err != nil {
		return err
	}
	v.Clean = "/admin/users"
	if out.EmailSent {
		v.Notice = "Password reset for " + out.Email + ": their sessions have ended, and a link to set a new password and authenticator was sent to " + out.Email + "."
	} else {
		v.Link = &passOn{
			Heading: "Password reset for " + out.Email,
			Text:    "Their sessions have ended. Send them this link to set a new password and enrol a new authenticator. It is not shown again.",
			URL:     out.ActivationURL,
		}
	}
	return s.render(w, http.StatusOK, "users.html", v)
}

// handleUserResendForm sends a pending member's invitation again with a
// fresh link: e-mailed, or shown to pass on. A refusal comes back as the
// page's alert.
func (s *Server) handleUserResendForm(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Service.ResendInvitation(r.Context(), r.PathValue("id"))
	switch code := keyhouse.ErrorCode(err); {
	case code == keyhouse.EMAILFAILED:
		return s.mailFailedPage(w, r, err)
	case code == keyhouse.ECONFLICT || code == keyhouse.EFORBIDDEN:
		v, verr := s.newUsersView(r)
		if verr != nil {
			return verr
		}
		v.Clean, v.Alert = "/admin/users", pageMessage(err)
		return s.render(w, statusOf[code], "users.html", v)
	case err != nil:
		return err
	}
	v, err := s.newUsersView(r)
	if err != nil {
		return err
	}
	v.Clean = "/admin/users"
	if out.EmailSent {
		v.Notice = "Invitation sent again to " + out.Email + ", with a new link; the one sent before no longer works."
	} else {
		v.Link = &passOn{
			Heading: "New invitation link for " + out.Email,
			Text:    "Send this link to " + out.Email + ". It works once, for 7 days, and is not shown again; the link made before no longer works.",
			URL:     out.ActivationURL,
		}
	}
	return s.render(w, http.StatusOK, "users.html", v)
}
