package verify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"keyhouse"
	"keyhouse/internal/dataplane"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
	"keyhouse/verify"
)

// TestNewReadsTheWholeFeed: when the feed holds more revocations than one
// page, the verifier New returns has read them all, the newest included:
// a key deleted a moment ago, behind a full page of older deletions, is
// refused from the first request on, not once the background follower
// gets round to its second page (here it never does: its long polls are
// held).
func TestNewReadsTheWholeFeed(t *testing.T) {
	h := keyhousetest.NewHouse(t, "")
	err := h.A.Store.Update(t.Context(), func(tx service.Tx) error { // a full page of older deletions
		for range dataplane.FeedPage {
			k := &keyhouse.APIKey{KeyID: keyhouse.NewID("khk"), OrgID: h.Owner.OrgID, Environment: keyhouse.Sandbox,
				ClientID: h.ClientID, SecretHash: []byte(keyhouse.RandomBase62(32)), SecretLast4: "abcd",
				CreatedAt: h.A.Clock.Now(), CreatedBy: "operator"}
			if err := tx.CreateKey(k); err != nil {
				return err
			}
			if err := tx.DeleteKey(k.KeyID, h.A.Clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keyID, tok := h.Token(t)
	h.DeleteKey(t, keyID)
	v := follow(t, h, &http.Client{Transport: holdLongPolls{http.DefaultTransport}})
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, verify.ErrInvalidToken) {
		t.Fatalf("the token of the key deleted last: %v, want ErrInvalidToken", err)
	}
}

// holdLongPolls holds every read of the feed that waits for news until
// its request ends: only reads that ask for what is there (wait=0s) pass.
type holdLongPolls struct{ next http.RoundTripper }

func (h holdLongPolls) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/v1/revocations") && r.URL.Query().Get("wait") != "0s" {
		<-r.Context().Done()
		return nil, context.Cause(r.Context())
	}
	return h.next.RoundTrip(r)
}
