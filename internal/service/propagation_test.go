package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// instance is one more service on store (an Env's database), as another
// keyhouse process would be: its own key index, signing ring, token cache
// and listener.
func instance(b testing.TB, store *sqlstore.Store, e *keyhousetest.Env) *service.Service {
	svc, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return svc
}

// openStore opens another store on the database at dsn.
func openStore(tb testing.TB, dsn string) *sqlstore.Store {
	store, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// BenchmarkRevocationPropagation measures how long a key deleted through
// one instance stays usable on another (PostgreSQL LISTEN/NOTIFY): each
// iteration generates a key on A, uses it on B (so B holds it in memory),
// deletes it on A, and polls B until B refuses it. It reports the p50, p99
// and max of that delay.
func BenchmarkRevocationPropagation(b *testing.B) {
	dsn := keyhousetest.PostgresDSN(b)
	e := keyhousetest.NewOn(b, dsn)
	e.Run(b)
	other := instance(b, openStore(b, dsn), e)
	owner := e.NewOrg(b, "acme")
	c := e.NewClient(b, owner)
	ctx := context.Background()
	var delays []time.Duration
	for b.Loop() {
		gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := other.AuthenticateBasic(ctx, gen.APIKey); err != nil {
			b.Fatal(err)
		}
		if err := e.Svc.DeleteKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, c.ClientID); err != nil {
			b.Fatal(err)
		}
		delays = append(delays, untilRefused(b, time.Now(), "the key", func() error {
			_, err := other.AuthenticateBasic(ctx, gen.APIKey)
			return err
		}))
	}
	reportDelays(b, delays)
}

// untilRefused calls accept until it fails and returns how long after
// start that was; what names what the other instance still accepts.
func untilRefused(b *testing.B, start time.Time, what string, accept func() error) time.Duration {
	for accept() == nil {
		if time.Since(start) > 5*time.Second {
			b.Fatalf("the other instance still accepts %s after 5 s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
	return time.Since(start)
}

// reportDelays reports the median, the 99th percentile and the largest
// of delays.
func reportDelays(b *testing.B, delays []time.Duration) {
	slices.Sort(delays)
	at := func(q float64) float64 { return float64(delays[int(q*float64(len(delays)-1))].Microseconds()) }
	b.ReportMetric(at(0.5), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(at(1), "max-µs")
}

// BenchmarkSigningKeyRevocation measures how long a token of a signing key
// revoked through one instance stays usable on another (PostgreSQL
// LISTEN/NOTIFY): each iteration issues a token on A, verifies it on B
// (which caches it), revokes A's signing key (`rotate --revoke`), and
// polls B until B refuses the token. It reports the p50, p99 and max of
// the time from the start of the revocation to B's refusal.
func BenchmarkSigningKeyRevocation(b *testing.B) {
	dsn := keyhousetest.PostgresDSN(b)
	e := keyhousetest.NewOn(b, dsn)
	e.Run(b)
	other := instance(b, openStore(b, dsn), e)
	owner := e.NewOrg(b, "acme")
	c := e.NewClient(b, owner)
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	k, err := e.Svc.AuthenticateBasic(ctx, gen.APIKey)
	if err != nil {
		b.Fatal(err)
	}
	var delays []time.Duration
	for b.Loop() {
		tok, err := e.Svc.IssueToken(k, service.ScopeIntegration)
		if err != nil {
			b.Fatal(err)
		}
		for start := time.Now(); ; time.Sleep(100 * time.Microsecond) { // B may not know the new key yet
			if _, err := other.VerifyToken(ctx, tok.AccessToken); err == nil {
				break
			} else if time.Since(start) > 5*time.Second {
				b.Fatalf("the other instance refuses a token of the current key: %v", err)
			}
		}
		start := time.Now() // before the revoking transaction: its commit counts
		if _, err := e.Svc.RotateSigningKey(keyhousetest.Operator(""), true); err != nil {
			b.Fatal(err)
		}
		delays = append(delays, untilRefused(b, start, "the revoked key's token", func() error {
			_, err := other.VerifyToken(ctx, tok.AccessToken)
			return err
		}))
	}
	reportDelays(b, delays)
}
