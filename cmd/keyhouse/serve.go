package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"keyhouse/internal/metrics"
	"keyhouse/internal/password"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
)

// serveOptions is what serve's own flags say.
type serveOptions struct {
	addr         string
	cfg          service.Config
	proxies      []netip.Prefix
	cert         *server.Certificate // nil: plain HTTP
	tune         *tuning
	observe      *observe
	storeTimeout time.Duration
	// inFlight bounds the requests served at once per class (0: default).
	inFlight int
}

// serveFlags parses serve's flags into c and the options.
func (e *env) serveFlags(args []string, c *common) (*serveOptions, error) {
	fs := e.flags("serve", c)
	addr := fs.String("addr", e.def("addr", defaultAddr), "address to listen on")
	fs.check("addr", checkAddr)
	mfa := fs.String("mfa", e.def("mfa", "required"), "TOTP at sign-in: required or optional")
	fs.check("mfa", oneOf("required", "optional"))
	rateText := fs.String("intake-rate", e.def("intake-rate", "0"), "intake requests a second allowed per API key, in bursts of up to twice that (0: no limit)")
	hashesText := fs.String("password-hashes", e.def("password-hashes", "0"), "password hashes (argon2id, 19 MiB each) run at once; a sign-in that waits over 2 s for a turn gets 503 (0: the number of CPUs)")
	fs.check("intake-rate", nonNegative)
	fs.check("password-hashes", between(0, 1024))
	proxiesText := fs.String("trusted-proxies", e.def("trusted-proxies", ""), "CIDR ranges (comma-separated) whose X-Forwarded-For is believed for the client address (default: none)")
	tlsFiles := e.tlsFlags(fs)
	tune := e.tuningFlags(fs)
	watch := e.observeFlags(fs)
	outage := outageFlags(fs, e)
	inFlightText := fs.String("max-in-flight", e.def("max-in-flight", "0"), "requests served at once, data plane and console each (intake: 4 times that); more wait up to 20 ms (console: 1 s), then 503 (0: 16 per Go processor)")
	fs.check("max-in-flight", between(0, 1_000_000))
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cert, err := tlsFiles.load()
	if err != nil {
		return nil, err
	}
	if err := c.setMailer(); err != nil {
		return nil, err
	}

	rate, err := strconv.ParseFloat(*rateText, 64)
	if err != nil || rate < 0 {
		return nil, fmt.Errorf("--intake-rate: must be a number, 0 (no limit) or more")
	}
	hashes, err := strconv.Atoi(*hashesText)
	if err != nil || hashes < 0 {
		return nil, fmt.Errorf("--password-hashes: must be a whole number, 0 (the number of CPUs) or more")
	}
	if hashes == 0 {
		hashes = runtime.GOMAXPROCS(0) // the CPUs, or a container's CPU limit; before oversubscribe
	}
	inFlight, err := strconv.Atoi(*inFlightText)
	if err != nil || inFlight < 0 {
		return nil, fmt.Errorf("--max-in-flight: must be a whole number, 0 (16 per Go processor) or more")
	}
	proxies, err := server.ParseTrustedProxies(*proxiesText)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg := service.Config{MFAOptional: *mfa == "optional", IntakeRate: rate, PasswordHashes: hashes}
	opts := &serveOptions{addr: *addr, cfg: cfg, proxies: proxies, cert: cert, tune: tune, observe: watch, inFlight: inFlight}
	return opts, outage.apply(opts)
}

// serve runs the service until ctx ends (SIGINT or SIGTERM in main).
func (e *env) serve(ctx context.Context, args []string) error {
	var c common
	opts, err := e.serveFlags(args, &c)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	if c.BaseURL == "" && opts.cert != nil {
		c.BaseURL = "https://" + ln.Addr().String()
	} else if c.BaseURL == "" {
		c.BaseURL = "http://" + ln.Addr().String()
	}
	oversubscribe(opts.tune.procsPerCPU) // before the service sizes its signing gate by GOMAXPROCS
	cfg := opts.cfg
	m := metrics.New()
	cfg.Metrics = m
	if _, sqlite := sqlitePath(c.DB); !sqlite {
		cfg.ReloadKeys = time.Minute // other instances change the keys too
	}
	a, err := e.open(ctx, &c, cfg)
	if err != nil {
		return err
	}
	defer a.store.Close()
	a.store.Timeout = opts.storeTimeout
	if c.mailer != nil {
		a.logger.Info("invitation and reset links are e-mailed", "smtp_server", c.mailServer(), "mail_from", c.MailFrom)
	}
	if err := a.svc.Start(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { a.svc.Run(bg) })
	if headroom := uint64(opts.tune.headroomMiB) << 20; os.Getenv("GOGC") == "" && headroom > 0 {
		reserve := uint64(cfg.PasswordHashes) * uint64(password.Default.Memory) << 10
		limit := os.Getenv("GOMEMLIMIT") == ""
		wg.Go(func() { tuneGC(bg, time.Second, headroom, reserve, limit) })
	}
	srv := server.New(a.svc, a.logger, strings.HasPrefix(c.BaseURL, "https://"))
	srv.TrustedProxies = opts.proxies
	srv.LimitInFlight(opts.inFlight)
	srv.Metrics = m
	m.KeyIndex(a.svc.KeyIndexSize)
	if err := opts.observe.serveMetrics(bg, m, srv, a.logger); err != nil {
		stop()
		wg.Wait()
		return err
	}
	if opts.cert != nil {
		ln = serveTLS(ctx, ln, opts.cert, a.logger)
	}
	if err := a.announce(ctx, ln.Addr().String()); err != nil {
		stop()
		wg.Wait()
		return err
	}
	err = srv.Serve(ctx, ln)
	stop()
	wg.Wait()
	a.logger.Info("stopped")
	return err
}

// announce logs, on an empty database, the one-time setup link, then
// where keyhouse listens (the last line of start-up, which scripts and
// tests wait for).
func (a *app) announce(ctx context.Context, addr string) error {
	link, err := a.svc.EnsureSetupLink(ctx)
	if err != nil {
		return fmt.Errorf("setup link: %w", err)
	}
	if link != "" {
		a.logger.Info("first run: open the one-time setup link to create the first organization", "setup_url", link)
	}
	a.logger.Info("keyhouse listening", "addr", addr)
	return nil
}
