package sqlstore

import (
	"database/sql"

	"keyhouse"
)

const clientColumns = `client_id, org_id, environment, name, initialized_at, created_at`

// CreateClient inserts c: ECONFLICT when the client ID is taken, in any
// organization.
func (t *txn) CreateClient(c *keyhouse.Client) error {
	c.InitializedAt = storedPtr(c.InitializedAt)
	c.CreatedAt = stored(c.CreatedAt)
	_, err := t.exec(`INSERT INTO clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ClientID, c.OrgID, string(c.Environment), c.Name, nullMicros(c.InitializedAt), micros(c.CreatedAt))
	return translate("insert client", "client", err)
}

// FindClient returns the client of the organization and environment with
// the given client ID: another organization's or environment's is not found.
func (t *txn) FindClient(orgID string, env keyhouse.Environment, clientID string) (*keyhouse.Client, error) {
	c, err := scanClient(t.queryRow(`SELECT `+clientColumns+` FROM clients
		WHERE client_id = ? AND org_id = ? AND environment = ?`, clientID, orgID, string(env)))
	if err != nil {
		return nil, translate("find client", "client", err)
	}
	return c, nil
}

// ListClients returns the environment's clients ordered by name, then ID.
func (t *txn) ListClients(orgID string, env keyhouse.Environment) ([]*keyhouse.Client, error) {
	rows, err := t.query(`SELECT `+clientColumns+` FROM clients
		WHERE org_id = ? AND environment = ? ORDER BY name, client_id`, orgID, string(env))
	if err != nil {
		return nil, translate("list clients", "client", err)
	}
	cs, err := scanAll(rows, scanClient)
	if err != nil {
		return nil, translate("list clients", "client", err)
	}
	return cs, nil
}

func scanClient(s scanner) (*keyhouse.Client, error) {
	var c keyhouse.Client
	var initialized sql.NullInt64
	var created int64
	if err := s.Scan(&c.ClientID, &c.OrgID, &c.Environment, &c.Name, &initialized, &created); err != nil {
		return nil, err
	}
	c.InitializedAt = fromNullMicros(initialized)
	c.CreatedAt = fromMicros(created)
	return &c, nil
}
