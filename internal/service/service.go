// Package service holds every rule of keyhouse: permissions, the
// initialized-client rule, description limits, delete confirmation, sign-in
// throttling, audit events and revocation. The HTTP server and the command
// line call it; it calls the Store.
package service

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/dataplane"
	"keyhouse/internal/password"
	"keyhouse/internal/seal"
	"keyhouse/internal/token"
)

// Config holds the settings of a Service.
type Config struct {
	BaseURL       string          // where people reach the console, for links
	MFAOptional   bool            // sign-in without TOTP for users who have none
	KeysPerClient int             // the most keys one client may hold
	Password      password.Params // argon2id cost
	Now           func() time.Time
	Logger        *slog.Logger
	// ReloadKeys is how often the in-memory key index is rebuilt from the
	// store, the safety net under other instances' deletion notices; 0
	// never, for a database that only this process changes (SQLite).
	ReloadKeys time.Duration
	// IntakeRate limits each API key to this many intake requests a
	// second on average (bursts of twice that); 0, no limit.
	IntakeRate float64
	// PasswordHashes is how many password hashes (argon2id) may run at
	// once; 0, as many as GOMAXPROCS.
	PasswordHashes int
	// Mailer, when set, e-mails invitation and reset links instead of
	// answering them to whoever asked (no SMTP server: nil).
	Mailer Mailer
	// Metrics receives what the service counts; nil, nothing.
	Metrics Metrics
	// OnKeyDeleted, when set, runs after a key deletion has committed and
	// before the deleting call returns: the data plane's revocation hook.
	OnKeyDeleted func(keyID string)
	// StaleKeys is how long the in-memory key index goes on answering
	// alone once this instance may miss other instances' deletions (its
	// PostgreSQL listening connection is down): past it, every key is
	// confirmed in the store, so a store outage refuses token issue with
	// EUNAVAILABLE. 0: confirm at once.
	StaleKeys time.Duration
}

// Service implements keyhouse's use cases on a Store.
type Service struct {
	store  Store
	cfg    Config
	hasher *apikey.Hasher
	// rsHasher hashes resource-server credentials, with a key of its own.
	rsHasher *apikey.Hasher
	totp     *seal.Box
	dummy    string // a password hash to verify against for unknown e-mails

	// plane is the hot path's machinery: key index, token cache,
	// last-used times, listening, the revocation feed's followers.
	plane  *dataplane.Plane
	keyBox *seal.Box // seals token-signing keys at rest
	// signInBox seals what the console's sign-in steps carry.
	signInBox *seal.Box
	signer    *signer    // the token-signing ring
	intake    *committer // group commit of received events
	// signing admits as many signatures at once as there are processors,
	// so that under load each finishes in one go instead of being
	// preempted among dozens (which stretches the latency tail).
	signing chan struct{}
	limiter *rateLimiter  // the intake's per-key rate limit
	badAuth *authFailures // failed API-key authentications per source
	// hashing bounds the password hashes running at once.
	hashing *hashTurns
	// refusals paces the audit of requests from addresses a key refuses.
	refusals *refusalLog
}

// New returns a Service on store. secret is the server secret: it keys the
// API-key HMAC and the encryption of TOTP secrets at rest.
func New(store Store, secret []byte, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.KeysPerClient <= 0 {
		cfg.KeysPerClient = 10
	}
	if cfg.PasswordHashes <= 0 {
		cfg.PasswordHashes = runtime.GOMAXPROCS(0)
	}
	if cfg.Password == (password.Params{}) {
		cfg.Password = password.Default
	}
	dummy, err := password.Hash(keyhouse.RandomBase62(20), cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("dummy hash: %w", err)
	}
	s := &Service{
		store:    store,
		cfg:      cfg,
		hasher:   apikey.NewHasher(seal.Derive(secret, "api-key")),
		rsHasher: apikey.NewHasher(seal.Derive(secret, "resource-server")),
		dummy:    dummy,
		plane: dataplane.New(store, dataplane.Config{
			Now: cfg.Now, Logger: cfg.Logger, Metrics: cfg.Metrics,
			ReloadKeys: cfg.ReloadKeys, StaleKeys: cfg.StaleKeys,
		}),
		signer:   &signer{ring: token.NewRing()},
		intake:   newCommitter(store, cfg.Logger, cfg.Metrics),
		signing:  make(chan struct{}, runtime.GOMAXPROCS(0)),
		limiter:  newRateLimiter(cfg.IntakeRate),
		badAuth:  newAuthFailures(),
		hashing:  newHashTurns(cfg.PasswordHashes),
		refusals: &refusalLog{last: map[string]time.Time{}},
	}
	// One key per purpose, each derived from the server secret.
	for label, box := range map[string]**seal.Box{"totp": &s.totp, "signing-key": &s.keyBox, "console-sign-in": &s.signInBox} {
		if *box, err = seal.New(seal.Derive(secret, label)); err != nil {
			return nil, fmt.Errorf("%s box: %w", label, err)
		}
	}
	return s, nil
}

// Start loads what the data plane keeps in memory: every API key and the
// token-signing keys (creating the first one on a new database).
func (s *Service) Start(ctx context.Context) error {
	if err := s.plane.Load(ctx); err != nil {
		return fmt.Errorf("load api keys: %w", err)
	}
	return s.LoadSigningKeys(ctx)
}

// Run does the service's background work until ctx ends: the data
// plane's (listening, key reloads, last-used times), the intake's group
// commit, polling the signing keys for changes made by other processes,
// pruning every minute, the key lifecycle (KeyLifecycle) every
// lifecycleEvery, and the expiries' feed entries every announceEvery.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.intake.run(ctx) })
	wg.Go(func() { s.plane.Run(ctx, func() { s.ringChanged(ctx) }) })
	wg.Go(func() { s.pollLoop(ctx) })
	wg.Go(func() { s.pruneLoop(ctx) })
	wg.Go(func() { s.every(ctx, lifecycleEvery, "key lifecycle", s.KeyLifecycle) })
	wg.Go(func() { s.every(ctx, announceEvery, "key expiries", s.AnnounceExpiries) })
	wg.Wait()
}

// ringChanged reloads the signing keys on another instance's notice.
func (s *Service) ringChanged(ctx context.Context) {
	if err := s.reloadRing(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Logger.Warn("reload signing keys", "err", err)
	}
}

// pollLoop polls the signing keys every SigningKeyPoll.
func (s *Service) pollLoop(ctx context.Context) {
	s.every(ctx, SigningKeyPoll, "poll signing keys", s.pollSigningKeys)
}

// every runs fn every d until ctx ends, logging its failures as what.
func (s *Service) every(ctx context.Context, d time.Duration, what string, fn func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn(what, "err", err)
			}
		}
	}
}

// FlushUsage writes the pending last-used times now.
func (s *Service) FlushUsage(ctx context.Context) error { return s.plane.FlushUsage(ctx) }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Now returns the service's time, in UTC: what expiries are compared
// with, and what the console's "3 minutes ago" and per-day charts count from.
func (s *Service) Now() time.Time { return s.now() }

// hashToken returns the stored form of a session or link token.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newToken returns a fresh 256-bit token with a recognizable prefix.
func newToken(prefix string) string {
	return prefix + keyhouse.RandomBase62(43)
}

// audit appends an event for the principal and request in ctx.
func (s *Service) audit(ctx context.Context, tx Tx, orgID string, env keyhouse.Environment, action, target string) error {
	actor := "anonymous"
	if p := keyhouse.PrincipalFromContext(ctx); p != nil {
		actor = p.Actor()
	}
	info := keyhouse.RequestFromContext(ctx)
	ev := &keyhouse.AuditEvent{
		Time: s.now(), OrgID: orgID, Environment: env, Actor: actor,
		Action: action, Target: target, IP: info.IP, UserAgent: info.UserAgent,
	}
	if err := tx.AppendAudit(ev); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// BaseURL returns the URL people and integrations reach keyhouse at: the
// issuer of access tokens.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }
