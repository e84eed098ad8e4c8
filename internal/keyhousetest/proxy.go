package keyhousetest

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy between keyhouse and a server (PostgreSQL), for
// outage tests: Cut drops every connection and refuses new ones, Restore
// listens again on the same port. The server itself is never touched.
type Proxy struct {
	tb     testing.TB
	target string // host:port of the server
	addr   string // host:port the proxy listens on

	frozen atomic.Bool // bytes are dropped, connections kept: a silent network

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy to target (host:port) on 127.0.0.1 and closes
// it at the end of the test.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p := &Proxy{tb: tb, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.Restore()
	tb.Cleanup(func() { p.Cut(); p.wg.Wait() })
	return p
}

// ProxyDSN starts a proxy to the server of the PostgreSQL dsn and returns
// it with the dsn rewritten to go through it.
func ProxyDSN(tb testing.TB, dsn string) (*Proxy, string) {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("proxy: parse dsn: %v", err)
	}
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":5432"
	}
	p := NewProxy(tb, host)
	u.Host = p.Addr()
	return p, u.String()
}

// Addr returns the host:port the proxy listens on.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// Cut closes the listener and every proxied connection: the server is
// gone for whoever goes through the proxy.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore listens again, on the same port as before.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	var ln net.Listener
	var err error
	// The port was just freed: retry briefly if the OS holds it a moment.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", p.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		p.tb.Fatalf("proxy: listen on %s: %v", p.addr, err)
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Go(func() { p.accept(ln) })
}

// accept forwards every connection ln accepts until ln is closed.
func (p *Proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(ln, c, s) {
			continue
		}
		p.wg.Go(func() { p.pipe(c, s) })
	}
}

// track records a proxied pair, unless the proxy was cut meanwhile (then
// it closes both and reports false).
func (p *Proxy) track(ln net.Listener, c, s net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		c.Close()
		s.Close()
		return false
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	return true
}

// pipe copies both ways until either side closes, then closes both.
func (p *Proxy) pipe(c, s net.Conn) {
	done := make(chan struct{}, 2)
	go func() { p.copy(s, c); done <- struct{}{} }()
	go func() { p.copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// Freeze drops every byte either way from now on while keeping every
// connection open, as a network that went silent (a firewall forgetting
// the connection, a peer gone without a word): nobody is told. Thaw ends
// it.
func (p *Proxy) Freeze() { p.frozen.Store(true) }

// Thaw forwards bytes again.
func (p *Proxy) Thaw() { p.frozen.Store(false) }

// copy copies src to dst until either fails, dropping what it reads while
// the proxy is frozen.
func (p *Proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
