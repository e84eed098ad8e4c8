package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// sseEvent reads the next event of a stream: its id and data.
func sseEvent(t *testing.T, r *bufio.Reader) (id string, data feed) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &data); err != nil {
				t.Fatalf("event data %q: %v", line, err)
			}
		case line == "" && id != "":
			return id, data
		}
	}
}

// openStream opens the feed as server-sent events after cursor ("" to
// start over).
func openStream(t *testing.T, base, cred, cursor string, lastEventID bool) *bufio.Reader {
	t.Helper()
	path := base + "/v1/revocations"
	req, _ := http.NewRequestWithContext(t.Context(), "GET", path, nil)
	if cursor != "" && lastEventID {
		req.Header.Set("Last-Event-ID", cursor)
	} else if cursor != "" {
		req.URL.RawQuery = "after=" + cursor
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewReader(resp.Body)
}

// TestRevocationEvents: the feed as server-sent events: a first event
// with the current cursor, then one per deletion; a client reconnecting
// with Last-Event-ID gets what it missed.
func TestRevocationEvents(t *testing.T) {
	f := newFeedFixture(t)
	stream := openStream(t, f.srv.URL, f.credential, "", false)
	first, data := sseEvent(t, stream)
	if data.Cursor != first || len(data.Revoked) != 0 {
		t.Fatalf("first event: id %s, %+v", first, data)
	}
	id := f.newKeyID(t)
	f.deleteKey(t, id)
	next, data := sseEvent(t, stream)
	if !data.revoked(id) || next != data.Cursor || next == first {
		t.Fatalf("event after the deletion: id %s, %+v", next, data)
	}
	// A client that was away since the first event catches up.
	resumed := openStream(t, f.srv.URL, f.credential, first, true)
	if _, data := sseEvent(t, resumed); !data.revoked(id) {
		t.Errorf("resumed stream: %+v", data)
	}
	// An expired cursor is refused before the stream starts.
	status, _, body := get(t, f.srv.URL, "/v1/revocations?after=99999", map[string]string{"Authorization": "Bearer " + f.credential, "Accept": "text/event-stream"})
	if status != 410 || !strings.Contains(body, "cursor_expired") {
		t.Errorf("expired cursor as a stream: %d %s", status, body)
	}
}

// TestRevocationLongPollDrain: a server that drains answers its waiting
// long polls and event streams at once, so that they do not hold the
// shutdown for the whole drain grace and get cut off.
func TestRevocationLongPollDrain(t *testing.T) {
	f := newFeedFixture(t)
	srv := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	srv.DrainGrace = 20 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	_, start := readFeed(t, base, f.credential, "")
	polled := make(chan feed, 1)
	go func() {
		_, out := readFeed(t, base, f.credential, "?after="+start.Cursor+"&wait=50s")
		polled <- out
	}()
	stream := openStream(t, base, f.credential, start.Cursor, false)
	sseEvent(t, stream)
	time.Sleep(100 * time.Millisecond) // the long poll is most likely waiting
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want a clean drain", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the drain waits for the long poll and the stream")
	}
	if out := <-polled; len(out.Revoked) != 0 || out.Cursor != start.Cursor {
		t.Errorf("long poll at the drain: %+v", out)
	}
}

// TestRevocationLongPollOutlastsTimeouts: a long poll waits its whole
// wait, and a stream goes on, past the server's read and write timeouts.
func TestRevocationLongPollOutlastsTimeouts(t *testing.T) {
	f := newFeedFixture(t)
	srv := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	srv.Timeouts = server.Timeouts{ReadHeader: 200 * time.Millisecond, Read: 200 * time.Millisecond, Write: 300 * time.Millisecond}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(t.Context(), ln)
	base := "http://" + ln.Addr().String()
	_, start := readFeed(t, base, f.credential, "")
	begin := time.Now()
	status, out := readFeed(t, base, f.credential, "?after="+start.Cursor+"&wait=1s")
	if took := time.Since(begin); status != 200 || took < time.Second || out.Cursor != start.Cursor {
		t.Errorf("long poll of 1 s under 200 ms timeouts: %d %+v after %v", status, out, took)
	}
	stream := openStream(t, base, f.credential, start.Cursor, false)
	sseEvent(t, stream)
	id := f.newKeyID(t)
	time.Sleep(time.Second) // past both timeouts
	f.deleteKey(t, id)
	if _, data := sseEvent(t, stream); !data.revoked(id) {
		t.Errorf("stream after the timeouts: %+v", data)
	}
}

// TestRevocationEventsEndWithTheCredential: deleting a resource server
// ends its open event streams before they carry anything more.
func TestRevocationEventsEndWithTheCredential(t *testing.T) {
	f := newFeedFixture(t)
	stream := openStream(t, f.srv.URL, f.credential, "", false)
	sseEvent(t, stream)
	rss, err := f.e.Svc.ListResourceServers(keyhousetest.Operator(""))
	if err != nil || len(rss) != 1 {
		t.Fatalf("resource servers: %v, %v", rss, err)
	}
	if err := f.e.Svc.DeleteResourceServer(keyhousetest.Operator(""), rss[0].ID); err != nil {
		t.Fatal(err)
	}
	f.deleteKey(t, f.newKeyID(t)) // news: the stream wakes
	rest, err := io.ReadAll(stream)
	if err != nil || strings.Contains(string(rest), "api_key_id") {
		t.Errorf("after the credential's deletion the stream carried %q (%v)", rest, err)
	}
}
