package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts are the http.Server's limits on a connection. A client that
// does not send its headers within ReadHeader, its whole request within
// Read, or is not done reading the answer within Write (counted from the
// end of its headers), is disconnected; a kept-alive connection with no
// request for Idle is closed.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultTimeouts: headers are a few hundred bytes that come in one
// packet, so 5 s is generous and a connection that trickles them holds a
// descriptor and a goroutine for 5 s at most. 30 s for the whole request
// takes the intake's 1 MiB at 35 KB/s. Write gives the answer 10 s more
// than the request. Idle outlasts the 90 s that common HTTP clients keep
// an idle connection, so that the client, not the server, closes it and
// no request races the close.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 40 * time.Second, Idle: 2 * time.Minute}

// maxHeaderBytes bounds a request's headers (net/http's default is 1 MiB).
const maxHeaderBytes = 64 << 10

// httpServer returns the http.Server that Serve runs, with s.Timeouts
// (DefaultTimeouts for each zero field).
func (s *Server) httpServer() *http.Server {
	t, d := s.Timeouts, DefaultTimeouts
	or := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: or(t.ReadHeader, d.ReadHeader),
		ReadTimeout:       or(t.Read, d.Read),
		WriteTimeout:      or(t.Write, d.Write),
		IdleTimeout:       or(t.Idle, d.Idle),
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}
