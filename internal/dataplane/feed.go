package dataplane

import (
	"context"
	"time"

	"keyhouse"
	"keyhouse/internal/token"
)

// Feed bounds and retention.
const (
	// FeedPage is the most entries one read of the feed returns; a
	// follower asks again with the cursor for the rest.
	FeedPage = 1000
	// FeedRetention is how long the feed keeps an entry: a day plus the
	// lifetime of the tokens a deleted key may have left, plus some
	// minutes against clocks that differ. A follower away for less
	// misses nothing.
	FeedRetention = 24*time.Hour + token.Lifetime + 10*time.Minute
	// MaxFeedWait is the longest a read of the feed may wait for news.
	MaxFeedWait = time.Minute
	// feedRecheck is how often a waiting read looks in the store even
	// without news: the safety net under a notice missed while this
	// instance's listening connection was down.
	feedRecheck = 5 * time.Second
)

// Revocations reads the revocation feed after the cursor after (every
// retained entry when after is negative). When there is nothing new it
// waits for news, up to wait, and reads again: a deletion through this
// instance or (on PostgreSQL) any other wakes it at once. It returns what
// it has, possibly nothing, when ctx ends (the client left or the server
// drains). An expired cursor comes back as a page with Expired set.
func (p *Plane) Revocations(ctx context.Context, after int64, wait time.Duration) (*keyhouse.RevocationPage, error) {
	deadline := time.Now().Add(min(wait, MaxFeedWait))
	for {
		news := p.news.wait() // before reading: news that comes during the read is not lost
		page, err := p.store.ListRevocations(ctx, after, FeedPage)
		if err != nil || page.Expired || len(page.Entries) > 0 {
			return page, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return page, nil
		}
		after = page.Last // a start-over waits for what follows its answer
		t := time.NewTimer(min(left, feedRecheck))
		select {
		case <-news:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return page, nil
		}
		t.Stop()
	}
}

// Changed wakes the feed's followers: something may have been revoked
// that this instance learnt of otherwise than by a notice (the signing
// keys it polls).
func (p *Plane) Changed() { p.news.ring() }
