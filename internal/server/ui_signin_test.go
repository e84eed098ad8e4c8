package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// TestConsoleSealedStateIsSingleUseAndBound replays the console's sealed
// sign-in state (which carries the password) after it was used, from
// another browser, from a client without the cookie, and after three
// minutes: each is refused with a message to start again, and signs
// nobody in.
func TestConsoleSealedStateIsSingleUseAndBound(t *testing.T) {
	f := newFixture(t)
	owner := f.owner
	startAgain := func(name string, w *webClient, state string, want string) {
		t.Helper()
		resp, body := w.post("/login", url.Values{"state": {state}, "otp": {f.e.Code(t, owner.Secret)}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) || !strings.Contains(body, `name="password"`) {
			t.Errorf("%s: %d, want 422 with %q and the first step", name, resp.StatusCode, want)
		}
		if resp.Header.Get("Location") != "" || strings.Contains(resp.Header.Get("Set-Cookie"), "keyhouse_session") {
			t.Errorf("%s: signed in", name)
		}
	}

	t.Run("replay after use", func(t *testing.T) {
		w := newWebClient(t, f.srv.URL)
		state := passwordStep(t, w, owner.Email, keyhousetest.Password)
		if resp, _ := w.post("/login", url.Values{"state": {state}, "otp": {f.e.Code(t, owner.Secret)}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: %d", resp.StatusCode)
		}
		startAgain("replayed", w, state, "That sign-in form was already used; start again.")
	})
	t.Run("another browser", func(t *testing.T) {
		state := passwordStep(t, newWebClient(t, f.srv.URL), owner.Email, keyhousetest.Password)
		startAgain("other cookie", newWebClient(t, f.srv.URL).withSignInCookie(t), state, "That sign-in was started in another browser; start again.")
		startAgain("no cookie", newWebClient(t, f.srv.URL), state, "That sign-in was started in another browser; start again.")
	})
	t.Run("after 3 minutes", func(t *testing.T) {
		w := newWebClient(t, f.srv.URL)
		state := passwordStep(t, w, owner.Email, keyhousetest.Password)
		f.e.Clock.Add(service.SignInStateTTL) // Code adds 30 s more
		startAgain("late", w, state, "That sign-in took too long; start again.")
	})
}

// withSignInCookie gives the client a sign-in binding cookie of its own,
// as a browser that started a sign-in of its own has.
func (w *webClient) withSignInCookie(t *testing.T) *webClient {
	t.Helper()
	passwordStep(t, w, "someone@example.com", "Some-password-1")
	u, _ := url.Parse(w.base + "/login")
	if len(w.c.Jar.Cookies(u)) == 0 {
		t.Fatal("no sign-in cookie after the password step")
	}
	return w
}
