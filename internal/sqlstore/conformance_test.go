package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

var _ service.Store = (*Store)(nil)

// t0 is the tests' "now": microsecond precision, UTC, as the store keeps it.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// runConformance runs every store test against stores made by open, which
// returns an empty, migrated store that lives as long as the test.
func runConformance(t *testing.T, open func(t *testing.T) *Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *Store)
	}{
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"Memberships", testMemberships},
		{"CountOwners", testCountOwners},
		{"Links", testLinks},
		{"Sessions", testSessions},
		{"Throttles", testThrottles},
		{"ThrottlePruning", testThrottlePruning},
		{"AuditPruning", testAuditPruning},
		{"SignInStates", testSignInStates},
		{"Clients", testClients},
		{"Keys", testKeys},
		{"KeyLifecycle", testKeyLifecycle},
		{"TouchKeys", testTouchKeys},
		{"RevocationFeed", testRevocationFeed},
		{"RevocationPruneOrder", testRevocationPruneOrder},
		{"ResourceServers", testResourceServers},
		{"EventSummaries", testEventSummaries},
		{"InsertEvents", testInsertEvents},
		{"Days", testDays},
		{"SigningKeys", testSigningKeys},
		{"ForEachKey", testForEachKey},
		{"Audit", testAudit},
		{"AuditLimits", testAuditLimits},
		{"UpdateRollback", testUpdateRollback},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"MigrateTwice", testMigrateTwice},
		{"TimeRoundTrip", testTimeRoundTrip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

func testUpdateRollback(t *testing.T, s *Store) {
	errBoom := errors.New("boom")
	err := s.Update(t.Context(), func(tx service.Tx) error {
		if err := tx.CreateOrg(&keyhouse.Organization{ID: "org_rollback", Name: "R", State: keyhouse.OrgPending, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.AppendAudit(&keyhouse.AuditEvent{Time: t0, OrgID: "org_rollback", Actor: "a", Action: "x"}); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want the error of fn", err)
	}
	MustView(t, s, func(tx service.Tx) error {
		_, err := tx.FindOrg("org_rollback")
		MustFail(t, err, keyhouse.ENOTFOUND)
		evs, err := tx.ListAudit(keyhouse.AuditFilter{OrgID: "org_rollback"})
		if err != nil || len(evs) != 0 {
			t.Errorf("ListAudit after rollback = %d events, %v; want none", len(evs), err)
		}
		return nil
	})
}

// testConcurrentUpdates runs read-then-write transactions from 8
// goroutines: on SQLite each must wait for the write lock, not fail with
// SQLITE_BUSY when upgrading a read lock.
func testConcurrentUpdates(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				errs <- s.Update(t.Context(), func(tx service.Tx) error {
					evs, err := tx.ListAudit(keyhouse.AuditFilter{OrgID: org.ID, Limit: 1})
					if err != nil {
						return err
					}
					if len(evs) > 0 {
						time.Sleep(time.Millisecond) // widen the window between read and write
					}
					return tx.AppendAudit(&keyhouse.AuditEvent{
						Time: t0, OrgID: org.ID, Actor: fmt.Sprint("worker", w), Action: "test.concurrent", Target: fmt.Sprint(r),
					})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v (code %s)", err, keyhouse.ErrorCode(err))
		}
	}
	MustView(t, s, func(tx service.Tx) error {
		evs, err := tx.ListAudit(keyhouse.AuditFilter{OrgID: org.ID, Limit: 1000})
		if err != nil || len(evs) != workers*rounds {
			t.Errorf("ListAudit = %d events, %v; want %d", len(evs), err, workers*rounds)
		}
		return nil
	})
}

func testMigrateTwice(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	ms, err := s.d.migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n, last int
	err = s.DB().QueryRowContext(t.Context(), `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &last)
	if err != nil || n != len(ms) || last != ms[len(ms)-1].version {
		t.Errorf("schema_migrations: %d rows, last %d, %v; want %d rows", n, last, err, len(ms))
	}
	MustView(t, s, func(tx service.Tx) error { // the data is still there
		_, err := tx.FindOrg(org.ID)
		return err
	})
}

// testTimeRoundTrip stores times of another zone with nanoseconds and reads
// them back in UTC, truncated to the microsecond.
func testTimeRoundTrip(t *testing.T, s *Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+30*60)
	in := time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone)
	want := time.Date(2024, 2, 29, 18, 29, 59, 123456000, time.UTC)

	org := &keyhouse.Organization{ID: "org_time", Name: "T", State: keyhouse.OrgActive, CreatedAt: in}
	c := &keyhouse.Client{ClientID: "9000000001", OrgID: org.ID, Environment: keyhouse.Sandbox, Name: "c", InitializedAt: &in, CreatedAt: in}
	MustUpdate(t, s, func(tx service.Tx) error {
		if err := tx.CreateOrg(org); err != nil {
			return err
		}
		return tx.CreateClient(c)
	})
	if org.CreatedAt != want || *c.InitializedAt != want {
		t.Errorf("after create: %v, %v; want the stored %v", org.CreatedAt, *c.InitializedAt, want)
	}
	MustView(t, s, func(tx service.Tx) error {
		o, err := tx.FindOrg(org.ID)
		if err != nil {
			return err
		}
		if o.CreatedAt != want || o.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v (%v), want %v in UTC", o.CreatedAt, o.CreatedAt.Location(), want)
		}
		got, err := tx.FindClient(org.ID, keyhouse.Sandbox, c.ClientID)
		if err != nil {
			return err
		}
		if got.InitializedAt == nil || *got.InitializedAt != want || got.InitializedAt.Location() != time.UTC {
			t.Errorf("InitializedAt = %v, want %v in UTC", got.InitializedAt, want)
		}
		return nil
	})
}

// MustUpdate runs fn in s.Update and fails tb on error.
func MustUpdate(tb testing.TB, s *Store, fn func(tx service.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// MustView runs fn in s.View and fails tb on error.
func MustView(tb testing.TB, s *Store, fn func(tx service.Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// MustFail fails tb unless err has the keyhouse error code.
func MustFail(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := keyhouse.ErrorCode(err); got != code {
		tb.Fatalf("error code %q, want %q (error: %v)", got, code, err)
	}
}

// MustEqual fails tb unless got and want are deeply equal.
func MustEqual[T any](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s:\n got %s\nwant %s", what, dump(got), dump(want))
	}
}

// dump formats v, following pointers inside slices and maps.
func dump(v any) string {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		s := "["
		for i := range rv.Len() {
			s += dump(rv.Index(i).Interface()) + " "
		}
		return s + "]"
	case reflect.Pointer:
		if !rv.IsNil() {
			return fmt.Sprintf("&%+v", rv.Elem().Interface())
		}
	}
	return fmt.Sprintf("%+v", v)
}

// MustCreateOrg creates an active organization.
func MustCreateOrg(tb testing.TB, s *Store) *keyhouse.Organization {
	tb.Helper()
	o := &keyhouse.Organization{ID: keyhouse.NewID("org"), Name: "Acme", State: keyhouse.OrgActive, CreatedAt: t0}
	MustUpdate(tb, s, func(tx service.Tx) error { return tx.CreateOrg(o) })
	return o
}

// MustCreateUser creates a user with the e-mail address and status.
func MustCreateUser(tb testing.TB, s *Store, email string, status keyhouse.UserStatus) *keyhouse.User {
	tb.Helper()
	u := &keyhouse.User{ID: keyhouse.NewID("usr"), Email: email, Status: status, CreatedAt: t0}
	MustUpdate(tb, s, func(tx service.Tx) error { return tx.CreateUser(u) })
	return u
}

// MustCreateMember creates a user with the roles in org; the user and its
// membership have the given status, and the membership the id memberID.
func MustCreateMember(tb testing.TB, s *Store, org *keyhouse.Organization, email string, status keyhouse.UserStatus, roles ...keyhouse.Role) *keyhouse.User {
	tb.Helper()
	u := MustCreateUser(tb, s, email, status)
	MustUpdate(tb, s, func(tx service.Tx) error {
		return tx.PutMembership(&keyhouse.Membership{ID: memberID(org, u), OrgID: org.ID, UserID: u.ID, Roles: roles, Status: status, CreatedAt: t0})
	})
	return u
}

// memberID is the id MustCreateMember gives the membership of u in org.
func memberID(org *keyhouse.Organization, u *keyhouse.User) string {
	return "mem_" + org.ID + "_" + u.ID
}

// MustCreateClient creates an initialized client in org and env.
func MustCreateClient(tb testing.TB, s *Store, org *keyhouse.Organization, env keyhouse.Environment, id, name string) *keyhouse.Client {
	tb.Helper()
	at := t0
	c := &keyhouse.Client{ClientID: id, OrgID: org.ID, Environment: env, Name: name, InitializedAt: &at, CreatedAt: t0}
	MustUpdate(tb, s, func(tx service.Tx) error { return tx.CreateClient(c) })
	return c
}

// MustCreateKey creates a key of c, created at.
func MustCreateKey(tb testing.TB, s *Store, c *keyhouse.Client, at time.Time) *keyhouse.APIKey {
	tb.Helper()
	desc := "key of " + c.ClientID
	k := &keyhouse.APIKey{
		KeyID: keyhouse.NewID("khk"), OrgID: c.OrgID, Environment: c.Environment, ClientID: c.ClientID,
		SecretHash: []byte(keyhouse.RandomBase62(32)), SecretLast4: "abcd", Description: &desc,
		CreatedAt: at, CreatedBy: "usr_test",
	}
	MustUpdate(tb, s, func(tx service.Tx) error { return tx.CreateKey(k) })
	return k
}

// MustInsertEvent inserts an event of k received at, as the intake API does.
func MustInsertEvent(tb testing.TB, s *Store, k *keyhouse.APIKey, at time.Time) {
	tb.Helper()
	err := s.InsertEvents(context.Background(), []*keyhouse.Event{{
		ID: keyhouse.NewID("evt"), OrgID: k.OrgID, Environment: k.Environment, ClientID: k.ClientID,
		KeyID: k.KeyID, ReceivedAt: at, Payload: []byte(`{}`),
	}})
	if err != nil {
		tb.Fatalf("insert event: %v", err)
	}
}
