package service

import (
	"context"
	"sync"
	"time"

	"keyhouse"
)

// refusalEvery is how often at most a key's refusals for its address are
// audited, per instance.
const refusalEvery = time.Minute

// keyUsable reports whether k may be used at now by the request in ctx:
// it has not expired, and the request comes from an address it allows.
// It is the data plane's lifecycle check (SPEC §10): the fast case (no
// addresses) reads two fields of k.
func (s *Service) keyUsable(ctx context.Context, k *keyhouse.APIKey, now time.Time) bool {
	return !k.HasExpired(now) && s.fromAllowed(ctx, k, now)
}

// fromAllowed reports whether the request in ctx comes from an address
// k allows, and audits a refusal (api_key.refused_address) at most once
// every refusalEvery per key.
func (s *Service) fromAllowed(ctx context.Context, k *keyhouse.APIKey, now time.Time) bool {
	if len(k.AllowedCIDRs) == 0 {
		return true
	}
	if k.AllowsAddress(keyhouse.RequestFromContext(ctx).IP) {
		return true
	}
	if s.refusals.due(k.KeyID, now) {
		s.auditRefusal(ctx, k)
	}
	return false
}

// auditRefusal writes api_key.refused_address for k with the request's
// address. A failure is logged: the request is refused all the same. It
// runs in the request, so the store's Timeout bounds it, as every other
// request's store call (a client that leaves does not cancel it).
func (s *Service) auditRefusal(ctx context.Context, k *keyhouse.APIKey) {
	ctx = context.WithoutCancel(ctx)
	err := s.store.Update(ctx, func(tx Tx) error {
		return s.audit(ctx, tx, k.OrgID, k.Environment, keyhouse.ActionKeyRefusedAddress, k.KeyID)
	})
	if err != nil {
		s.cfg.Logger.Warn("audit refused address", "api_key_id", k.KeyID, "err", err)
	}
}

// refusalLog remembers when each key's refusal was last audited.
type refusalLog struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether a refusal of keyID at now is to be audited, and if
// so records it. Entries older than refusalEvery are forgotten as new
// ones come, so the map holds at most the keys refused in the last
// minute.
func (l *refusalLog) due(keyID string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.last[keyID]; ok && now.Sub(at) < refusalEvery {
		return false
	}
	for id, at := range l.last {
		if now.Sub(at) >= refusalEvery {
			delete(l.last, id)
		}
	}
	l.last[keyID] = now
	return true
}
