package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/dataplane"
)

// CreatedResourceServer is a new resource-server credential: the only
// value that ever holds it.
type CreatedResourceServer struct {
	ID         string
	Name       string
	Credential string
	CreatedAt  time.Time
}

// operatorOnly answers EFORBIDDEN unless ctx acts as the operator.
func operatorOnly(ctx context.Context, what string) error {
	if p := keyhouse.PrincipalFromContext(ctx); p == nil || !p.Operator {
		return keyhouse.Errorf(keyhouse.EFORBIDDEN, "only the operator %s", what)
	}
	return nil
}

// CreateResourceServer makes a credential for one of the product's own
// services: it may introspect every access token and read the revocation
// feed, nothing else. Only the operator may. The audit event is
// deployment-wide (no organization), as signing-key rotations are.
func (s *Service) CreateResourceServer(ctx context.Context, name string) (*CreatedResourceServer, error) {
	if err := operatorOnly(ctx, "creates resource servers"); err != nil {
		return nil, err
	}
	if err := keyhouse.ValidateName("name", name); err != nil {
		return nil, err
	}
	id, cred := apikey.GenerateResourceServer()
	rs := &keyhouse.ResourceServer{
		ID: id, Name: name, SecretHash: s.rsHasher.Hash(cred), CreatedAt: s.now(),
		CreatedBy: keyhouse.PrincipalFromContext(ctx).Actor(),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateResourceServer(rs); err != nil {
			return fmt.Errorf("create resource server: %w", err)
		}
		return s.audit(ctx, tx, "", "", keyhouse.ActionResourceServerCreated, id)
	})
	if err != nil {
		return nil, err
	}
	return &CreatedResourceServer{ID: id, Name: name, Credential: cred, CreatedAt: rs.CreatedAt}, nil
}

// ListResourceServers returns every resource server, by name. Only the
// operator may.
func (s *Service) ListResourceServers(ctx context.Context) ([]*keyhouse.ResourceServer, error) {
	if err := operatorOnly(ctx, "lists resource servers"); err != nil {
		return nil, err
	}
	var out []*keyhouse.ResourceServer
	err := s.store.View(ctx, func(tx Tx) (err error) {
		out, err = tx.ListResourceServers()
		return err
	})
	return out, err
}

// DeleteResourceServer deletes a resource server's credential: it
// authenticates nothing from then on, here at once, on other instances
// at their notice or within a second (see dataplane.Plane.ResourceServer).
// Only the operator may.
func (s *Service) DeleteResourceServer(ctx context.Context, id string) error {
	if err := operatorOnly(ctx, "deletes resource servers"); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteResourceServer(id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "", "", keyhouse.ActionResourceServerDeleted, id)
	})
	if err == nil {
		s.plane.ForgetResourceServer(id)
	}
	return err
}

// AuthenticateResourceServer checks a resource-server credential and
// returns its record, found in the data plane's cache of resource servers
// (the store when it is not there). Every failure is the same
// ECREDENTIALS, counted against the request's source like a failed API
// key (ETHROTTLED once it is over its limit); a malformed credential
// costs no query. A source over its limit still authenticates as a
// resource server this instance has cached, so that an attacker behind
// the same address (a proxy, a NAT) cannot lock the product's services
// out, and reaches the store for no other.
func (s *Service) AuthenticateResourceServer(ctx context.Context, credential string) (*keyhouse.ResourceServer, error) {
	id, err := apikey.ParseResourceServer(credential)
	if err != nil || !s.plane.KnowsResourceServer(id) && s.sourceBlocked(ctx) {
		return nil, s.authFailed(ctx) // a throttled source reaches the store for known ids only
	}
	rs, err := s.plane.ResourceServer(ctx, id)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		return nil, s.authFailed(ctx)
	} else if err != nil {
		return nil, err
	}
	if !apikey.Equal(s.rsHasher.Hash(credential), rs.SecretHash) {
		return nil, s.authFailed(ctx)
	}
	return rs, nil
}

// IntrospectAny answers RFC 7662 for a resource server, which may learn
// about every organization's tokens: the token's grant when it is active,
// nil otherwise. Like Introspect, it asks about a token used elsewhere:
// the key's allowed addresses are the token user's, not the asker's.
func (s *Service) IntrospectAny(ctx context.Context, _ *keyhouse.ResourceServer, raw string) *Grant {
	g, err := s.verifyGrant(ctx, raw, false)
	if err != nil {
		return nil
	}
	return g
}

// Revocations reads the revocation feed for a resource server after the
// cursor after (every retained entry when negative), waiting up to wait
// for news when there is none (see dataplane.Plane.Revocations). A cursor
// outside the retained window answers EGONE.
func (s *Service) Revocations(ctx context.Context, _ *keyhouse.ResourceServer, after int64, wait time.Duration) (*keyhouse.RevocationPage, error) {
	page, err := s.plane.Revocations(ctx, after, wait)
	if err != nil {
		return nil, err
	}
	if page.Expired {
		return nil, keyhouse.Errorf(keyhouse.EGONE, "after: the cursor is older than the feed keeps (%s) or not of this keyhouse; start over: ask without after for every retained entry and the current cursor", dataplane.FeedRetention)
	}
	return page, nil
}
