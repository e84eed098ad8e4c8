package service

import (
	"context"
	"sync"
	"time"

	"keyhouse"
)

// keyIndex is the in-memory index of every API key, so that a warm token
// request reads no database: loaded at start, kept current by this
// process's own changes, and reloaded in full now and then for the
// changes of other processes. A key missing from it is looked up in the
// store (and added), so a key created elsewhere works at once; a deletion
// elsewhere is seen at the next reload (or, with PostgreSQL, its notice).
type keyIndex struct {
	mu     sync.RWMutex
	byID   map[string]*keyhouse.APIKey
	byHash map[[32]byte]*keyhouse.APIKey // legacy keys, by secret hash
	// gone holds the keys deleted lately, so that a reload that read the
	// database before a deletion does not bring a key back.
	gone map[string]time.Time
}

// goneFor is how long a deleted key is remembered against stale reloads:
// far longer than any reload takes.
const goneFor = 10 * time.Minute

func newKeyIndex() *keyIndex {
	return &keyIndex{byID: map[string]*keyhouse.APIKey{}, byHash: map[[32]byte]*keyhouse.APIKey{}, gone: map[string]time.Time{}}
}

// get returns the key with id, or nil.
func (x *keyIndex) get(id string) *keyhouse.APIKey {
	x.mu.RLock()
	k := x.byID[id]
	x.mu.RUnlock()
	return k
}

// getLegacy returns the legacy key with the given secret hash, or nil.
func (x *keyIndex) getLegacy(hash []byte) *keyhouse.APIKey {
	if len(hash) != 32 {
		return nil
	}
	x.mu.RLock()
	k := x.byHash[[32]byte(hash)]
	x.mu.RUnlock()
	return k
}

// put adds or replaces k, unless k was deleted lately.
func (x *keyIndex) put(k *keyhouse.APIKey) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, deleted := x.gone[k.KeyID]; !deleted {
		x.add(k)
	}
}

func (x *keyIndex) add(k *keyhouse.APIKey) {
	x.byID[k.KeyID] = k
	if k.Legacy && len(k.SecretHash) == 32 {
		x.byHash[[32]byte(k.SecretHash)] = k
	}
}

// remove drops the key with id and remembers it as deleted at now.
func (x *keyIndex) remove(id string, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if k := x.byID[id]; k != nil && k.Legacy && len(k.SecretHash) == 32 {
		delete(x.byHash, [32]byte(k.SecretHash))
	}
	delete(x.byID, id)
	x.gone[id] = now
}

// len returns the number of keys indexed.
func (x *keyIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// reload replaces the index with every key of the store, leaving out the
// keys deleted lately.
func (x *keyIndex) reload(ctx context.Context, store Store, now time.Time) error {
	fresh := newKeyIndex()
	if err := store.ForEachKey(ctx, fresh.add); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, at := range x.gone {
		if now.Sub(at) > goneFor {
			delete(x.gone, id)
		} else if k := fresh.byID[id]; k != nil {
			delete(fresh.byID, id)
			delete(fresh.byHash, [32]byte(k.SecretHash))
		}
	}
	x.byID, x.byHash = fresh.byID, fresh.byHash
	return nil
}
