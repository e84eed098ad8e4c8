package sqlstore

import (
	"keyhouse"
)

const userColumns = `id, email, status, password_hash, totp_secret, totp_last_step, created_at`

// CreateUser inserts u: ECONFLICT when the e-mail address is taken.
func (t *txn) CreateUser(u *keyhouse.User) error {
	u.CreatedAt = stored(u.CreatedAt)
	_, err := t.exec(`INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, string(u.Status), u.PasswordHash, u.TOTPSecret, u.TOTPLastStep, micros(u.CreatedAt))
	return translate("insert user", "user", err)
}

// FindUserByID returns the user with the given id.
func (t *txn) FindUserByID(id string) (*keyhouse.User, error) {
	return t.findUser("find user", `id = ?`, id)
}

// FindUserByEmail returns the user with the given e-mail address, as
// keyhouse.NormalizeEmail returns it.
func (t *txn) FindUserByEmail(email string) (*keyhouse.User, error) {
	return t.findUser("find user by email", `email = ?`, email)
}

func (t *txn) findUser(op, where string, arg any) (*keyhouse.User, error) {
	var u keyhouse.User
	var created int64
	err := t.queryRow(`SELECT `+userColumns+` FROM users WHERE `+where, arg).Scan(
		&u.ID, &u.Email, &u.Status, &u.PasswordHash, &u.TOTPSecret, &u.TOTPLastStep, &created)
	if err != nil {
		return nil, translate(op, "user", err)
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

// UpdateUser writes u's Status, PasswordHash, TOTPSecret and TOTPLastStep.
func (t *txn) UpdateUser(u *keyhouse.User) error {
	return t.execOne("update user", "user",
		`UPDATE users SET status = ?, password_hash = ?, totp_secret = ?, totp_last_step = ? WHERE id = ?`,
		string(u.Status), u.PasswordHash, u.TOTPSecret, u.TOTPLastStep, u.ID)
}

// PutMembership inserts m or replaces its roles.
func (t *txn) PutMembership(m *keyhouse.Membership) error {
	_, err := t.exec(`INSERT INTO memberships (org_id, user_id, roles) VALUES (?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET roles = excluded.roles`,
		m.OrgID, m.UserID, m.Roles.String())
	return translate("put membership", "membership", err)
}

// FindMembership returns the membership of userID in orgID.
func (t *txn) FindMembership(orgID, userID string) (*keyhouse.Membership, error) {
	m, err := scanMembership(t.queryRow(
		`SELECT org_id, user_id, roles FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID))
	if err != nil {
		return nil, translate("find membership", "membership", err)
	}
	return m, nil
}

// DeleteMembership removes userID from orgID.
func (t *txn) DeleteMembership(orgID, userID string) error {
	return t.execOne("delete membership", "membership",
		`DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
}

// ListMemberships returns the user's memberships ordered by organization id.
func (t *txn) ListMemberships(userID string) ([]*keyhouse.Membership, error) {
	rows, err := t.query(
		`SELECT org_id, user_id, roles FROM memberships WHERE user_id = ? ORDER BY org_id`, userID)
	if err != nil {
		return nil, translate("list memberships", "membership", err)
	}
	ms, err := scanAll(rows, scanMembership)
	if err != nil {
		return nil, translate("list memberships", "membership", err)
	}
	return ms, nil
}

func scanMembership(s scanner) (*keyhouse.Membership, error) {
	var m keyhouse.Membership
	var roles string
	if err := s.Scan(&m.OrgID, &m.UserID, &roles); err != nil {
		return nil, err
	}
	m.Roles = keyhouse.RolesFromString(roles)
	return &m, nil
}

// ListMembers returns the organization's users ordered by e-mail address.
func (t *txn) ListMembers(orgID string) ([]*keyhouse.Member, error) {
	rows, err := t.query(`SELECT u.id, u.email, m.roles, u.status, u.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY u.email`, orgID)
	if err != nil {
		return nil, translate("list members", "member", err)
	}
	ms, err := scanAll(rows, func(s scanner) (*keyhouse.Member, error) {
		var m keyhouse.Member
		var roles string
		var created int64
		if err := s.Scan(&m.ID, &m.Email, &roles, &m.Status, &created); err != nil {
			return nil, err
		}
		m.Roles = keyhouse.RolesFromString(roles)
		m.CreatedAt = fromMicros(created)
		return &m, nil
	})
	if err != nil {
		return nil, translate("list members", "member", err)
	}
	return ms, nil
}

// CountOwners counts the active users holding the owner role in orgID.
func (t *txn) CountOwners(orgID string) (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND u.status = ? AND (',' || m.roles || ',') LIKE ?`,
		orgID, string(keyhouse.UserActive), "%,"+string(keyhouse.RoleOwner)+",%").Scan(&n)
	if err != nil {
		return 0, translate("count owners", "owner", err)
	}
	return n, nil
}
