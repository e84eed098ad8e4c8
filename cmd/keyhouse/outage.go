package main

import (
	"fmt"
	"time"

	"keyhouse/internal/sqlstore"
)

// outageText is what serve's store-outage flags say, parsed by apply.
type outageText struct {
	storeTimeout, staleKeys *string
}

// outageFlags registers serve's flags for store outages on fs.
func outageFlags(fs *flagSet, e *env) outageText {
	return outageText{
		storeTimeout: fs.String("store-timeout", e.def("store-timeout", sqlstore.DefaultTimeout.String()),
			"longest wait for the database in a request (a connection, a lock, a statement); past it the request gets 503 with Retry-After"),
		staleKeys: fs.String("stale-keys-for", e.def("stale-keys-for", "30s"),
			"how long token issue goes on from the keys in memory once this instance cannot hear other instances' key deletions (PostgreSQL); past it each key is confirmed in the database, so tokens wait for the store (0: at once)"),
	}
}

// apply parses the flags into opts.
func (o outageText) apply(opts *serveOptions) error {
	d, err := time.ParseDuration(*o.storeTimeout)
	if err != nil || d <= 0 {
		return fmt.Errorf("--store-timeout: want a duration above 0, such as 1s")
	}
	opts.storeTimeout = d
	if d, err = time.ParseDuration(*o.staleKeys); err != nil || d < 0 {
		return fmt.Errorf("--stale-keys-for: want a duration, such as 30s, or 0")
	}
	opts.cfg.StaleKeys = d
	return nil
}
