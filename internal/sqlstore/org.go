package sqlstore

import (
	"database/sql"

	"keyhouse"
)

const orgColumns = `id, name, state, created_at, max_key_lifetime_days`

// CreateOrg inserts o.
func (t *txn) CreateOrg(o *keyhouse.Organization) error {
	o.CreatedAt = stored(o.CreatedAt)
	_, err := t.exec(`INSERT INTO organizations (`+orgColumns+`) VALUES (?, ?, ?, ?, ?)`,
		o.ID, o.Name, string(o.State), micros(o.CreatedAt), o.MaxKeyLifetimeDays)
	return translate("insert organization", "organization", err)
}

// FindOrg returns the organization with the given id.
func (t *txn) FindOrg(id string) (*keyhouse.Organization, error) {
	o, err := scanOrg(t.queryRow(`SELECT `+orgColumns+` FROM organizations WHERE id = ?`, id))
	if err != nil {
		return nil, translate("find organization", "organization", err)
	}
	return o, nil
}

// ListOrgs returns every organization, oldest first.
func (t *txn) ListOrgs() ([]*keyhouse.Organization, error) {
	rows, err := t.query(`SELECT ` + orgColumns + ` FROM organizations ORDER BY created_at, id`)
	if err != nil {
		return nil, translate("list organizations", "organization", err)
	}
	os, err := scanAll(rows, scanOrg)
	if err != nil {
		return nil, translate("list organizations", "organization", err)
	}
	return os, nil
}

// SetOrgState sets the state of the organization with the given id.
func (t *txn) SetOrgState(id string, state keyhouse.OrgState) error {
	return t.execOne("update organization", "organization",
		`UPDATE organizations SET state = ? WHERE id = ?`, string(state), id)
}

// SetOrgKeyLifetime sets the organization's maximum lifetime of new keys
// in days (nil for none).
func (t *txn) SetOrgKeyLifetime(id string, days *int) error {
	return t.execOne("update organization", "organization",
		`UPDATE organizations SET max_key_lifetime_days = ? WHERE id = ?`, days, id)
}

func scanOrg(s scanner) (*keyhouse.Organization, error) {
	var o keyhouse.Organization
	var created int64
	var maxDays sql.NullInt64
	if err := s.Scan(&o.ID, &o.Name, &o.State, &created, &maxDays); err != nil {
		return nil, err
	}
	o.CreatedAt = fromMicros(created)
	if maxDays.Valid {
		n := int(maxDays.Int64)
		o.MaxKeyLifetimeDays = &n
	}
	return &o, nil
}
