package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"keyhouse/internal/keyhousetest"
)

// invited is the answer to POST /api/v1/users.
type invited struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	ActivationURL string `json:"activation_url"`
	CreatedAt     string `json:"created_at"`
}

func (f *fixture) invite(t *testing.T, token, email, role string) (invited, string) {
	t.Helper()
	status, body := f.do(t, token, "POST", "/api/v1/users", `{"email":"`+email+`","roles":["`+role+`"]}`)
	if status != 201 {
		t.Fatalf("invite %s: %d %s", email, status, body)
	}
	var out invited
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out, body
}

// signIn signs email in through the API and returns the status and body.
func (f *fixture) signIn(t *testing.T, email, secret, orgID string) (int, string) {
	t.Helper()
	req, _ := json.Marshal(map[string]string{"email": email, "password": keyhousetest.Password, "otp": f.e.Code(t, secret), "organization_id": orgID})
	return f.do(t, "", "POST", "/api/v1/sessions", string(req))
}

// members returns the member list of the organization of token, by e-mail.
func (f *fixture) members(t *testing.T, token string) map[string]map[string]any {
	t.Helper()
	status, body := f.do(t, token, "GET", "/api/v1/users", "")
	var out struct{ Users []map[string]any }
	if err := json.Unmarshal([]byte(body), &out); status != 200 || err != nil {
		t.Fatalf("list users: %d %s", status, body)
	}
	m := map[string]map[string]any{}
	for _, u := range out.Users {
		m[u["email"].(string)] = u
	}
	return m
}

// TestInvitationTakeoverRefused replays the cross-tenant takeover step by
// step through the HTTP API: Owner B invites an address nobody uses yet
// and activates it herself; Owner A then invites the same address. B's
// account must never reach A; A's link, accepted by the account, is what
// lets it in, and only then.
func TestInvitationTakeoverRefused(t *testing.T) {
	f := newFixture(t)
	a, b := f.owner, f.other
	const vic = "vic@a.example"

	// B invites vic and activates the account with her own password.
	invB, bodyB := f.invite(t, b.Token, vic, "view")
	tokB := keyhousetest.TokenOf(t, invB.ActivationURL)
	var enr struct {
		TOTPSecret string `json:"totp_secret"`
	}
	status, body := f.do(t, "", "POST", "/api/v1/activations", `{"token":"`+tokB+`","password":"`+keyhousetest.Password+`"}`)
	if json.Unmarshal([]byte(body), &enr); status != 200 {
		t.Fatalf("activate: %d %s", status, body)
	}
	if status, body = f.do(t, "", "POST", "/api/v1/activations/confirm", `{"token":"`+tokB+`","otp":"`+f.e.Code(t, enr.TOTPSecret)+`"}`); status != 200 {
		t.Fatalf("confirm: %d %s", status, body)
	}

	// A invites the same address: the same answer as for a new address.
	invA, bodyA := f.invite(t, a.Token, vic, "admin")
	if invA.Status != "pending" || invA.ActivationURL == "" || invA.ID == invB.ID {
		t.Fatalf("A's invitation of an existing account = %s; want pending, a link, an id of A's own", bodyA)
	}
	if shape(bodyA) != shape(bodyB) {
		t.Errorf("the answer differs for an existing account:\n%s\n%s", shape(bodyA), shape(bodyB))
	}
	if _, bodyNew := f.invite(t, a.Token, "nobody-yet@a.example", "admin"); shape(bodyNew) != shape(bodyA) {
		t.Errorf("the answer differs for a new address:\n%s\n%s", shape(bodyNew), shape(bodyA))
	}

	// B, holding vic's account but not A's link, cannot reach A.
	if status, body = f.signIn(t, vic, enr.TOTPSecret, a.OrgID); status != 401 {
		t.Fatalf("B signs in as vic to A: %d %s", status, body)
	}
	// Vic's scripted sign-in without organization_id still works, in B.
	status, body = f.signIn(t, vic, enr.TOTPSecret, "")
	var sess struct {
		Token          string `json:"token"`
		OrganizationID string `json:"organization_id"`
	}
	if json.Unmarshal([]byte(body), &sess); status != 201 || sess.OrganizationID != b.OrgID {
		t.Fatalf("vic's sign-in with one active membership: %d %s", status, body)
	}
	// A's list shows vic pending, with nothing of B's.
	got := f.members(t, a.Token)[vic]
	if got["status"] != "pending" || got["id"] != invA.ID || got["created_at"] != invA.CreatedAt {
		t.Errorf("A's member list shows %v; want pending, A's id and A's invitation time", got)
	}
	if bs := f.members(t, b.Token)[vic]; bs["id"] == got["id"] || bs["created_at"] == got["created_at"] {
		t.Errorf("A and B see the same id or time for vic: %v / %v", got, bs)
	}

	// The link: what it is for, refused to every other session.
	tokA := keyhousetest.TokenOf(t, invA.ActivationURL)
	status, body = f.do(t, "", "GET", "/api/v1/invitations/"+tokA, "")
	if status != 200 || !strings.Contains(body, `"account_exists":true`) || !strings.Contains(body, `"organization_name":"acme"`) || !strings.Contains(body, `"roles":["admin"]`) {
		t.Errorf("GET invitation: %d %s", status, body)
	}
	if status, body = f.do(t, "", "POST", "/api/v1/activations", `{"token":"`+tokA+`","password":"`+keyhousetest.Password+`"}`); status != 409 {
		t.Errorf("A's link sets the password of an existing account: %d %s", status, body)
	}
	for _, other := range []string{b.Token, f.roles["admin"].Token, ""} {
		if status, body = f.do(t, other, "POST", "/api/v1/invitations/"+tokA+"/accept", ""); status != 404 && status != 401 {
			t.Errorf("accept with another session: %d %s", status, body)
		}
	}
	if status, body = f.do(t, sess.Token, "POST", "/api/v1/invitations/not-a-token/accept", ""); status != 404 {
		t.Errorf("accept a made-up link: %d %s", status, body)
	}
	if f.members(t, a.Token)[vic]["status"] != "pending" {
		t.Fatal("vic is in A before accepting")
	}

	// The account accepts A's link: now, and only now, it is in A.
	if status, body = f.do(t, sess.Token, "POST", "/api/v1/invitations/"+tokA+"/accept", ""); status != 200 || !strings.Contains(body, a.OrgID) {
		t.Fatalf("accept: %d %s", status, body)
	}
	if status, body = f.signIn(t, vic, enr.TOTPSecret, a.OrgID); status != 201 {
		t.Fatalf("sign in to A after accepting: %d %s", status, body)
	}
	if f.members(t, a.Token)[vic]["status"] != "active" {
		t.Error("vic is not active in A after accepting")
	}
	// The link is spent.
	if status, _ = f.do(t, "", "GET", "/api/v1/invitations/"+tokA, ""); status != 404 {
		t.Errorf("GET a used invitation: %d", status)
	}
	if status, _ = f.do(t, sess.Token, "POST", "/api/v1/invitations/"+tokA+"/accept", ""); status != 404 {
		t.Errorf("accept a used invitation: %d", status)
	}
}

// shape returns the JSON object's keys and the values that do not vary
// from one invitation to the next, to compare two answers.
func shape(body string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return "not JSON: " + body
	}
	var b strings.Builder
	for _, k := range []string{"id", "email", "roles", "status", "created_at", "activation_url"} {
		v, ok := m[k]
		switch {
		case !ok:
			b.WriteString(k + ":absent ")
		case k == "status":
			b.WriteString(k + ":" + v.(string) + " ")
		default:
			b.WriteString(k + ":present ")
		}
	}
	if len(m) != 6 {
		b.WriteString("extra fields")
	}
	return b.String()
}
