package dataplane

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
)

// keyIndex is the in-memory index of every API key, so that a warm token
// request reads no database: loaded at start, kept current by this
// process's own changes, and reloaded in full now and then for the
// changes of other processes. A key missing from it is looked up in the
// store (and added), so a key created elsewhere works at once; a deletion
// elsewhere is seen at its notice (PostgreSQL) or the next reload.
//
// It is compact and free of pointers, so that a million keys take tens of
// megabytes that the garbage collector never scans: an entry is the key
// id's 20 random characters, the secret's HMAC, and the index of its
// client in a table of clients shared by all their keys.
type keyIndex struct {
	mu       sync.RWMutex
	byID     map[keyRef]entry
	byHash   map[[32]byte]keyRef // legacy keys, by secret hash
	clients  []clientInfo        // entry.client indexes this
	clientOf map[string]uint32   // client ID → index in clients
	// cidrs holds the allowed addresses of the few keys bound to some
	// (entry.bound), apart, so that entries stay free of pointers.
	cidrs map[keyRef][]netip.Prefix
	// gone holds the keys deleted lately, so that a reload that read the
	// database before a deletion does not bring a key back.
	gone map[string]time.Time
	// touched holds, while a reload reads the store, the keys put since
	// it began (nil otherwise): the reload keeps their newer state over
	// its copy (new addresses, a roll's expiry).
	touched map[keyRef]struct{}
	// reloading makes reloads take turns, each with its own touched.
	reloading sync.Mutex
}

// keyRef is a key id without its "khk_" prefix.
type keyRef [apikey.KeyIDLen - len(apikey.KeyIDPrefix)]byte

// entry is what the index keeps of one key. expires is the expiry in
// Unix microseconds, 0 for never: every instance stops the key at that
// moment by its own clock, with no notice needed then.
type entry struct {
	hash    [32]byte
	expires int64
	client  uint32
	legacy  bool
	bound   bool // allowed addresses in keyIndex.cidrs
}

// clientInfo is what the keys of one client share.
type clientInfo struct {
	orgID, clientID string
	env             keyhouse.Environment
}

// goneFor is how long a deleted key is remembered against stale reloads:
// far longer than any reload takes.
const goneFor = 10 * time.Minute

func newKeyIndex() *keyIndex {
	return &keyIndex{
		byID: map[keyRef]entry{}, byHash: map[[32]byte]keyRef{},
		clientOf: map[string]uint32{}, gone: map[string]time.Time{}, cidrs: map[keyRef][]netip.Prefix{},
	}
}

// refOf returns the keyRef of a key id, and false for an id that is not
// of the form every key id has.
func refOf(id string) (keyRef, bool) {
	var r keyRef
	if len(id) != apikey.KeyIDLen || id[:len(apikey.KeyIDPrefix)] != apikey.KeyIDPrefix {
		return r, false
	}
	copy(r[:], id[len(apikey.KeyIDPrefix):])
	return r, true
}

// get returns the key with id, or nil.
func (x *keyIndex) get(id string) *keyhouse.APIKey {
	r, ok := refOf(id)
	if !ok {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byID[r]
	if !ok {
		return nil
	}
	return x.key(id, r, e)
}

// getLegacy returns the legacy key with the given secret hash, or nil.
func (x *keyIndex) getLegacy(hash []byte) *keyhouse.APIKey {
	if len(hash) != 32 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.byHash[[32]byte(hash)]
	if !ok {
		return nil
	}
	return x.key(apikey.KeyIDPrefix+string(r[:]), r, x.byID[r])
}

// key rebuilds the fields of a key that authentication and tokens use:
// with its expiry and allowed addresses, which verify.go checks.
func (x *keyIndex) key(id string, r keyRef, e entry) *keyhouse.APIKey {
	c := x.clients[e.client]
	k := &keyhouse.APIKey{
		KeyID: id, OrgID: c.orgID, Environment: c.env, ClientID: c.clientID,
		SecretHash: e.hash[:], Legacy: e.legacy,
	}
	if e.expires != 0 {
		t := time.UnixMicro(e.expires).UTC()
		k.ExpiresAt = &t
	}
	if e.bound {
		k.AllowedCIDRs = x.cidrs[r] // shared: nobody changes a key's list in place
	}
	return k
}

// put adds or replaces k, unless k was deleted lately.
func (x *keyIndex) put(k *keyhouse.APIKey) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, deleted := x.gone[k.KeyID]; deleted {
		return
	}
	x.add(k)
	if r, ok := refOf(k.KeyID); ok && x.touched != nil {
		x.touched[r] = struct{}{}
	}
}

// add indexes k; keys of a malformed id or hash are left out (and found
// in the store when asked for).
func (x *keyIndex) add(k *keyhouse.APIKey) {
	r, ok := refOf(k.KeyID)
	if !ok || len(k.SecretHash) != 32 {
		return
	}
	c, ok := x.clientOf[k.ClientID]
	if !ok {
		c = uint32(len(x.clients))
		x.clients = append(x.clients, clientInfo{orgID: k.OrgID, clientID: k.ClientID, env: k.Environment})
		x.clientOf[k.ClientID] = c
	}
	e := entry{hash: [32]byte(k.SecretHash), client: c, legacy: k.Legacy, bound: len(k.AllowedCIDRs) > 0}
	if k.ExpiresAt != nil {
		e.expires = max(k.ExpiresAt.UnixMicro(), 1)
	}
	x.byID[r] = e
	if e.bound {
		x.cidrs[r] = k.AllowedCIDRs
	} else {
		delete(x.cidrs, r)
	}
	if k.Legacy {
		x.byHash[[32]byte(k.SecretHash)] = r
	}
}

// remove drops the key with id and remembers it as deleted at now.
func (x *keyIndex) remove(id string, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for old, at := range x.gone { // deletions are rare: the list stays short
		if now.Sub(at) > goneFor {
			delete(x.gone, old)
		}
	}
	x.gone[id] = now
	if r, ok := refOf(id); ok {
		x.drop(r)
	}
}

// drop removes one key from the maps.
func (x *keyIndex) drop(r keyRef) {
	if e, ok := x.byID[r]; ok && e.legacy {
		delete(x.byHash, e.hash)
	}
	delete(x.byID, r)
	delete(x.cidrs, r)
}

// reload replaces the index with every key of the store, leaving out the
// keys deleted lately and keeping the keys put while it read the store as
// they were put.
func (x *keyIndex) reload(ctx context.Context, store Store, now time.Time) error {
	x.reloading.Lock()
	defer x.reloading.Unlock()
	x.mu.Lock()
	x.touched = map[keyRef]struct{}{}
	x.mu.Unlock()
	fresh := newKeyIndex()
	err := store.ForEachKey(ctx, fresh.add)
	x.mu.Lock()
	defer x.mu.Unlock()
	touched := x.touched
	x.touched = nil
	if err != nil {
		return err
	}
	for r := range touched {
		if e, ok := x.byID[r]; ok {
			fresh.add(x.key(apikey.KeyIDPrefix+string(r[:]), r, e))
		}
	}
	for id, at := range x.gone {
		if now.Sub(at) > goneFor {
			delete(x.gone, id)
		} else if r, ok := refOf(id); ok {
			fresh.drop(r)
		}
	}
	x.byID, x.byHash, x.clients, x.clientOf = fresh.byID, fresh.byHash, fresh.clients, fresh.clientOf
	x.cidrs = fresh.cidrs
	return nil
}

// size is how many keys the index holds.
func (x *keyIndex) size() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}
