package server

import (
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// memberResponse is a user as seen from the caller's organization.
type memberResponse struct {
	ID        string              `json:"id"`
	Email     string              `json:"email"`
	Roles     keyhouse.Roles      `json:"roles"`
	Status    keyhouse.UserStatus `json:"status"`
	CreatedAt time.Time           `json:"created_at"`
}

func newMemberResponse(m *keyhouse.Member) memberResponse {
	return memberResponse{ID: m.ID, Email: m.Email, Roles: m.Roles, Status: m.Status, CreatedAt: m.CreatedAt}
}

// userListResponse is {"users":[…]}.
type userListResponse struct {
	Users []memberResponse `json:"users"`
}

func newUserListResponse(ms []*keyhouse.Member) userListResponse {
	out := userListResponse{Users: make([]memberResponse, 0, len(ms))}
	for _, m := range ms {
		out.Users = append(out.Users, newMemberResponse(m))
	}
	return out
}

// invitedResponse answers an invitation, its resending and a password
// reset: the member, and the link for the inviter to pass on when no
// e-mail went out, or "email_sent".
type invitedResponse struct {
	memberResponse
	ActivationURL string `json:"activation_url,omitempty"`
	EmailSent     bool   `json:"email_sent,omitempty"`
}

func newInvitedResponse(in *service.Invited) invitedResponse {
	return invitedResponse{newMemberResponse(&in.Member), in.ActivationURL, in.EmailSent}
}

// userInviteRequest invites an address with roles.
type userInviteRequest struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

// userUpdateRequest replaces a member's roles.
type userUpdateRequest struct {
	Roles []string `json:"roles"`
}
