package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// follower follows a feed by long polls, as a verifier does, and records
// when each revoked key id first appears.
type follower struct {
	mu   sync.Mutex
	seen map[string]time.Time
	news chan struct{}
}

// follow long-polls base's feed with cred from cursor until ctx ends.
func follow(ctx context.Context, tb testing.TB, base, cred, cursor string) *follower {
	f := &follower{seen: map[string]time.Time{}, news: make(chan struct{}, 1)}
	go func() {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/revocations?wait=30s&after="+cursor, nil)
			req.Header.Set("Authorization", "Bearer "+cred)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			var out feed
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
				tb.Errorf("follow: %d %s", resp.StatusCode, b)
				return
			}
			now := time.Now()
			f.mu.Lock()
			for _, r := range out.Revoked {
				f.seen[r.APIKeyID] = now
			}
			f.mu.Unlock()
			select {
			case f.news <- struct{}{}:
			default:
			}
			cursor = out.Cursor
		}
	}()
	return f
}

// waitFor returns when the follower saw keyID, or false after timeout.
func (f *follower) waitFor(keyID string, timeout time.Duration) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		at, ok := f.seen[keyID]
		f.mu.Unlock()
		if ok {
			return at, true
		}
		select {
		case <-f.news:
		case <-deadline:
			return time.Time{}, false
		}
	}
}

// deleteOver deletes keyID of clientID through the HTTP API at base, as
// the owner with session token, and returns when the answer came.
func deleteOver(tb testing.TB, base, token, clientID, keyID string) time.Time {
	req, _ := http.NewRequest("DELETE", base+"/api/v1/environments/sandbox/clients/"+clientID+"/keys/"+keyID,
		strings.NewReader(`{"confirm_client_id":"`+clientID+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		tb.Fatalf("delete: %d", resp.StatusCode)
	}
	return time.Now()
}

// BenchmarkFeedPropagation measures, over b.N deletions one after
// the other, the time from a DELETE's answer on instance A to a follower
// of instance B's revocation feed (long poll) seeing the deletion, on
// one PostgreSQL database (KEYHOUSE_TEST_POSTGRES; skipped without).
// Run with -benchtime=200x; p50 and p99 are reported in milliseconds.
func BenchmarkFeedPropagation(b *testing.B) {
	in := newTwoInstances(b)
	_, start := readFeed(b, in.urlB, in.credential, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := follow(ctx, b, in.urlB, in.credential, start.Cursor)
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		id := in.newKey(b)
		b.StartTimer()
		answered := deleteOver(b, in.urlA, in.owner.Token, in.clientID, id)
		seen, ok := f.waitFor(id, 30*time.Second)
		if !ok {
			b.Fatalf("the follower of B never saw the deletion of %s on A", id)
		}
		took = append(took, max(0, seen.Sub(answered)))
	}
	slices.Sort(took)
	ms := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50_ms")
	b.ReportMetric(ms(0.99), "p99_ms")
	b.ReportMetric(float64(took[len(took)-1])/float64(time.Millisecond), "max_ms")
}
