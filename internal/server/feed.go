package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keyhouse"
	"keyhouse/internal/dataplane"
)

// errNoResourceServer is the 401 of the routes only a resource server may
// call: the same for a missing, malformed, unknown or wrong credential.
var errNoResourceServer = keyhouse.Errorf(keyhouse.EUNAUTHORIZED,
	"a resource-server credential is required: Authorization: Bearer <credential> (keyhouse resource-servers create)")

// resourceServer authenticates the request's resource-server credential,
// "Authorization: Bearer <credential>".
func (s *Server) resourceServer(r *http.Request) (*keyhouse.ResourceServer, error) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, errNoResourceServer
	}
	rs, err := s.Service.AuthenticateResourceServer(r.Context(), strings.TrimSpace(cred))
	if keyhouse.ErrorCode(err) == keyhouse.ECREDENTIALS {
		return nil, errNoResourceServer
	}
	return rs, err
}

// feedQuery is what a request to the feed asks: the cursor (-1: start
// over) and how long to wait for news.
type feedQuery struct {
	after int64
	wait  time.Duration
}

// parseFeedQuery reads after (or, for a reconnecting event stream,
// Last-Event-ID) and wait; 400 naming the field for a bad one.
func parseFeedQuery(r *http.Request) (feedQuery, error) {
	q := feedQuery{after: -1}
	after := r.URL.Query().Get("after")
	if after == "" {
		after = r.Header.Get("Last-Event-ID")
	}
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			return q, keyhouse.Errorf(keyhouse.EBADREQUEST, "after: must be the cursor of an earlier answer (or absent, to start over)")
		}
		q.after = n
	}
	if w := r.URL.Query().Get("wait"); w != "" {
		d, err := time.ParseDuration(w)
		if n, nerr := strconv.Atoi(w); nerr == nil { // whole seconds, bounded before they wrap as nanoseconds
			d, err = time.Duration(min(max(n, -1), int(dataplane.MaxFeedWait/time.Second)+1))*time.Second, nil
		}
		if err != nil || d < 0 || d > dataplane.MaxFeedWait {
			return q, keyhouse.Errorf(keyhouse.EBADREQUEST, "wait: must be a duration from 0s to %s, such as 25s", dataplane.MaxFeedWait)
		}
		q.wait = d
	}
	return q, nil
}

// handleRevocations is the revocation feed (GET /v1/revocations), for
// resource servers only: JSON, held up to wait for news (long poll), or
// with Accept: text/event-stream a stream of server-sent events. A
// waiting request ends when the server drains.
func (s *Server) handleRevocations(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.resourceServer(r)
	if err != nil {
		return err
	}
	q, err := parseFeedQuery(r)
	if err != nil {
		return err
	}
	ctx, cancel := s.untilDrain(r.Context())
	defer cancel()
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		return s.streamRevocations(ctx, w, r, rs, q.after)
	}
	holdOpen(w, q.wait)
	page, err := s.Service.Revocations(ctx, rs, q.after, q.wait)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, newRevocationsResponse(page))
	return nil
}

// feedWriteSlack is the write time a feed answer gets beyond its wait.
const feedWriteSlack = 10 * time.Second

// holdOpen lets the answer on w outlast the server's write timeout by
// wait: a long poll or an event stream writes long after its request.
func holdOpen(w http.ResponseWriter, wait time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + feedWriteSlack))
}

// sseKeepAlive is how often an idle event stream sends a comment, so
// that proxies and clients see it alive.
const sseKeepAlive = 15 * time.Second

// streamRevocations answers the feed as server-sent events: a first
// event with what follows the cursor (perhaps nothing: it carries the
// current cursor), then an event for each news, each with its cursor as
// the event id (a reconnecting client sends it back as Last-Event-ID).
// An expired cursor is refused before the stream starts. The credential
// is checked again after each wait, before anything is written, so a
// deleted one ends its streams within sseKeepAlive and learns nothing
// more.
func (s *Server) streamRevocations(ctx context.Context, w http.ResponseWriter, r *http.Request, rs *keyhouse.ResourceServer, after int64) error {
	page, err := s.Service.Revocations(ctx, rs, after, 0)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	for {
		holdOpen(w, sseKeepAlive)
		if page == nil {
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		} else {
			err = writeEvent(w, page)
			after = page.Last
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil || ctx.Err() != nil {
			return nil // the client left, or the server drains: the stream ends
		}
		if page, err = s.Service.Revocations(ctx, rs, after, sseKeepAlive); err != nil {
			s.Logger.Warn("revocation stream ended", "err", err)
			return nil
		}
		if rs, err = s.resourceServer(r); err != nil {
			return nil // deleted meanwhile: the stream ends, unanswered
		}
		if len(page.Entries) == 0 {
			page = nil
		}
	}
}

// writeEvent writes one server-sent event of the feed.
func writeEvent(w http.ResponseWriter, page *keyhouse.RevocationPage) error {
	data, err := json.Marshal(newRevocationsResponse(page))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: revocations\ndata: %s\n\n", page.Last, data)
	return err
}
