package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyhouse/internal/server"
)

// serveReal runs srv with Serve (the real http.Server, its timeouts
// included) on a loopback port until the test ends, and returns its
// address.
func serveReal(t *testing.T, srv *server.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// trickle opens a connection to addr and sends a request's headers one
// byte a second, never finishing them; opened is counted once the
// connection is open. It returns when the server closes the connection (or
// after limit), with how long the connection lived.
func trickle(addr string, limit time.Duration, opened *atomic.Int32) (time.Duration, error) {
	start := time.Now()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	opened.Add(1)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		conn.SetReadDeadline(start.Add(limit))
		io.Copy(io.Discard, conn) // until the server closes it (or the deadline)
	}()
	headers := "POST /as/token HTTP/1.1\r\nHost: keyhouse\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: Basic "
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
send:
	for i := 0; ; i++ {
		if _, err := conn.Write([]byte{headers[i%len(headers)]}); err != nil {
			break // the server is gone
		}
		select {
		case <-closed:
			break send
		case <-tick.C:
		}
	}
	<-closed
	lived := time.Since(start)
	if lived >= limit {
		return lived, errors.New("still open")
	}
	return lived, nil
}

// openFiles returns how many file descriptors the process holds.
func openFiles(t *testing.T) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// TestSlowHeaders: 200 connections that trickle their headers a byte a
// second do not delay a normal token request beyond 1 s, and the server
// closes each of them once its ReadHeaderTimeout (2 s here; 5 s by
// default, TestDefaultTimeouts) has passed, giving back their descriptors
// and goroutines.
func TestSlowHeaders(t *testing.T) {
	const slow, readHeader = 200, 2 * time.Second
	f := newDataFixture(t)
	srv := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	srv.Timeouts.ReadHeader = readHeader
	addr := serveReal(t, srv)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	tokenRequest := func() (time.Duration, error) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/as/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", form)
		req.Header.Set("Authorization", "Basic "+f.key.APIKey)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, errors.New(resp.Status)
		}
		return time.Since(start), nil
	}
	if _, err := tokenRequest(); err != nil { // warm: the first token signs with a cold cache
		t.Fatal(err)
	}
	files, goroutines := openFiles(t), runtime.NumGoroutine()

	var wg sync.WaitGroup
	var opened, closed atomic.Int32
	lived := make([]time.Duration, slow)
	errs := make([]error, slow)
	for i := range slow {
		wg.Go(func() {
			lived[i], errs[i] = trickle(addr, readHeader+5*time.Second, &opened)
			closed.Add(1)
		})
	}
	for waited := time.Duration(0); opened.Load() < slow; waited += 10 * time.Millisecond {
		if waited > readHeader/2 {
			t.Fatalf("%d slow connections open after %v, want %d", opened.Load(), waited, slow)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var normal []time.Duration
	for range 5 { // well before the server closes the slow ones
		d, err := tokenRequest()
		if err != nil {
			t.Fatalf("a normal request during the trickle: %v", err)
		}
		normal = append(normal, d)
		time.Sleep(50 * time.Millisecond)
	}
	stillOpen := slow - int(closed.Load())
	wg.Wait()
	if stillOpen != slow {
		t.Fatalf("only %d slow connections were open when the normal requests ended", stillOpen)
	}
	if worst := slices.Max(normal); worst > time.Second {
		t.Errorf("normal requests took up to %v during the trickle, want under 1 s", worst)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("slow connection %d: %v after %v", i, err, lived[i])
		}
	}
	slices.Sort(lived)
	t.Logf("normal token requests during the trickle: %v (max %v); %d trickling connections closed by the server after %v (first) … %v (median) … %v (last); ReadHeaderTimeout %v",
		normal, slices.Max(normal), slow, lived[0].Round(time.Millisecond), lived[slow/2].Round(time.Millisecond), lived[slow-1].Round(time.Millisecond), readHeader)
	if lived[0] < readHeader-100*time.Millisecond {
		t.Errorf("a slow connection was closed after %v, before ReadHeaderTimeout %v", lived[0], readHeader)
	}
	if lived[slow-1] > readHeader+2500*time.Millisecond { // under the default's 5 s
		t.Errorf("the last slow connection lived %v, want within 2.5 s of ReadHeaderTimeout %v", lived[slow-1], readHeader)
	}
	// The descriptors and goroutines of the slow connections are given back.
	deadline := time.Now().Add(5 * time.Second)
	for {
		nf, ng := openFiles(t), runtime.NumGoroutine()
		if nf <= files+5 && ng <= goroutines+10 {
			t.Logf("after the trickle: %d open files (%d before), %d goroutines (%d before)", nf, files, ng, goroutines)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the trickle: %d open files (%d before), %d goroutines (%d before)", nf, files, ng, goroutines)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
