package service

import "crypto/sha256"

// SetCacheLimits gives s empty caches of tokens and absent keys with the
// given bounds, so that a test can flood them past their bound quickly.
func SetCacheLimits(s *Service, tokens, absent int) {
	s.tokens, s.absent = newTokenCache(tokens), newAbsentCache(absent)
}

// CacheSizes returns the entries in s's caches of tokens and absent keys.
func CacheSizes(s *Service) (tokens, absent int) { return s.tokens.size(), s.absent.size() }

// TokenCached reports whether s has the access token raw cached as valid.
func TokenCached(s *Service, raw string) bool {
	g, _ := s.tokens.get(sha256.Sum256([]byte(raw)), s.now())
	return g != nil
}
