package server_test

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// twoInstances is two keyhouse services on one PostgreSQL database, each
// behind its own HTTP server, with an organization, a client and a
// resource-server credential made through the first.
type twoInstances struct {
	a, b       *keyhousetest.Env
	urlA, urlB string
	owner      *keyhousetest.User
	clientID   string
	credential string
}

func newTwoInstances(t testing.TB) *twoInstances {
	dsn := keyhousetest.PostgresDSN(t) // skips without PostgreSQL
	in := &twoInstances{a: keyhousetest.NewOn(t, dsn), b: keyhousetest.NewOn(t, dsn)}
	for _, e := range []*keyhousetest.Env{in.a, in.b} {
		e.Run(t)
	}
	srvA := httptest.NewServer(server.New(in.a.Svc, slog.New(slog.DiscardHandler), false))
	srvB := httptest.NewServer(server.New(in.b.Svc, slog.New(slog.DiscardHandler), false))
	t.Cleanup(srvA.Close)
	t.Cleanup(srvB.Close)
	in.urlA, in.urlB = srvA.URL, srvB.URL
	in.owner = in.a.NewOrg(t, "acme")
	in.clientID = in.a.NewClient(t, in.owner).ClientID
	rs, err := in.a.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	in.credential = rs.Credential
	return in
}

// newKey generates a key through the first instance.
func (in *twoInstances) newKey(t testing.TB) string {
	t.Helper()
	gen, err := in.a.Svc.GenerateKey(in.owner.Ctx, keyhouse.Sandbox, in.clientID, "")
	if err != nil {
		t.Fatal(err)
	}
	return gen.KeyID
}

// deleteKey deletes a key through the first instance.
func (in *twoInstances) deleteKey(t testing.TB, keyID string) {
	t.Helper()
	if err := in.a.Svc.DeleteKey(in.owner.Ctx, keyhouse.Sandbox, in.clientID, keyID, in.clientID); err != nil {
		t.Fatal(err)
	}
}

// TestRevocationFeedAcrossInstances: a deletion through one instance
// releases a long poll and reaches an event stream held by the other
// (its PostgreSQL notice wakes them), and both instances answer the same
// feed.
func TestRevocationFeedAcrossInstances(t *testing.T) {
	in := newTwoInstances(t)
	_, start := readFeed(t, in.urlB, in.credential, "")
	stream := openStream(t, in.urlB, in.credential, start.Cursor, false)
	sseEvent(t, stream)

	id := in.newKey(t)
	polled := make(chan feed, 1)
	go func() {
		_, out := readFeed(t, in.urlB, in.credential, "?after="+start.Cursor+"&wait=50s")
		polled <- out
	}()
	time.Sleep(100 * time.Millisecond) // most likely waiting; either way the answer holds the deletion
	deleted := time.Now()
	in.deleteKey(t, id)
	select {
	case out := <-polled:
		t.Logf("long poll on B answered %v after the deletion on A", time.Since(deleted).Round(time.Millisecond))
		if !out.revoked(id) {
			t.Errorf("long poll on B: %+v", out)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the long poll on B was not released by the deletion on A")
	}
	if _, data := sseEvent(t, stream); !data.revoked(id) {
		t.Errorf("stream on B: %+v", data)
	}
	_, onA := readFeed(t, in.urlA, in.credential, "?after="+start.Cursor)
	_, onB := readFeed(t, in.urlB, in.credential, "?after="+start.Cursor)
	if !onA.revoked(id) || onA.Cursor != onB.Cursor {
		t.Errorf("A answers %+v, B %+v", onA, onB)
	}
}
