package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// TestServeDrainGrace checks that a request still in flight when the
// drain grace runs out does not keep Serve from returning: Serve cuts it
// off and says so, soon after the grace.
func TestServeDrainGrace(t *testing.T) {
	e := keyhousetest.New(t)
	srv := server.New(e.Svc, slog.New(slog.DiscardHandler), false)
	srv.DrainGrace = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	// A sign-in whose body never ends: the handler waits for it.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /api/v1/sessions HTTP/1.1\r\nHost: kh.test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the handler is reading the body
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		took := time.Since(start)
		t.Logf("Serve returned %v after the context ended: %v", took.Round(time.Millisecond), err)
		if err == nil || !strings.Contains(err.Error(), "cut off") {
			t.Errorf("Serve = %v, want an error saying the request was cut off", err)
		}
		if took < srv.DrainGrace {
			t.Errorf("Serve returned after %v, before the grace of %v", took, srv.DrainGrace)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still waits for the request 5 s after the context ended")
	}
}
