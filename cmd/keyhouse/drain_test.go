package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// drain sends SIGTERM to a `keyhouse serve` process
// under intake and token load, with one intake request in flight whose
// body is only half sent. The listener must stop (new connections are
// refused) while that request is still open; the request, completed
// afterwards, is answered 202; the process exits with status 0; every
// event answered 202 is stored once, and no request in flight is stored
// unanswered; and the key's last-used time, which
// keyhouse otherwise writes every 30 s, is stored as of its last use.
func drain(t *testing.T, bin, kind string) {
	db := newTestDB(t, kind)
	srv := spawn(t, bin, db)
	session := srv.admin(t)
	var client struct{ ClientID string }
	srv.call(t, session, "POST", "/api/v1/environments/sandbox/clients", map[string]string{"name": "Drain"}, 201, &jsonCase{&client})
	var gen struct{ KeyID, APIKey string }
	srv.call(t, session, "POST", "/api/v1/environments/sandbox/clients/"+client.ClientID+"/keys", map[string]string{}, 201, &jsonCase{&gen})

	l := &ledger{t: t}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { l.intake(ctx, srv.base, gen.APIKey) })
	}
	var lastUse atomic.Int64 // when the last token request answered 200 was sent, µs
	wg.Go(func() { useKey(ctx, l, srv.base, gen.APIKey, &lastUse) })
	slow := startSlowIntake(t, l, srv, gen.APIKey)
	for l.acked.Load() < 200 || lastUse.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}

	ackedBefore := l.acked.Load()
	term := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	refused := waitListenerClosed(t, srv)
	if !srv.running() {
		t.Fatalf("keyhouse exited before the request in flight was done:\n%s", srv.log.String())
	}
	slow.finish(t)
	cancel()
	wg.Wait()
	select {
	case <-srv.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit 15 s after SIGTERM:\n%s", srv.log.String())
	}
	exited := time.Since(term)
	if srv.err != nil {
		t.Fatalf("exit after SIGTERM: %v (want status 0)\n%s", srv.err, srv.log.String())
	}
	if !strings.Contains(srv.log.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", srv.log.String())
	}

	f := l.checkEvents(t, db)
	if f.storedUnacked != 0 {
		t.Errorf("%d events are stored without their 202: a request in flight at SIGTERM was cut off (%s)", f.storedUnacked, f.unackedAnswer)
	}
	var used int64
	if err := db.open(t).QueryRow(db.bind(`SELECT last_used_at FROM api_keys WHERE key_id = ?`), gen.KeyID).Scan(&used); err != nil {
		t.Fatalf("the key's last_used_at after exit: %v", err)
	}
	if used < lastUse.Load() {
		t.Errorf("last_used_at after exit is %v, before the last use at %v", time.UnixMicro(used), time.UnixMicro(lastUse.Load()))
	}
	t.Logf("%s: SIGTERM under load; new connections refused after %v; the request in flight answered 202; exit status 0 after %v; events: %d acknowledged (%d after SIGTERM), %d stored, each acknowledged id stored once; last_used_at stored",
		kind, refused.Round(time.Millisecond), exited.Round(time.Millisecond), f.acked, int64(f.acked)-ackedBefore, f.stored)
}

// useKey asks the token endpoint for tokens of apiKey until ctx ends, and
// keeps in last when the last request answered 200 was sent (µs).
func useKey(ctx context.Context, l *ledger, base, apiKey string, last *atomic.Int64) {
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	for ctx.Err() == nil {
		sent := time.Now().UnixMicro()
		if l.token(ctx, c, base, apiKey) == "" {
			pause(ctx)
			continue
		}
		last.Store(sent)
		time.Sleep(10 * time.Millisecond)
	}
}

// waitListenerClosed waits until the server refuses new connections and returns
// how long after SIGTERM that was; it fails after 2 s.
func waitListenerClosed(t *testing.T, srv *child) time.Duration {
	t.Helper()
	addr := strings.TrimPrefix(srv.base, "http://")
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return time.Since(start)
		}
		conn.Close()
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("keyhouse still accepts connections 2 s after SIGTERM")
	return 0
}

// slowIntake is an intake request whose headers and half its body are
// sent: keyhouse is in its handler, reading the rest.
type slowIntake struct {
	l    *ledger
	conn net.Conn
	b    *batch
	rest string
}

// startSlowIntake sends the headers of an intake request with a token
// of apiKey, and the first half of its body, on a connection of its own.
func startSlowIntake(t *testing.T, l *ledger, srv *child, apiKey string) *slowIntake {
	t.Helper()
	token := l.token(context.Background(), http.DefaultClient, srv.base, apiKey)
	if token == "" {
		t.Fatal("no token for the slow request")
	}
	b := &batch{}
	for i := range 4 {
		b.payloads = append(b.payloads, fmt.Sprintf(`{"seq":%d,"order":"slow-%d"}`, l.seq.Add(1), i))
	}
	l.mu.Lock()
	l.batches = append(l.batches, b)
	l.mu.Unlock()
	body := strings.Join(b.payloads, "\n")
	addr := strings.TrimPrefix(srv.base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST /v1/events HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + token +
		"\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	return &slowIntake{l: l, conn: conn, b: b, rest: body[len(body)/2:]}
}

// finish sends the rest of the body and checks the answer: 202 with the
// batch's ids.
func (s *slowIntake) finish(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(s.conn, s.rest); err != nil {
		t.Fatalf("the rest of the request in flight: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(s.conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("the request in flight: %d %s, want 202", resp.StatusCode, b)
	}
	s.l.accept(s.b, b)
}
