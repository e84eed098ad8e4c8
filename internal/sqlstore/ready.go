package sqlstore

import (
	"context"
	"database/sql"

	"keyhouse"
)

// Ready reports, as an EUNAVAILABLE error, why the store cannot serve:
// the database does not answer within the store's Timeout, SQLite's
// write lock cannot be had (another process holds it), or the database
// lacks migrations of this version of keyhouse. It writes nothing.
func (s *Store) Ready(ctx context.Context) error {
	ms, err := s.d.migrations()
	if err != nil {
		return err
	}
	// On SQLite a read-write transaction takes the write lock at BEGIN:
	// reads alone would pass while every write waits.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d == SQLite {
		opts = nil
	}
	var applied int
	err = s.run(ctx, opts, func(t *txn) error {
		err := t.queryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied)
		return translate("read migrations", "migration", err)
	})
	if err != nil {
		return err
	}
	if applied < len(ms) {
		return keyhouse.Errorf(keyhouse.EUNAVAILABLE,
			"the database lacks migrations (%d of %d applied): run keyhouse migrate", applied, len(ms))
	}
	return nil
}
