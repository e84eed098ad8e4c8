package service

import (
	"context"
	"errors"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/dataplane"
)

// errBadKey is the one answer for every key that does not authenticate:
// unknown, wrong secret, malformed, deleted, expired or used from an
// address the key does not allow, so nothing can be probed.
var errBadKey = keyhouse.Errorf(keyhouse.ECREDENTIALS, "invalid client credentials")

// AuthenticateBasic checks the credential of an "Authorization: Basic"
// header (an API key, key id and secret, or a legacy key) and returns its
// key. A malformed secret is refused without touching the store. The use
// is recorded for last_used_at without a write.
func (s *Service) AuthenticateBasic(ctx context.Context, credential string) (*keyhouse.APIKey, error) {
	c, err := apikey.ParseBasic(credential)
	if err != nil {
		return nil, s.authFailed(ctx)
	}
	return s.authenticate(ctx, c)
}

// AuthenticatePair checks a key id and secret given apart (client_id and
// client_secret of an OAuth client).
func (s *Service) AuthenticatePair(ctx context.Context, keyID, secret string) (*keyhouse.APIKey, error) {
	if !apikey.ValidKeyID(keyID) {
		return nil, s.authFailed(ctx)
	}
	env, err := apikey.CheckSecret(secret)
	if err != nil {
		return nil, s.authFailed(ctx)
	}
	return s.authenticate(ctx, apikey.Credential{KeyID: keyID, Secret: secret, Environment: env})
}

// authenticate finds the key of c (in the index, else in the store) and
// compares the secret's HMAC in constant time; an expired key, or a
// request from an address the key does not allow, fails the same way.
// Failures count against the request's source (authFailed).
func (s *Service) authenticate(ctx context.Context, c apikey.Credential) (*keyhouse.APIKey, error) {
	hash := s.hasher.Hash(c.Secret)
	k, err := s.lookupKey(ctx, c, hash)
	if errors.Is(err, errBadKey) {
		return nil, s.authFailed(ctx)
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if !apikey.Equal(hash, k.SecretHash) || (!c.Legacy && c.Environment != k.Environment) || !s.keyUsable(ctx, k, now) {
		return nil, s.authFailed(ctx)
	}
	s.plane.RecordUse(k, now)
	return k, nil
}

// lookupKey returns the key a credential names (see dataplane.Lookup):
// errBadKey when there is none, or when the request's source is over its
// failed authentications and the key is not in the index.
func (s *Service) lookupKey(ctx context.Context, c apikey.Credential, hash []byte) (*keyhouse.APIKey, error) {
	k, err := s.plane.Lookup(ctx, c, hash, func() bool { return s.sourceBlocked(ctx) })
	if errors.Is(err, dataplane.ErrUnknownKey) {
		return nil, errBadKey
	}
	return k, err
}
