package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"keyhouse/internal/server"
	"keyhouse/internal/service"
)

// serve runs the service until ctx ends (SIGINT or SIGTERM in main).
func (e *env) serve(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("serve", &c)
	addr := fs.String("addr", e.def("addr", defaultAddr), "address to listen on")
	mfa := fs.String("mfa", e.def("mfa", "required"), "TOTP at sign-in: required or optional")
	rateText := fs.String("intake-rate", e.def("intake-rate", "0"), "intake requests a second allowed per API key, in bursts of up to twice that (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mfa != "required" && *mfa != "optional" {
		return fmt.Errorf("--mfa: must be required or optional")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	if c.BaseURL == "" {
		c.BaseURL = "http://" + ln.Addr().String()
	}
	rate, err := strconv.ParseFloat(*rateText, 64)
	if err != nil || rate < 0 {
		return fmt.Errorf("--intake-rate: must be a number, 0 (no limit) or more")
	}
	oversubscribe() // before the service sizes its signing gate by GOMAXPROCS
	cfg := service.Config{MFAOptional: *mfa == "optional", IntakeRate: rate}
	if _, sqlite := sqlitePath(c.DB); !sqlite {
		cfg.ReloadKeys = time.Minute // other instances change the keys too
	}
	a, err := e.open(ctx, &c, cfg)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if err := a.svc.Start(ctx); err != nil {
		return err
	}
	if err := a.announce(ctx, ln.Addr().String()); err != nil {
		return err
	}
	var wg sync.WaitGroup
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { a.svc.Run(bg) })
	if os.Getenv("GOGC") == "" {
		wg.Go(func() { tuneGC(bg, time.Second) })
	}
	srv := server.New(a.svc, a.logger, strings.HasPrefix(c.BaseURL, "https://"))
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
