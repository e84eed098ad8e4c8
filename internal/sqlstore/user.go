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

const membershipColumns = `id, org_id, user_id, roles, status, created_at`

// PutMembership inserts m, or replaces the roles of the membership of
// m.UserID in m.OrgID (its id, status and creation time stay).
func (t *txn) PutMembership(m *keyhouse.Membership) error {
	m.CreatedAt = stored(m.CreatedAt)
	_, err := t.exec(`INSERT INTO memberships (`+membershipColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET roles = excluded.roles`,
		m.ID, m.OrgID, m.UserID, m.Roles.String(), string(m.Status), micros(m.CreatedAt))
	return translate("put membership", "membership", err)
}

// ActivateMembership makes the membership of userID in orgID active: its
// invitation was accepted.
func (t *txn) ActivateMembership(orgID, userID string) error {
	return t.execOne("activate membership", "membership",
		`UPDATE memberships SET status = ? WHERE org_id = ? AND user_id = ?`,
		string(keyhouse.UserActive), orgID, userID)
}

// FindMembership returns the membership of userID in orgID, pending or
// active.
func (t *txn) FindMembership(orgID, userID string) (*keyhouse.Membership, error) {
	return t.findMembership("find membership", `org_id = ? AND user_id = ?`, orgID, userID)
}

// FindMembershipByID returns the membership with the given id.
func (t *txn) FindMembershipByID(id string) (*keyhouse.Membership, error) {
	return t.findMembership("find membership by id", `id = ?`, id)
}

func (t *txn) findMembership(op, where string, args ...any) (*keyhouse.Membership, error) {
	m, err := scanMembership(t.queryRow(`SELECT `+membershipColumns+` FROM memberships WHERE `+where, args...))
	if err != nil {
		return nil, translate(op, "membership", err)
	}
	return m, nil
}

// DeleteMembership removes userID from orgID.
func (t *txn) DeleteMembership(orgID, userID string) error {
	return t.execOne("delete membership", "membership",
		`DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
}

// ListMemberships returns the user's active memberships (the ones it may
// sign in to) ordered by organization id. Pending invitations are not
// memberships yet.
func (t *txn) ListMemberships(userID string) ([]*keyhouse.Membership, error) {
	rows, err := t.query(`SELECT `+membershipColumns+` FROM memberships
		WHERE user_id = ? AND status = ? ORDER BY org_id`, userID, string(keyhouse.UserActive))
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
	var created int64
	if err := s.Scan(&m.ID, &m.OrgID, &m.UserID, &roles, &m.Status, &created); err != nil {
		return nil, err
	}
	m.Roles = keyhouse.RolesFromString(roles)
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

// ListMembers returns the organization's members ordered by e-mail
// address, each as this organization sees it: the membership's id and
// invitation time, and pending until both the membership and the account
// are active. Nothing of the account's other organizations shows.
func (t *txn) ListMembers(orgID string) ([]*keyhouse.Member, error) {
	rows, err := t.query(`SELECT m.id, u.email, m.roles,
		CASE WHEN m.status = ? AND u.status = ? THEN 'active' ELSE 'pending' END, m.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY u.email`, string(keyhouse.UserActive), string(keyhouse.UserActive), orgID)
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

// CountOwners counts the active users holding the owner role in orgID
// through an active membership.
func (t *txn) CountOwners(orgID string) (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.status = ? AND u.status = ? AND (',' || m.roles || ',') LIKE ?`,
		orgID, string(keyhouse.UserActive), string(keyhouse.UserActive), "%,"+string(keyhouse.RoleOwner)+",%").Scan(&n)
	if err != nil {
		return 0, translate("count owners", "owner", err)
	}
	return n, nil
}
