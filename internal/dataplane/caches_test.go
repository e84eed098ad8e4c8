package dataplane

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/token"
)

// TestCacheMemory fills both caches three times over their production
// bounds with entries shaped like a flood's (a key id each; a grant with
// a token's claims each) and measures the heap they hold.
func TestCacheMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 600,000 cache entries")
	}
	now := time.Now()
	base := heapInUse()
	absent := newAbsentCache(absentMax)
	for i := range 3 * absentMax {
		absent.add(fmt.Sprintf("khk_%020d", i), now) // a key id's length
	}
	absentBytes := heapInUse() - base
	tokens := newTokenCache(maxCachedTokens)
	var sum [32]byte
	for i := range 3 * maxCachedTokens {
		sum[0], sum[1], sum[2] = byte(i), byte(i>>8), byte(i>>16)
		tokens.put(sum, floodGrant(now))
	}
	tokenBytes := heapInUse() - base - absentBytes
	t.Logf("absent keys: %d entries, %.1f MB (%d B each); tokens: %d entries, %.1f MB (%d B each)",
		absent.size(), float64(absentBytes)/1e6, absentBytes/int64(absent.size()),
		tokens.size(), float64(tokenBytes)/1e6, tokenBytes/int64(tokens.size()))
	if absent.size() > absentMax || tokens.size() > maxCachedTokens {
		t.Errorf("over the bounds: %d absent keys, %d tokens", absent.size(), tokens.size())
	}
	if absentBytes > 20e6 || tokenBytes > 100e6 {
		t.Errorf("the full caches hold %.1f MB (absent keys) and %.1f MB (tokens), want at most 20 and 100",
			float64(absentBytes)/1e6, float64(tokenBytes)/1e6)
	}
	runtime.KeepAlive(absent)
	runtime.KeepAlive(tokens)
}

// floodGrant returns a grant as verifying a token makes one: every
// string of its own, of a real claim's length.
func floodGrant(now time.Time) *Grant {
	s := func(n int) string { return strings.Clone(strings.Repeat("x", 32)[:n]) }
	c := token.Claims{
		Issuer: "https://" + s(12) + ".example", ClientID: s(10), Audience: strings.Clone(token.Audience),
		OrgID: "org_" + s(16), Env: keyhouse.Sandbox, APIKeyID: s(24), Scope: strings.Clone("integration"),
		IssuedAt: now, NotBefore: now, Expiry: now.Add(token.Lifetime), ID: s(22), KeyID: s(16),
	}
	return &Grant{KeyID: c.APIKeyID, OrgID: c.OrgID, ClientID: c.ClientID, Env: c.Env, Scope: c.Scope, Claims: c}
}

// heapInUse returns the bytes of live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
