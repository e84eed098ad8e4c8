package service_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// rsStore counts the resource-server look-ups that reach the store, and
// fails them while down is set.
type rsStore struct {
	service.Store
	lookups atomic.Int64
	down    atomic.Bool
}

func (s *rsStore) FindResourceServer(ctx context.Context, id string) (*keyhouse.ResourceServer, error) {
	s.lookups.Add(1)
	if s.down.Load() {
		return nil, keyhouse.Errorf(keyhouse.EUNAVAILABLE, "the database is unavailable; retry later")
	}
	return s.Store.FindResourceServer(ctx, id)
}

// rsInstance is another service on e's database through an rsStore, as
// another keyhouse process would be, with stale-keys-for stale; and a
// resource-server credential made through e.
func rsInstance(t *testing.T, e *keyhousetest.Env, stale time.Duration) (*service.Service, *rsStore, *service.CreatedResourceServer) {
	t.Helper()
	store := &rsStore{Store: e.Store}
	svc, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now, StaleKeys: stale})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	return svc, store, rs
}

// authRS authenticates credential on svc.
func authRS(svc *service.Service, credential string) error {
	_, err := svc.AuthenticateResourceServer(context.Background(), credential)
	return err
}

// TestResourceServerCached: a resource server that authenticated once
// authenticates again with no store look-up, until a second has passed;
// a wrong secret for its id is refused all the same.
func TestResourceServerCached(t *testing.T) {
	e := keyhousetest.New(t)
	svc, store, rs := rsInstance(t, e, 0)
	for range 3 {
		if err := authRS(svc, rs.Credential); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("%d look-ups for three authentications, want 1", n)
	}
	last := rs.Credential[len(rs.Credential)-1]
	wrong := rs.Credential[:len(rs.Credential)-1] + string(map[bool]byte{true: 'b', false: 'a'}[last == 'a'])
	keyhousetest.MustCode(t, authRS(svc, wrong), keyhouse.ECREDENTIALS)
	e.Clock.Add(time.Second)
	if err := authRS(svc, rs.Credential); err != nil || store.lookups.Load() != 2 {
		t.Errorf("after a second: %v, %d look-ups, want the store asked again", err, store.lookups.Load())
	}
}

// TestResourceServerDeletedHere: the deleting instance refuses the
// credential at once.
func TestResourceServerDeletedHere(t *testing.T) {
	e := keyhousetest.New(t)
	rs, err := e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if err := authRS(e.Svc, rs.Credential); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.DeleteResourceServer(keyhousetest.Operator(""), rs.ID); err != nil {
		t.Fatal(err)
	}
	keyhousetest.MustCode(t, authRS(e.Svc, rs.Credential), keyhouse.ECREDENTIALS)
}

// TestResourceServerDeletedByAnotherProcess: on SQLite, a deletion
// through another service on the file (as `keyhouse resource-servers
// delete` makes while `keyhouse serve` runs) is refused once a second has
// passed, with no notice.
func TestResourceServerDeletedByAnotherProcess(t *testing.T) {
	e := keyhousetest.New(t)
	svc, _, rs := rsInstance(t, e, time.Hour)
	if err := authRS(svc, rs.Credential); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.DeleteResourceServer(keyhousetest.Operator(""), rs.ID); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(time.Second)
	keyhousetest.MustCode(t, authRS(svc, rs.Credential), keyhouse.ECREDENTIALS)
}

// TestResourceServerDuringOutage: while the store fails, a resource
// server it confirmed within --stale-keys-for still authenticates, asking
// the store again at most once a second; past that, EUNAVAILABLE, and
// with 0 at once. It works again when the store is back.
func TestResourceServerDuringOutage(t *testing.T) {
	e := keyhousetest.New(t)
	svc, store, rs := rsInstance(t, e, 30*time.Second)
	if err := authRS(svc, rs.Credential); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	e.Clock.Add(2 * time.Second)
	for range 3 {
		if err := authRS(svc, rs.Credential); err != nil {
			t.Fatalf("2 s into the outage: %v", err)
		}
	}
	if n := store.lookups.Load(); n != 2 {
		t.Errorf("%d look-ups, want 2: the store is tried once a second", n)
	}
	e.Clock.Add(29 * time.Second)
	keyhousetest.MustCode(t, authRS(svc, rs.Credential), keyhouse.EUNAVAILABLE)
	store.down.Store(false)
	if err := authRS(svc, rs.Credential); err != nil {
		t.Fatalf("after the outage: %v", err)
	}

	strict, store, rs := rsInstance(t, e, 0)
	if err := authRS(strict, rs.Credential); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	e.Clock.Add(time.Second)
	keyhousetest.MustCode(t, authRS(strict, rs.Credential), keyhouse.EUNAVAILABLE)
}

// TestResourceServerDeletedOnAnotherInstance: on PostgreSQL, a deletion
// through A reaches B by its notice: B, whose clock stands still (so
// that its cache never expires), refuses the credential. The delay is
// logged; BenchmarkRevocationPropagation measures key deletions the same
// way.
func TestResourceServerDeletedOnAnotherInstance(t *testing.T) {
	dsn := keyhousetest.PostgresDSN(t)
	e := keyhousetest.NewOn(t, dsn)
	b := instance(t, openStore(t, dsn), e)
	rs, err := e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	waitListening(t, b, rs.Credential)
	if err := e.Svc.DeleteResourceServer(keyhousetest.Operator(""), rs.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for authRS(b, rs.Credential) == nil {
		if time.Since(start) > 5*time.Second {
			t.Fatal("B still accepts the deleted credential after 5 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("B refused the deleted credential %v after the deletion", time.Since(start))
}

// TestResourceServersForgottenOnResync: when B's listening connection
// drops, a deletion on A meanwhile is unheard; B reconnects and forgets
// every cached resource server, so it refuses the credential.
func TestResourceServersForgottenOnResync(t *testing.T) {
	dsn := keyhousetest.PostgresDSN(t)
	e := keyhousetest.NewOn(t, dsn)
	proxy, via := keyhousetest.ProxyDSN(t, dsn)
	b := instance(t, openStore(t, via), e)
	rs, err := e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	waitListening(t, b, rs.Credential)
	proxy.Cut()
	if err := e.Svc.DeleteResourceServer(keyhousetest.Operator(""), rs.ID); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()
	for start := time.Now(); authRS(b, rs.Credential) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("B still accepts the credential deleted while it was cut off")
		}
	}
}

// waitListening authenticates credential on svc until it works: svc has
// it cached and, its first Resync past, is listening.
func waitListening(t *testing.T, svc *service.Service, credential string) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		err := authRS(svc, credential)
		if err == nil && time.Since(start) > 200*time.Millisecond {
			return
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("B: %v", err)
		}
	}
}

// TestResourceServerFromThrottledSource: failures from a source shared
// with a product's service (behind one proxy or NAT) do not lock the
// service out: its credential, known to this instance, authenticates from
// that source, and a wrong secret for it is still refused; an id this
// instance does not know costs the throttled source no store look-up.
func TestResourceServerFromThrottledSource(t *testing.T) {
	e := keyhousetest.New(t)
	svc, store, rs := rsInstance(t, e, 0)
	shared := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "203.0.113.9"})
	if _, err := svc.AuthenticateResourceServer(shared, rs.Credential); err != nil {
		t.Fatal(err) // the service authenticates once: this instance knows it
	}
	other, err := e.Svc.CreateResourceServer(keyhousetest.Operator(""), "billing") // never seen here
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(2 * time.Second) // the cached entry is due for a re-read
	// An attacker's made-up credentials from the shared address.
	for range 30 {
		_, err := svc.AuthenticateResourceServer(shared, "khrs_"+strings.Repeat("x", len(rs.Credential)-5))
		if keyhouse.ErrorCode(err) == "" {
			t.Fatal("a made-up credential authenticated")
		}
	}
	_, err = svc.AuthenticateResourceServer(shared, "khrs_"+strings.Repeat("y", len(rs.Credential)-5))
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	before := store.lookups.Load()
	if _, err := svc.AuthenticateResourceServer(shared, rs.Credential); err != nil {
		t.Errorf("the service from the throttled address: %v, want authenticated", err)
	}
	if store.lookups.Load() != before+1 {
		t.Errorf("%d look-ups, want the known server re-read once", store.lookups.Load()-before)
	}
	wrong := rs.Credential[:len(rs.Credential)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(rs.Credential, "a")]
	_, err = svc.AuthenticateResourceServer(shared, wrong)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	before = store.lookups.Load()
	_, err = svc.AuthenticateResourceServer(shared, other.Credential)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	if store.lookups.Load() != before {
		t.Error("an id this instance does not know reached the store from the throttled source")
	}
	if _, err := svc.AuthenticateResourceServer(context.Background(), other.Credential); err != nil {
		t.Errorf("the other server from elsewhere: %v", err)
	}
}
