// Package verify lets the product's own HTTP services accept keyhouse's
// access tokens without asking keyhouse about each request: it verifies
// them offline with keyhouse's published signing keys (JWKS), by the
// same rules as keyhouse itself, and follows keyhouse's revocation feed
// in the background, so that a deleted key's tokens are refused within a
// second. When it has heard nothing from keyhouse for longer than
// Config.MaxStaleness it refuses every token (fails closed) and says why
// in its log.
//
//	v, err := verify.New(ctx, verify.Config{
//		Issuer:     "https://keys.example.com", // keyhouse's base URL
//		Credential: os.Getenv("KEYHOUSE_RESOURCE_SERVER"), // keyhouse resource-servers create
//	})
//	defer v.Close()
//	http.Handle("/v1/orders", v.Middleware(orders))
//	// in the handler: c, ok := verify.ClaimsFrom(r.Context())
package verify

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"keyhouse/internal/generations"
	"keyhouse/internal/token"
)

// Config is the configuration of a Verifier.
type Config struct {
	// Issuer is keyhouse's base URL (its --base-url): the iss of its
	// tokens, and where the JWKS and the revocation feed are fetched.
	Issuer string
	// Credential is a resource-server credential (keyhouse
	// resource-servers create), for the revocation feed.
	Credential string
	// MaxStaleness is how long the verifier goes on accepting tokens
	// without news from keyhouse (default 30 s); past it, it refuses
	// every token until the feed answers again.
	MaxStaleness time.Duration
	// HTTPClient fetches the JWKS and the feed (default: a client with
	// a 90-second timeout). The feed's long polls wait at most half
	// its Timeout, when it sets one.
	HTTPClient *http.Client
	// Logger receives what the verifier has to say (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock tokens are checked against (default time.Now).
	Now func() time.Time
	// AllowHTTP lets an http Issuer that is not a loopback address
	// through: the credential, which introspects every organization's
	// tokens, then crosses the network in the clear. Only for a network
	// you trust as much as the process itself.
	AllowHTTP bool
}

// Claims are what a verified token says of its caller.
type Claims struct {
	OrganizationID string
	Environment    string // "sandbox" or "production"
	ClientID       string
	APIKeyID       string
	Scope          string
	IssuedAt       time.Time
	ExpiresAt      time.Time
	TokenID        string // jti
	kid            string // the signing key's
}

// Errors of Verify.
var (
	// ErrInvalidToken: the token is malformed, badly signed, expired, of
	// another issuer or audience, or of a revoked key or signing key.
	ErrInvalidToken = errors.New("verify: invalid token")
	// ErrStale: nothing was heard from keyhouse for longer than
	// MaxStaleness: every token is refused.
	ErrStale = errors.New("verify: no news from keyhouse for too long; refusing every token")
)

// Defaults.
const (
	DefaultMaxStaleness = 30 * time.Second
	// refreshGap is the least time between two JWKS fetches for a kid
	// the verifier does not know: made-up kids cost at most one fetch
	// this often.
	refreshGap = 500 * time.Millisecond
	// jwksEvery is how often the JWKS is fetched anyway (new keys made
	// by rotation; retired keys that verify nothing any more).
	jwksEvery = 5 * time.Minute
	// maxCached bounds the cache of verified tokens; it forgets its
	// older half when full (package generations).
	maxCached = 100_000
)

// Verifier verifies keyhouse's access tokens offline. It is safe for
// concurrent use.
type Verifier struct {
	cfg     Config
	keys    atomic.Pointer[map[string]*ecdsa.PublicKey] // the JWKS, by kid
	fetchMu sync.Mutex                                  // one JWKS fetch at a time
	fetched time.Time                                   // when the JWKS was last fetched (fetchMu)
	heard   atomic.Int64                                // unix ns of the feed's last answer
	stale   atomic.Bool                                 // whether the last check found it stale (for the log)

	mu      sync.RWMutex
	revoked map[string]time.Time // api_key_id → when its tokens are all expired (mu)
	retired map[string]bool      // kids revoked through the feed (mu)

	cached *generations.Sync[[32]byte, *Claims] // verified tokens

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Verifier for cfg once it has fetched the JWKS and read the
// revocation feed (both errors are returned), and starts following the
// feed until Close.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Credential == "" {
		return nil, errors.New("verify: Config.Issuer and Config.Credential are required")
	}
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	if err := checkIssuer(cfg.Issuer, cfg.AllowHTTP); err != nil {
		return nil, err
	}
	if cfg.MaxStaleness <= 0 {
		cfg.MaxStaleness = DefaultMaxStaleness
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 90 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier{cfg: cfg, revoked: map[string]time.Time{}, retired: map[string]bool{},
		cached: generations.NewSync[[32]byte, *Claims](maxCached), done: make(chan struct{})}
	empty := map[string]*ecdsa.PublicKey{}
	v.keys.Store(&empty)
	if err := v.fetchJWKS(ctx); err != nil {
		return nil, err
	}
	f := &follower{v: v}
	if err := f.read(ctx, 0); err != nil {
		return nil, fmt.Errorf("verify: read the revocation feed: %w", err)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	v.cancel = cancel
	go func() { defer close(v.done); f.run(bg) }()
	return v, nil
}

// Close stops following the feed.
func (v *Verifier) Close() error {
	v.cancel()
	<-v.done
	return nil
}

// Verify checks an access token and returns its claims: ErrStale while
// keyhouse has not been heard from for longer than MaxStaleness,
// ErrInvalidToken for any token that keyhouse would refuse.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if err := v.fresh(); err != nil {
		return nil, err
	}
	now := v.cfg.Now()
	sum := token.Sum(raw)
	c := v.cachedClaims(sum)
	if c == nil {
		var err error
		if c, err = v.verify(ctx, raw, now); err != nil {
			return nil, err
		}
		v.cache(sum, c)
	}
	if !now.Before(c.ExpiresAt.Add(token.Leeway)) || v.isRevoked(c) {
		return nil, ErrInvalidToken
	}
	return c, nil
}

// checkIssuer refuses an Issuer the credential should not be sent to: not
// an absolute http(s) URL, or http to anything but a loopback address
// unless allowHTTP.
func checkIssuer(issuer string, allowHTTP bool) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("verify: Config.Issuer must be keyhouse's base URL, such as https://keys.example.com (got %q)", issuer)
	}
	if u.Scheme == "https" || allowHTTP || loopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("verify: Config.Issuer %s is http: the resource-server credential would cross the network in the clear; use https (keyhouse serve --tls-cert), a loopback address, or set Config.AllowHTTP for a network you trust", issuer)
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
