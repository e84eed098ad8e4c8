package service

import (
	"keyhouse/internal/dataplane"
	"keyhouse/internal/token"
)

// SetCacheLimits gives s a fresh data plane whose caches of tokens and
// absent keys have the given bounds, so that a test can flood them past
// their bound quickly. Its key index starts empty: keys are found in the
// store.
func SetCacheLimits(s *Service, tokens, absent int) {
	s.plane = dataplane.New(s.store, dataplane.Config{
		Now: s.cfg.Now, Logger: s.cfg.Logger, TokenCacheSize: tokens, AbsentCacheSize: absent,
	})
}

// CacheSizes returns the entries in s's caches of tokens and absent keys.
func CacheSizes(s *Service) (tokens, absent int) { return s.plane.CacheSizes() }

// TokenCached reports whether s has the access token raw cached as valid.
func TokenCached(s *Service, raw string) bool {
	g, _ := s.plane.CachedGrant(token.Sum(raw), s.now())
	return g != nil
}
