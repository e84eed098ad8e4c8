package verify

import (
	"context"
	"errors"
	"net/http"
	"time"

	"keyhouse/internal/dataplane"
	"keyhouse/internal/token"
)

// feedWait is the long poll's wait, at most: under MaxStaleness, so that
// a quiet keyhouse still answers often enough to count as heard.
const feedWait = 25 * time.Second

// revokedFor is how long after a key's deletion its id is kept: past
// it, every token of the key has expired anyway (issued before the
// deletion, or by an instance that had not heard yet, within a second).
const revokedFor = token.Lifetime + token.Leeway + time.Minute

// feedPage is an answer of GET /v1/revocations.
type feedPage struct {
	Revoked []struct {
		APIKeyID  string    `json:"api_key_id"`
		RevokedAt time.Time `json:"revoked_at"`
	} `json:"revoked"`
	RetiredKids []string `json:"retired_kids"`
	Cursor      string   `json:"cursor"`
}

// follower follows the revocation feed for a Verifier.
type follower struct {
	v      *Verifier
	cursor string // "" until the first answer, and after a 410: start over
}

// run reads the feed by long polls until ctx ends, and fetches the JWKS
// every jwksEvery; failures are logged and retried after a pause. A long
// poll waits at most half of MaxStaleness, and half of the HTTP client's
// timeout when it has one: a quiet keyhouse answers before either. A
// read (with the JWKS fetch after it) that has not answered half way
// from its wait to MaxStaleness (a connection dropped without a word) is
// given up and made again.
func (f *follower) run(ctx context.Context) {
	wait := min(feedWait, f.v.cfg.MaxStaleness/2)
	if t := f.v.cfg.HTTPClient.Timeout; t > 0 {
		wait = min(wait, t/2)
	}
	giveUp := wait + (f.v.cfg.MaxStaleness-wait)/2 // a hung read is retried before it goes stale
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, giveUp)
		err := f.read(rctx, wait)
		if err == nil {
			pause = 100 * time.Millisecond
			err = f.v.refresh(rctx, jwksEvery)
		}
		cancel()
		if err == nil || ctx.Err() != nil {
			continue
		}
		f.v.cfg.Logger.Warn("verify: follow keyhouse's revocation feed; retrying", "err", err, "in", pause)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// read reads the feed, waiting up to wait for news, applies what it
// says and counts keyhouse as heard once it has read to the end: a full
// page is followed at once by the next, so that the newest revocations,
// behind a page of older ones, hold before tokens are accepted.
func (f *follower) read(ctx context.Context, wait time.Duration) error {
	for {
		n, err := f.readPage(ctx, wait)
		if err != nil {
			return err
		}
		if n < dataplane.FeedPage {
			break
		}
		wait = 0
	}
	f.v.heard.Store(time.Now().UnixNano())
	return nil
}

// readPage reads one page of the feed, waiting up to wait for news,
// applies it and returns how many entries it held. A 410 (the cursor is
// older than the feed keeps) starts over at once: the answer without a
// cursor holds the revocations still kept, oldest first.
func (f *follower) readPage(ctx context.Context, wait time.Duration) (int, error) {
	var page feedPage
	err := f.v.get(ctx, f.path(wait), f.v.cfg.Credential, &page)
	if se, ok := errors.AsType[*statusError](err); ok && se.code == http.StatusGone {
		f.v.cfg.Logger.Warn("verify: away from keyhouse's revocation feed for longer than it keeps; starting over")
		f.cursor = ""
		err = f.v.get(ctx, f.path(0), f.v.cfg.Credential, &page)
	}
	if err != nil {
		return 0, err
	}
	f.v.apply(&page)
	f.cursor = page.Cursor
	return len(page.Revoked) + len(page.RetiredKids), nil
}

// path is the feed's URL path for the next read.
func (f *follower) path(wait time.Duration) string {
	p := "/v1/revocations?wait=" + wait.String()
	if f.cursor != "" {
		p += "&after=" + f.cursor
	}
	return p
}

// apply records the revoked keys and signing keys of a page, and forgets
// the keys whose tokens have all expired.
func (v *Verifier) apply(p *feedPage) {
	if len(p.Revoked) == 0 && len(p.RetiredKids) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	for id, until := range v.revoked {
		if now.After(until) {
			delete(v.revoked, id)
		}
	}
	for _, r := range p.Revoked {
		v.revoked[r.APIKeyID] = r.RevokedAt.Add(revokedFor)
	}
	for _, kid := range p.RetiredKids {
		v.retired[kid] = true
	}
}
