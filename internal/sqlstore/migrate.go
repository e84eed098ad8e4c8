package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFS holds migrations/<dialect>/NNNN_name.sql: forward-only, the
// same numbers in every dialect. Numbers rise but may leave gaps (branches
// reserve theirs); a migration merged later with a lower number than one
// applied already is applied when it arrives.
//
//go:embed migrations
var migrationFS embed.FS

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's migrations in order.
func (d Dialect) migrations() ([]migration, error) {
	return readMigrations(migrationFS, path.Join("migrations", d.String()))
}

// readMigrations reads the NNNN_name.sql files of dir in fsys, in order.
func readMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries { // ReadDir sorts by name: by number
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		if len(ms) > 0 && v <= ms[len(ms)-1].version {
			return nil, fmt.Errorf("migration %s: want a number above %d", e.Name(), ms[len(ms)-1].version)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return ms, nil
}

// migrateWait bounds Migrate when its context has no deadline: a
// migration may rewrite a large table, far beyond Store.Timeout.
const migrateWait = time.Hour

// Migrate applies the migrations not yet recorded in schema_migrations, in
// order, each in its own transaction. It is safe to run again, and from
// several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, migrateWait)
		defer cancel()
	}
	ms, err := s.d.migrations()
	if err != nil {
		return err
	}
	return s.migrate(ctx, ms)
}

// migrate applies ms (see Migrate).
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return s.refuseNewer(ctx, ms)
}

// refuseNewer refuses a database that a newer keyhouse migrated with a
// migration this version does not have: it would not know what its
// tables mean.
func (s *Store) refuseNewer(ctx context.Context, known []migration) error {
	var unknown int
	err := s.run(ctx, nil, func(t *txn) error {
		rows, err := t.query(`SELECT version FROM schema_migrations ORDER BY version DESC`)
		if err != nil {
			return translate("read migrations", "migration", err)
		}
		vs, err := scanAll(rows, func(s scanner) (int, error) {
			var v int
			return v, s.Scan(&v)
		})
		if err != nil {
			return translate("read migrations", "migration", err)
		}
		for _, v := range vs {
			if !slices.ContainsFunc(known, func(m migration) bool { return m.version == v }) {
				unknown = v
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if unknown != 0 {
		return fmt.Errorf("the database was migrated by a newer keyhouse (migration %d; this version knows up to %d): run that version, or restore the backup taken before the upgrade", unknown, known[len(known)-1].version)
	}
	return nil
}

// apply runs m unless it is recorded, and records it.
func (s *Store) apply(ctx context.Context, m migration) error {
	return s.run(ctx, nil, func(t *txn) error {
		if lock := s.d.migrationLock(); lock != "" {
			if _, err := t.exec(lock); err != nil {
				return translate("lock migrations", "migration", err)
			}
		}
		if _, err := t.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT NOT NULL PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`); err != nil {
			return translate("create schema_migrations", "migration", err)
		}
		var n int
		err := t.queryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n)
		if err != nil {
			return translate("find migration", "migration", err)
		}
		if n > 0 {
			return nil
		}
		if _, err := t.q.ExecContext(ctx, m.sql); err != nil { // not rebound: DDL has no placeholders
			return translate("apply", "migration", err)
		}
		_, err = t.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, micros(time.Now()))
		return translate("record migration", "migration", err)
	})
}
