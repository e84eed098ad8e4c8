package dataplane

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
)

// ErrUnknownKey is Lookup's answer for a key that does not exist (or was
// said lately not to, or whose source may ask no more).
var ErrUnknownKey = errors.New("unknown api key")

// Lookup returns the key a credential names (hash is its secret's HMAC):
// from the index while it is trusted, else from the store, unless the
// store said lately that there is no such key or blocked reports that the
// request's source may ask no more (a key in the index is never refused
// so). It does not compare the secret.
func (p *Plane) Lookup(ctx context.Context, c apikey.Credential, hash []byte, blocked func() bool) (*keyhouse.APIKey, error) {
	name := c.KeyID
	if c.Legacy {
		name = "legacy:" + string(hash)
	}
	indexed := p.indexed(c, hash)
	if indexed != nil && p.trusted() {
		return indexed, nil
	}
	if indexed == nil && (p.absent.has(name, p.now()) || blocked()) {
		return nil, ErrUnknownKey
	}
	var k *keyhouse.APIKey
	var err error
	if c.Legacy {
		k, err = p.store.FindKeyByHash(ctx, hash)
	} else {
		k, err = p.store.FindKey(ctx, c.KeyID)
	}
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		p.absent.add(name, p.now())
		if indexed != nil { // deleted by another instance, unheard
			p.keys.remove(indexed.KeyID, p.now())
		}
		return nil, ErrUnknownKey
	} else if err != nil {
		return nil, err
	}
	p.keys.put(k)
	return k, nil
}

// indexed returns the key of c from the in-memory index, or nil.
func (p *Plane) indexed(c apikey.Credential, hash []byte) *keyhouse.APIKey {
	if c.Legacy {
		return p.keys.getLegacy(hash)
	}
	return p.keys.get(c.KeyID)
}

// Key returns the key with keyID if it still exists (in the index while
// it is trusted, else in the store), nil if it does not.
func (p *Plane) Key(ctx context.Context, keyID string) (*keyhouse.APIKey, error) {
	indexed := p.keys.get(keyID)
	if indexed != nil && p.trusted() {
		return indexed, nil
	}
	k, err := p.store.FindKey(ctx, keyID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		if indexed != nil { // deleted by another instance, unheard
			p.keys.remove(keyID, p.now())
		}
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	p.keys.put(k)
	return k, nil
}

// CachedGrant returns the cached grant of a token still valid at now, or
// whether the token is known refused.
func (p *Plane) CachedGrant(sum [32]byte, now time.Time) (g *Grant, refused bool) {
	return p.tokens.get(sum, now)
}

// CacheGrant caches a verified token's grant.
func (p *Plane) CacheGrant(sum [32]byte, g *Grant) { p.tokens.put(sum, g) }

// RefuseToken marks a cached token refused from now on.
func (p *Plane) RefuseToken(sum [32]byte) { p.tokens.revoke(sum) }

// hearing tracks whether this instance hears every key deletion: on
// PostgreSQL, whether its listening connection is up and the index was
// reloaded since it (re)connected. While it is not, a key deleted through
// another instance may still be in the index. On SQLite every deletion
// goes through this process, so the index is always current.
type hearing struct {
	// deafSince is when the listening connection failed (unix
	// nanoseconds), 0 while the index is known current.
	deafSince atomic.Int64
}

// lost records that deletions may be missed from now on.
func (h *hearing) lost(now time.Time) {
	h.deafSince.CompareAndSwap(0, now.UnixNano())
}

// regained records that the index is current again.
func (h *hearing) regained() { h.deafSince.Store(0) }

// trusted reports whether the key index may answer for a key without
// asking the store: it is current, or it has been deaf for no longer than
// Config.StaleKeys.
func (p *Plane) trusted() bool {
	since := p.hearing.deafSince.Load()
	return since == 0 || p.now().Sub(time.Unix(0, since)) <= p.cfg.StaleKeys
}

// resyncRetry is how long resync waits between two tries.
const resyncRetry = time.Second

// resync reloads the key index after the listener (re)connected, trying
// again until it works or ctx ends, and then counts the index as current:
// the notices sent since LISTEN wait on the connection meanwhile.
func (p *Plane) resync(ctx context.Context) {
	for {
		err := p.Load(ctx)
		if err == nil {
			p.hearing.regained()
			return
		}
		if ctx.Err() != nil {
			return
		}
		p.cfg.Logger.Warn("reload api keys after connecting; retrying", "err", err)
		select {
		case <-time.After(resyncRetry):
		case <-ctx.Done():
			return
		}
	}
}
