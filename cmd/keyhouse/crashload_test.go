package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ledger is what a load sent to keyhouse and what keyhouse answered: the
// events of every intake request, with the ids of those answered 202,
// and every key generated and deleted.
type ledger struct {
	t        *testing.T
	seq      atomic.Int64 // makes every event's body unique
	inFlight atomic.Int64 // requests sent and not yet answered
	acked    atomic.Int64 // events answered 202

	mu      sync.Mutex
	batches []*batch
	keys    []*keyFate
}

// batch is one intake request.
type batch struct {
	payloads []string // the events' bodies, each unique
	ids      []string // from the 202; nil when none came
	answer   string   // what came instead of a 202: a status or an error
}

// keyFate is an API key that the management load generated (answered
// 201), and what became of it.
type keyFate struct {
	clientID, keyID, apiKey string
	token                   string // an access token issued to it, or ""
	deleted                 bool   // a delete was answered 204
	unsure                  bool   // a delete went unanswered: it may or may not be gone
}

// answer is an HTTP answer, or err when none came.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// send posts body to base+path with a content type and an Authorization
// header, counting the request in flight while it is.
func (l *ledger) send(ctx context.Context, c *http.Client, method, url, ctype, auth, body string) answer {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", ctype)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	l.inFlight.Add(1)
	defer l.inFlight.Add(-1)
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil { // cut off mid-answer: the client learnt nothing
		return answer{err: err}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// expect reports whether a is an answer with status want; an answer
// with any other status is an error of the test, except 503 with
// Retry-After (keyhouse may shed load). No answer (the server died) is
// not an error.
func (l *ledger) expect(a answer, what string, want int) bool {
	switch {
	case a.err != nil:
		return false
	case a.status == want:
		return true
	case a.status == http.StatusServiceUnavailable && a.header.Get("Retry-After") != "":
		return false
	}
	l.t.Errorf("%s: status %d, want %d: %s", what, a.status, want, a.body)
	return false
}

// token gets an access token for apiKey, or "" when none came.
func (l *ledger) token(ctx context.Context, c *http.Client, base, apiKey string) string {
	a := l.send(ctx, c, "POST", base+"/as/token", "application/x-www-form-urlencoded", "Basic "+apiKey, "grant_type=client_credentials")
	if !l.expect(a, "token", http.StatusOK) {
		return ""
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" {
		l.t.Errorf("token answer %s: %v", a.body, err)
	}
	return tok.AccessToken
}

// intake posts NDJSON batches of 1 to 16 events with tokens of apiKey
// until ctx ends, recording each batch and its answer.
func (l *ledger) intake(ctx context.Context, base, apiKey string) {
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	tok := ""
	for ctx.Err() == nil {
		if tok == "" {
			if tok = l.token(ctx, c, base, apiKey); tok == "" {
				pause(ctx)
			}
			continue
		}
		b := &batch{payloads: make([]string, 1+rand.IntN(16))}
		for i := range b.payloads {
			b.payloads[i] = fmt.Sprintf(`{"seq":%d,"order":"A-%d","amount":12.5}`, l.seq.Add(1), i)
		}
		l.mu.Lock()
		l.batches = append(l.batches, b)
		l.mu.Unlock()
		// The request is not cancelled when the load stops: it waits for
		// its answer, so that a batch stored unanswered is keyhouse's doing.
		a := l.send(context.WithoutCancel(ctx), c, "POST", base+"/v1/events", "application/x-ndjson", "Bearer "+tok, strings.Join(b.payloads, "\n"))
		if !l.expect(a, "intake", http.StatusAccepted) {
			l.mu.Lock()
			b.answer = fmt.Sprint(a.status, " ", a.err)
			l.mu.Unlock()
			pause(ctx)
			continue
		}
		l.accept(b, a.body)
	}
}

// accept records the ids of a batch answered 202.
func (l *ledger) accept(b *batch, body []byte) {
	var ok struct {
		Accepted int      `json:"accepted"`
		IDs      []string `json:"ids"`
	}
	if err := json.Unmarshal(body, &ok); err != nil || ok.Accepted != len(b.payloads) || len(ok.IDs) != len(b.payloads) {
		l.t.Errorf("202 for %d events: %s (%v)", len(b.payloads), body, err)
		return
	}
	l.mu.Lock()
	b.ids = ok.IDs
	l.mu.Unlock()
	l.acked.Add(int64(len(ok.IDs)))
}

// manage initializes a client through the management API, then generates
// keys for it (getting a token for each) and deletes the oldest whenever
// it holds four, until ctx ends.
func (l *ledger) manage(ctx context.Context, base, session string) {
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	bearer := "Bearer " + session
	api := base + "/api/v1/environments/sandbox/clients"
	clientID := ""
	var live []*keyFate
	for ctx.Err() == nil {
		switch {
		case clientID == "":
			a := l.send(ctx, c, "POST", api, "application/json", bearer, `{"name":"Crash"}`)
			var cl struct {
				ClientID string `json:"client_id"`
			}
			if l.expect(a, "initialize client", http.StatusCreated) && json.Unmarshal(a.body, &cl) == nil {
				clientID = cl.ClientID
			}
		case len(live) < 4:
			if k := l.generate(ctx, c, api+"/"+clientID+"/keys", bearer); k != nil {
				k.clientID = clientID
				k.token = l.token(ctx, c, base, k.apiKey)
				live = append(live, k)
			}
		default:
			k := live[0]
			live = live[1:]
			a := l.send(ctx, c, "DELETE", api+"/"+clientID+"/keys/"+k.keyID, "application/json", bearer, `{"confirm_client_id":"`+clientID+`"}`)
			l.mu.Lock()
			k.deleted = l.expect(a, "delete key", http.StatusNoContent)
			k.unsure = !k.deleted
			l.mu.Unlock()
		}
	}
}

// generate makes a key and records it, or returns nil when no 201 came.
func (l *ledger) generate(ctx context.Context, c *http.Client, url, bearer string) *keyFate {
	a := l.send(ctx, c, "POST", url, "application/json", bearer, `{"description":"crash test"}`)
	if !l.expect(a, "generate key", http.StatusCreated) {
		return nil
	}
	var gen struct {
		KeyID  string `json:"key_id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(a.body, &gen); err != nil || gen.APIKey == "" {
		l.t.Errorf("generate answer %s: %v", a.body, err)
		return nil
	}
	k := &keyFate{keyID: gen.KeyID, apiKey: gen.APIKey}
	l.mu.Lock()
	l.keys = append(l.keys, k)
	l.mu.Unlock()
	return k
}

// pause waits a little after a request that got no answer (the server is
// gone or going), so that the load does not spin.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Millisecond):
	}
}

// eventFigures are the results of checkEvents.
type eventFigures struct {
	sent, acked, stored int
	storedUnacked       int    // events stored whose request got no 202
	unackedAnswer       string // what the first of those requests got
	duplicates          int
}

// checkEvents compares the events in db with the ledger: every event
// answered 202 is stored once with the id of its answer, no event is
// stored twice or without having been sent, a batch is stored whole or
// not at all, and the per-day counts agree with the events.
func (l *ledger) checkEvents(t *testing.T, d *testDB) eventFigures {
	t.Helper()
	db := d.open(t)
	rows, err := db.QueryContext(context.Background(), `SELECT id, payload FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]string{} // body → id
	ids := map[string]bool{}
	var f eventFigures
	for rows.Next() {
		var id string
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		f.stored++
		if _, dup := stored[string(payload)]; dup || ids[id] {
			if f.duplicates++; f.duplicates == 1 {
				t.Errorf("event %s (%s) is stored twice", id, payload)
			}
		}
		stored[string(payload)], ids[id] = id, true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	sent, lost, example := 0, 0, ""
	for _, b := range l.batches {
		f.sent += len(b.payloads)
		n, missing := l.checkBatch(t, b, stored, &example)
		sent, lost = sent+n, lost+missing
		if b.ids != nil {
			f.acked += len(b.ids)
		} else if n > 0 {
			f.storedUnacked += n
			if f.unackedAnswer == "" {
				f.unackedAnswer = b.answer
			}
		}
	}
	if f.duplicates > 1 {
		t.Errorf("%d events are stored twice", f.duplicates)
	}
	if lost > 0 {
		t.Errorf("%d events answered 202 are not stored with the id answered (first: %s)", lost, example)
	}
	if sent != f.stored {
		t.Errorf("%d events stored, %d of them sent by the test", f.stored, sent)
	}
	var counted int
	if err := db.QueryRowContext(context.Background(), `SELECT COALESCE(SUM(count), 0) FROM event_days`).Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if counted != f.stored {
		t.Errorf("the data-received counts add up to %d events, %d are stored", counted, f.stored)
	}
	return f
}

// checkBatch checks one batch against the stored events: it returns how
// many of its events are stored, and how many answered 202 are not stored
// with the id answered (reporting the first of those in example).
func (l *ledger) checkBatch(t *testing.T, b *batch, stored map[string]string, example *string) (n, missing int) {
	for i, p := range b.payloads {
		id, ok := stored[p]
		if ok {
			n++
		}
		if b.ids != nil && (!ok || id != b.ids[i]) {
			missing++
			if *example == "" {
				*example = fmt.Sprintf("%s answered for %s, found %q", b.ids[i], p, id)
			}
		}
	}
	if n != 0 && n != len(b.payloads) {
		t.Errorf("a batch of %d events is stored in part: %d", len(b.payloads), n)
	}
	return n, missing
}

// checkKeys checks every key the load generated on a running server:
// a key answered 201 and never deleted gets a token; a key deleted (204)
// gets 401 from the token endpoint, and its old token gets 401 from the
// intake. A key whose delete went unanswered is either still whole (it
// gets a token, and deleting it again answers 204) or gone (no token,
// 404). It returns how many keys of each kind it checked.
func (l *ledger) checkKeys(t *testing.T, base, session string) (live, deleted, unsure int) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	ctx := context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	// Each address may fail 20 key checks before the token endpoint slows
	// it down (429): the checks of refused keys come from one loopback
	// address per ten keys.
	sources := map[int]*http.Client{}
	checked := 0
	for _, k := range l.keys {
		kc := c
		if k.deleted || k.unsure {
			if sources[checked/10] == nil {
				sources[checked/10] = clientFrom(fmt.Sprintf("127.0.%d.%d", 2+checked/2500, 1+checked/10%250))
			}
			kc = sources[checked/10]
			checked++
		}
		tok := l.send(ctx, kc, "POST", base+"/as/token", "application/x-www-form-urlencoded", "Basic "+k.apiKey, "grant_type=client_credentials")
		switch {
		case k.unsure:
			unsure++
			l.settle(t, c, base, session, k, tok)
		case !k.deleted:
			live++
			if tok.status != http.StatusOK {
				t.Errorf("key %s was answered 201 and not deleted: token %d %v %s", k.keyID, tok.status, tok.err, tok.body)
			}
		default:
			deleted++
			if tok.status != http.StatusUnauthorized {
				t.Errorf("key %s was answered 204 on delete: token %d %v %s", k.keyID, tok.status, tok.err, tok.body)
			}
			if k.token == "" {
				continue
			}
			a := l.send(ctx, c, "POST", base+"/v1/events", "application/json", "Bearer "+k.token, `{"late":true}`)
			if a.status != http.StatusUnauthorized || bytes.Contains(a.body, []byte(`"ids"`)) {
				t.Errorf("an old token of deleted key %s at the intake: %d %v %s", k.keyID, a.status, a.err, a.body)
			}
		}
	}
	return live, deleted, unsure
}

// settle checks a key whose delete went unanswered, given the token
// endpoint's answer tok: deleting it again answers 204 if it got a token,
// 404 if not.
func (l *ledger) settle(t *testing.T, c *http.Client, base, session string, k *keyFate, tok answer) {
	t.Helper()
	url := base + "/api/v1/environments/sandbox/clients/" + k.clientID + "/keys/" + k.keyID
	del := l.send(context.Background(), c, "DELETE", url, "application/json", "Bearer "+session, `{"confirm_client_id":"`+k.clientID+`"}`)
	want := http.StatusNotFound
	if tok.status == http.StatusOK {
		want = http.StatusNoContent
	}
	if del.status != want {
		t.Errorf("key %s, its delete cut off by the crash: token %d, delete again %d %v %s", k.keyID, tok.status, del.status, del.err, del.body)
	}
}
