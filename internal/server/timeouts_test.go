package server

import (
	"log/slog"
	"testing"
	"time"
)

// TestDefaultTimeouts: the http.Server that Serve runs has every timeout
// set, to DefaultTimeouts unless a field of Server.Timeouts says
// otherwise, and bounds the headers' size.
func TestDefaultTimeouts(t *testing.T) {
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	hs := s.httpServer()
	got := Timeouts{ReadHeader: hs.ReadHeaderTimeout, Read: hs.ReadTimeout, Write: hs.WriteTimeout, Idle: hs.IdleTimeout}
	want := Timeouts{ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 40 * time.Second, Idle: 2 * time.Minute}
	if got != want || DefaultTimeouts != want {
		t.Errorf("timeouts %+v (defaults %+v), want %+v", got, DefaultTimeouts, want)
	}
	if hs.MaxHeaderBytes != 64<<10 {
		t.Errorf("MaxHeaderBytes %d, want 64 KiB", hs.MaxHeaderBytes)
	}
	if hs.WriteTimeout <= hs.ReadTimeout {
		t.Errorf("WriteTimeout %v counts from the headers, so it must outlast ReadTimeout %v", hs.WriteTimeout, hs.ReadTimeout)
	}
	s.Timeouts.ReadHeader = time.Second
	hs = s.httpServer()
	if hs.ReadHeaderTimeout != time.Second || hs.ReadTimeout != want.Read {
		t.Errorf("with ReadHeader 1s: %v, %v", hs.ReadHeaderTimeout, hs.ReadTimeout)
	}
}
