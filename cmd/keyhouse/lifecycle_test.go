package main

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestKeyLifecycleInstances runs two instances on one PostgreSQL
// database: a key rolled on A with a 2 s grace works on B until then and
// is refused there within 1 s after, and is in the revocation feed
// (within 2 s here; announced every 500 ms); 100 keys made on A to expire 3 s
// ahead are refused on B within 1 s of their expiry (the p99 is logged);
// addresses bound on A hold on B within 1 s.
func TestKeyLifecycleInstances(t *testing.T) {
	p := startPair(t)
	a, b, sess := p.a, p.b, p.sess
	keysOf := func(name string) string {
		var c struct{ ClientID string }
		a.call(t, sess, "POST", "/api/v1/environments/sandbox/clients", map[string]string{"name": name}, 201, &jsonCase{&c})
		return "/api/v1/environments/sandbox/clients/" + c.ClientID + "/keys"
	}
	keys := keysOf("Shop")
	var old struct{ KeyID, APIKey string }
	a.call(t, sess, "POST", keys, map[string]string{}, 201, &jsonCase{&old})
	oldBearer := bearerOn(t, b, old.APIKey)
	var rolled struct {
		KeyID, APIKey, Replaces string
		OldKeyExpiresAt         time.Time
	}
	a.call(t, sess, "POST", keys+"/"+old.KeyID+"/roll", map[string]int{"grace_seconds": 2}, 201, &jsonCase{&rolled})
	for time.Now().Before(rolled.OldKeyExpiresAt.Add(-300 * time.Millisecond)) {
		status, _ := b.send(t, "/v1/events", "application/json", `{}`, oldBearer)
		if status != 202 && time.Now().Before(rolled.OldKeyExpiresAt) { // answered before the moment
			t.Fatalf("B refuses the rolled key's token during its grace: %d", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("roll: B refused the old key's token %v after its grace ended", stopLatency(t, b, oldBearer, rolled.OldKeyExpiresAt))
	for queryInt(t, p.dsn, `SELECT COUNT(*) FROM revocations WHERE subject = $1`, old.KeyID) == 0 {
		if late := time.Since(rolled.OldKeyExpiresAt); late > 2*time.Second {
			t.Fatalf("the revocation feed has no entry for the rolled key %v after its grace ended", late)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("roll: the revocation feed had the old key %v after its grace ended", time.Since(rolled.OldKeyExpiresAt))

	// 100 keys in 10 clients, each expiring at the same moment.
	expires := time.Now().Add(5 * time.Second).UTC()
	var bearers []map[string]string
	for c := range 10 {
		path := keysOf(fmt.Sprint("Client ", c))
		for range 10 {
			var k struct{ APIKey string }
			a.call(t, sess, "POST", path, map[string]string{"expires_at": expires.Format(time.RFC3339Nano)}, 201, &jsonCase{&k})
			bearers = append(bearers, bearerOn(t, b, k.APIKey))
		}
	}
	lat := make([]time.Duration, len(bearers))
	var wg sync.WaitGroup
	for i, h := range bearers {
		wg.Go(func() { lat[i] = stopLatency(t, b, h, expires) })
	}
	wg.Wait()
	slices.Sort(lat)
	t.Logf("expiry of 100 keys on B: median %v, p99 %v, max %v after the moment", lat[50], lat[98], lat[99])

	// Addresses bound through A hold on B.
	newBearer := bearerOn(t, b, rolled.APIKey)
	a.call(t, sess, "PATCH", keys+"/"+rolled.KeyID, map[string][]string{"allowed_cidrs": {"198.51.100.0/24"}}, 200, nil)
	waitRefused(t, b, newBearer)
}

// bearerOn returns the Authorization header of a token issued by in.
func bearerOn(t *testing.T, in *instance, apiKey string) map[string]string {
	t.Helper()
	status, body := in.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + apiKey})
	m := regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		t.Fatalf("token: %d %s", status, body)
	}
	return map[string]string{"Authorization": "Bearer " + m[1]}
}

// stopLatency posts events with bearer to in from just before at until
// it answers 401, and returns how long after at that request was sent;
// it fails the test on a 401 answered before at, a 202 to a request sent
// over a second after at, or any other answer.
func stopLatency(t *testing.T, in *instance, bearer map[string]string, at time.Time) time.Duration {
	time.Sleep(time.Until(at.Add(-20 * time.Millisecond)))
	for {
		sent := time.Since(at)
		status, _ := in.send(t, "/v1/events", "application/json", `{}`, bearer)
		switch {
		case status == 401 && time.Since(at) >= 0:
			return max(sent, 0)
		case status == 401:
			t.Errorf("refused %v before the moment", -time.Since(at))
			return 0
		case status != 202 || sent > time.Second:
			t.Errorf("%d to a request sent %v after the moment", status, sent)
			return sent
		}
		time.Sleep(5 * time.Millisecond)
	}
}
