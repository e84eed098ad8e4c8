package sqlstore

import (
	"context"

	"keyhouse"
)

const resourceServerColumns = `id, name, secret_hash, created_at, created_by`

// CreateResourceServer inserts rs: ECONFLICT when the id or the hash is
// taken.
func (t *txn) CreateResourceServer(rs *keyhouse.ResourceServer) error {
	rs.CreatedAt = stored(rs.CreatedAt)
	_, err := t.exec(`INSERT INTO resource_servers (`+resourceServerColumns+`) VALUES (?, ?, ?, ?, ?)`,
		rs.ID, rs.Name, rs.SecretHash, micros(rs.CreatedAt), rs.CreatedBy)
	return translate("insert resource server", "resource server", err)
}

// ListResourceServers returns every resource server by name, then id.
func (t *txn) ListResourceServers() ([]*keyhouse.ResourceServer, error) {
	rows, err := t.query(`SELECT ` + resourceServerColumns + ` FROM resource_servers ORDER BY name, id`)
	if err != nil {
		return nil, translate("list resource servers", "resource server", err)
	}
	rss, err := scanAll(rows, scanResourceServer)
	return rss, translate("list resource servers", "resource server", err)
}

// DeleteResourceServer deletes one: ENOTFOUND when there is none. On
// PostgreSQL it also notifies every instance (delivered when the
// transaction commits), which forget the credential: see WatchChanges.
func (t *txn) DeleteResourceServer(id string) error {
	if err := t.execOne("delete resource server", "resource server", `DELETE FROM resource_servers WHERE id = ?`, id); err != nil {
		return err
	}
	if t.d != Postgres {
		return nil
	}
	_, err := t.exec(`SELECT pg_notify('`+resourceServerDeletedChannel+`', ?)`, id)
	return translate("notify resource server deleted", "resource server", err)
}

// FindResourceServer returns the resource server with id, outside any
// transaction.
func (s *Store) FindResourceServer(ctx context.Context, id string) (*keyhouse.ResourceServer, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := &txn{ctx: ctx, q: s.db, d: s.d}
	rs, err := scanResourceServer(t.queryRow(`SELECT `+resourceServerColumns+` FROM resource_servers WHERE id = ?`, id))
	if err != nil {
		return nil, translate("find resource server", "resource server", err)
	}
	return rs, nil
}

func scanResourceServer(sc scanner) (*keyhouse.ResourceServer, error) {
	var rs keyhouse.ResourceServer
	var created int64
	if err := sc.Scan(&rs.ID, &rs.Name, &rs.SecretHash, &created, &rs.CreatedBy); err != nil {
		return nil, err
	}
	rs.CreatedAt = fromMicros(created)
	return &rs, nil
}
