package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashRounds is how many times the crash test kills keyhouse per store.
const crashRounds = 8

// TestServeProcess runs `keyhouse serve` as a process of its own (built
// once for every subtest), on SQLite and on PostgreSQL: "crash" kills it
// again and again under load (see crashRecovery), "drain" stops it with
// SIGTERM under load (see drain).
func TestServeProcess(t *testing.T) {
	bin := buildKeyhouse(t)
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run("crash/"+kind, func(t *testing.T) { crashRecovery(t, bin, kind) })
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run("drain/"+kind, func(t *testing.T) { drain(t, bin, kind) })
	}
}

// crashRecovery puts `keyhouse serve` under load from several
// connections (8 intake connections posting NDJSON batches with the
// tokens of 4 keys; 2 management connections initializing clients,
// generating keys with a token each and deleting them), kills it with
// SIGKILL at a random moment, restarts it on the same database, and does
// that crashRounds times. Then: every event answered 202 is stored once,
// with the id answered; no event is stored twice; a batch is stored whole
// or not at all; the per-day counts match the events; every key answered
// 201 and not deleted gets a token; every key answered 204 on delete gets
// 401, and so does its old token at the intake; a key whose delete the
// crash cut off is either whole or gone.
func crashRecovery(t *testing.T, bin, kind string) {
	start := time.Now()
	db := newTestDB(t, kind)
	srv := spawn(t, bin, db)
	session := srv.admin(t)
	var client struct{ ClientID string }
	srv.call(t, session, "POST", "/api/v1/environments/sandbox/clients", map[string]string{"name": "Intake"}, 201, &jsonCase{&client})
	var intakeKeys []string
	for range 4 {
		var gen struct{ APIKey string }
		srv.call(t, session, "POST", "/api/v1/environments/sandbox/clients/"+client.ClientID+"/keys", map[string]string{}, 201, &jsonCase{&gen})
		intakeKeys = append(intakeKeys, gen.APIKey)
	}

	l := &ledger{t: t}
	for round := range crashRounds {
		if round > 0 {
			srv = spawn(t, bin, db) // on the database the killed one left
		}
		acked, inFlight, after := crashRound(t, l, srv, session, intakeKeys)
		t.Logf("round %d: killed %v into the load, %d requests in flight, %d events acknowledged so far", round+1, after.Round(time.Millisecond), inFlight, acked)
	}

	srv = spawn(t, bin, db)
	live, deleted, unsure := l.checkKeys(t, srv.base, session)
	for _, k := range intakeKeys {
		if l.token(context.Background(), http.DefaultClient, srv.base, k) == "" {
			t.Errorf("an intake key gets no token after the crashes")
		}
	}
	terminate(t, srv)
	f := l.checkEvents(t, db)
	t.Logf("%s: %d crash rounds in %v; events: %d sent, %d acknowledged (each checked by id), %d stored, %d stored without an answer; keys: %d live, %d deleted checked, %d left unsure by a crash",
		kind, crashRounds, time.Since(start).Round(time.Millisecond), f.sent, f.acked, f.stored, f.storedUnacked, live, deleted, unsure)
	if f.acked == 0 || deleted == 0 {
		t.Errorf("the load acknowledged %d events and deleted %d keys: nothing to check", f.acked, deleted)
	}
}

// crashRound puts the load on srv, waits until it has acknowledged
// events, lets it run a random 20–620 ms more, kills srv, and stops the
// load. It returns the events acknowledged so far, the requests in flight
// at the kill, and how long the load had run.
func crashRound(t *testing.T, l *ledger, srv *child, session string, intakeKeys []string) (int64, int64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { l.intake(ctx, srv.base, intakeKeys[i%len(intakeKeys)]) })
	}
	for range 2 {
		wg.Go(func() { l.manage(ctx, srv.base, session) })
	}
	began, before := time.Now(), l.acked.Load()
	for l.acked.Load() == before {
		if time.Since(began) > 20*time.Second {
			cancel()
			wg.Wait()
			t.Fatalf("no event acknowledged in 20 s:\n%s", srv.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20*time.Millisecond + rand.N(600*time.Millisecond))
	inFlight := l.inFlight.Load()
	after := time.Since(began)
	srv.kill()
	cancel()
	wg.Wait()
	return l.acked.Load(), inFlight, after
}

// terminate sends SIGTERM to srv and fails unless it exits with status 0
// within 15 s.
func terminate(t *testing.T, srv *child) {
	t.Helper()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit 15 s after SIGTERM:\n%s", srv.log.String())
	}
	if srv.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", srv.err, srv.log.String())
	}
}
