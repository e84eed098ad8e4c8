package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// baselineCommand is the hidden subcommand that runs the baseline server.
const baselineCommand = "baseline"

// baselineBody is the baseline's whole answer.
var baselineBody = []byte(`{"ok":true}` + "\n")

// serveBaseline is the baseline: a minimal net/http server that reads the
// request body and answers a fixed 200, the most this machine, this Go and
// this load generator can do. It listens on the socket it inherits as
// descriptor 3 and stops when ctx ends.
func serveBaseline(ctx context.Context) error {
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return fmt.Errorf("baseline: inherited listener: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(baselineBody)
	})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startBaseline starts this program's baseline subcommand as a separate
// process on a fresh loopback socket and returns it with its URL.
func startBaseline(ctx context.Context, dir string) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, "", err
	}
	defer f.Close() // the child holds its own copy
	p, err := start(self, []string{baselineCommand}, filepath.Join(dir, "baseline.log"), f)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + ln.Addr().String()
	if err := waitHealthy(ctx, base+"/", p, 30*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, base, nil
}
