package sqlstore

import (
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

func testOrgs(t *testing.T, s *Store) {
	a := &keyhouse.Organization{ID: "org_b", Name: "Beta", State: keyhouse.OrgPending, CreatedAt: t0}
	b := &keyhouse.Organization{ID: "org_a", Name: "Alpha", State: keyhouse.OrgPending, CreatedAt: t0.Add(time.Second)}
	MustUpdate(t, s, func(tx service.Tx) error {
		if err := tx.CreateOrg(a); err != nil {
			return err
		}
		if err := tx.CreateOrg(b); err != nil {
			return err
		}
		return tx.SetOrgState(a.ID, keyhouse.OrgActive)
	})
	err := s.Update(t.Context(), func(tx service.Tx) error {
		return tx.CreateOrg(&keyhouse.Organization{ID: a.ID, Name: "again", State: keyhouse.OrgPending})
	})
	MustFail(t, err, keyhouse.ECONFLICT)

	MustUpdate(t, s, func(tx service.Tx) error {
		got, err := tx.FindOrg(a.ID)
		if err != nil {
			return err
		}
		a.State = keyhouse.OrgActive
		MustEqual(t, "FindOrg", got, a)
		_, err = tx.FindOrg("org_missing")
		MustFail(t, err, keyhouse.ENOTFOUND)
		MustFail(t, tx.SetOrgState("org_missing", keyhouse.OrgActive), keyhouse.ENOTFOUND)
		all, err := tx.ListOrgs()
		if err != nil {
			return err
		}
		MustEqual(t, "ListOrgs (oldest first)", all, []*keyhouse.Organization{a, b})
		return nil
	})
}

func testUsers(t *testing.T, s *Store) {
	u := MustCreateUser(t, s, "ada@example.com", keyhouse.UserPending)
	err := s.Update(t.Context(), func(tx service.Tx) error {
		return tx.CreateUser(&keyhouse.User{ID: keyhouse.NewID("usr"), Email: u.Email, Status: keyhouse.UserPending, CreatedAt: t0})
	})
	MustFail(t, err, keyhouse.ECONFLICT)

	u.Status = keyhouse.UserActive
	u.PasswordHash = "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"
	u.TOTPSecret = "sealed"
	u.TOTPLastStep = 58312345
	MustUpdate(t, s, func(tx service.Tx) error { return tx.UpdateUser(u) })

	MustUpdate(t, s, func(tx service.Tx) error {
		got, err := tx.FindUserByID(u.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "FindUserByID", got, u)
		got, err = tx.FindUserByEmail(u.Email)
		if err != nil {
			return err
		}
		MustEqual(t, "FindUserByEmail", got, u)
		_, err = tx.FindUserByID("usr_missing")
		MustFail(t, err, keyhouse.ENOTFOUND)
		_, err = tx.FindUserByEmail("nobody@example.com")
		MustFail(t, err, keyhouse.ENOTFOUND)
		MustFail(t, tx.UpdateUser(&keyhouse.User{ID: "usr_missing", Status: keyhouse.UserActive}), keyhouse.ENOTFOUND)
		return nil
	})
}

func testMemberships(t *testing.T, s *Store) {
	org1, org2 := MustCreateOrg(t, s), MustCreateOrg(t, s)
	if org2.ID < org1.ID {
		org1, org2 = org2, org1
	}
	zed := MustCreateMember(t, s, org1, "zed@example.com", keyhouse.UserActive, keyhouse.RoleView)
	amy := MustCreateMember(t, s, org1, "amy@example.com", keyhouse.UserPending, keyhouse.RoleAdmin, keyhouse.RoleOwner)
	zed2 := &keyhouse.Membership{ID: "mem_zed2", OrgID: org2.ID, UserID: zed.ID, Roles: keyhouse.Roles{keyhouse.RoleStandard}, Status: keyhouse.UserActive, CreatedAt: t0.Add(time.Hour)}
	pending := &keyhouse.Membership{ID: "mem_amy2", OrgID: org2.ID, UserID: amy.ID, Roles: keyhouse.Roles{keyhouse.RoleView}, Status: keyhouse.UserPending, CreatedAt: t0}
	MustUpdate(t, s, func(tx service.Tx) error {
		for _, m := range []*keyhouse.Membership{zed2, pending} {
			if err := tx.PutMembership(m); err != nil {
				return err
			}
		}
		// Replace: zed becomes an admin of org1; its id, status and time stay.
		return tx.PutMembership(&keyhouse.Membership{ID: "mem_other", OrgID: org1.ID, UserID: zed.ID, Roles: keyhouse.Roles{keyhouse.RoleAdmin}, Status: keyhouse.UserPending})
	})
	MustUpdate(t, s, func(tx service.Tx) error {
		m, err := tx.FindMembership(org1.ID, amy.ID)
		if err != nil {
			return err
		}
		amy1 := &keyhouse.Membership{ID: memberID(org1, amy), OrgID: org1.ID, UserID: amy.ID, Roles: keyhouse.Roles{keyhouse.RoleOwner, keyhouse.RoleAdmin}, Status: keyhouse.UserPending, CreatedAt: t0}
		MustEqual(t, "FindMembership", m, amy1)
		m, err = tx.FindMembershipByID(pending.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "FindMembershipByID (pending)", m, pending)
		_, err = tx.FindMembershipByID("mem_missing")
		MustFail(t, err, keyhouse.ENOTFOUND)
		_, err = tx.FindMembership(org2.ID, "usr_missing")
		MustFail(t, err, keyhouse.ENOTFOUND)

		// ListMemberships: the active ones only.
		ms, err := tx.ListMemberships(zed.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "ListMemberships", ms, []*keyhouse.Membership{
			{ID: memberID(org1, zed), OrgID: org1.ID, UserID: zed.ID, Roles: keyhouse.Roles{keyhouse.RoleAdmin}, Status: keyhouse.UserActive, CreatedAt: t0},
			zed2,
		})
		if ms, err = tx.ListMemberships(amy.ID); err != nil || len(ms) != 0 {
			t.Errorf("ListMemberships of a user with pending memberships only = %v, %v", ms, err)
		}

		// ListMembers: as the organization sees them.
		members, err := tx.ListMembers(org1.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "ListMembers (by e-mail)", members, []*keyhouse.Member{
			{ID: memberID(org1, amy), Email: amy.Email, Roles: keyhouse.Roles{keyhouse.RoleOwner, keyhouse.RoleAdmin}, Status: keyhouse.UserPending, CreatedAt: t0},
			{ID: memberID(org1, zed), Email: zed.Email, Roles: keyhouse.Roles{keyhouse.RoleAdmin}, Status: keyhouse.UserActive, CreatedAt: t0},
		})

		// ActivateMembership: amy accepts org2's invitation; org2 sees her
		// pending still, since her account is not active.
		if err := tx.ActivateMembership(org2.ID, amy.ID); err != nil {
			return err
		}
		MustFail(t, tx.ActivateMembership(org2.ID, "usr_missing"), keyhouse.ENOTFOUND)
		if ms, err = tx.ListMemberships(amy.ID); err != nil || len(ms) != 1 || ms[0].OrgID != org2.ID {
			t.Errorf("ListMemberships after accepting = %v, %v", ms, err)
		}
		members, err = tx.ListMembers(org2.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "ListMembers of org2", members, []*keyhouse.Member{
			{ID: pending.ID, Email: amy.Email, Roles: pending.Roles, Status: keyhouse.UserPending, CreatedAt: t0},
			{ID: zed2.ID, Email: zed.Email, Roles: zed2.Roles, Status: keyhouse.UserActive, CreatedAt: zed2.CreatedAt},
		})

		if err := tx.DeleteMembership(org1.ID, zed.ID); err != nil {
			return err
		}
		MustFail(t, tx.DeleteMembership(org1.ID, zed.ID), keyhouse.ENOTFOUND)
		members, err = tx.ListMembers(org1.ID)
		if err != nil || len(members) != 1 {
			t.Errorf("ListMembers after delete = %d, %v; want 1", len(members), err)
		}
		return nil
	})
}

func testCountOwners(t *testing.T, s *Store) {
	org, other := MustCreateOrg(t, s), MustCreateOrg(t, s)
	MustCreateMember(t, s, org, "owner@example.com", keyhouse.UserActive, keyhouse.RoleOwner)
	MustCreateMember(t, s, org, "both@example.com", keyhouse.UserActive, keyhouse.RoleOwner, keyhouse.RoleAdmin)
	MustCreateMember(t, s, org, "pending@example.com", keyhouse.UserPending, keyhouse.RoleOwner)
	MustCreateMember(t, s, org, "admin@example.com", keyhouse.UserActive, keyhouse.RoleAdmin, keyhouse.RoleView)
	MustCreateMember(t, s, other, "elsewhere@example.com", keyhouse.UserActive, keyhouse.RoleOwner)
	invited := MustCreateMember(t, s, other, "invited@example.com", keyhouse.UserActive, keyhouse.RoleView)
	MustUpdate(t, s, func(tx service.Tx) error { // an active account, invited but not in yet
		return tx.PutMembership(&keyhouse.Membership{ID: "mem_invited", OrgID: org.ID, UserID: invited.ID, Roles: keyhouse.Roles{keyhouse.RoleOwner}, Status: keyhouse.UserPending, CreatedAt: t0})
	})

	tests := []struct {
		org  string
		want int
	}{
		{org.ID, 2}, // not the pending owner, not the invited one, not the admin
		{other.ID, 1},
		{"org_missing", 0},
	}
	MustView(t, s, func(tx service.Tx) error {
		for _, tt := range tests {
			n, err := tx.CountOwners(tt.org)
			if err != nil || n != tt.want {
				t.Errorf("CountOwners(%s) = %d, %v; want %d", tt.org, n, err, tt.want)
			}
		}
		return nil
	})
}

func testLinks(t *testing.T, s *Store) {
	link := func(hash, purpose, user string) *keyhouse.Link {
		return &keyhouse.Link{TokenHash: []byte(hash), Purpose: purpose, UserID: user, OrgID: "org_x", ExpiresAt: t0.Add(keyhouse.ActivationTTL)}
	}
	act1 := link("act1", keyhouse.LinkActivation, "usr_1")
	act1b := link("act1b", keyhouse.LinkActivation, "usr_1")
	act2 := link("act2", keyhouse.LinkActivation, "usr_2")
	act3 := link("act3", keyhouse.LinkActivation, "usr_3")
	act3.OrgID = "org_y" // another organization's invitation of usr_3
	setup1, setup2 := link("setup1", keyhouse.LinkSetup, ""), link("setup2", keyhouse.LinkSetup, "")
	MustUpdate(t, s, func(tx service.Tx) error {
		for _, l := range []*keyhouse.Link{act1, act1b, act2, act3, setup1, setup2} {
			if err := tx.CreateLink(l); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(t.Context(), func(tx service.Tx) error { return tx.CreateLink(link("act1", keyhouse.LinkSetup, "")) })
	MustFail(t, err, keyhouse.ECONFLICT)

	used := t0.Add(time.Minute)
	MustUpdate(t, s, func(tx service.Tx) error {
		got, err := tx.FindLink(act1.TokenHash)
		if err != nil {
			return err
		}
		MustEqual(t, "FindLink", got, act1)
		return tx.UseLink(act1.TokenHash, used)
	})
	err = s.Update(t.Context(), func(tx service.Tx) error { return tx.UseLink(act1.TokenHash, used.Add(time.Second)) })
	MustFail(t, err, keyhouse.ECONFLICT)
	err = s.Update(t.Context(), func(tx service.Tx) error { return tx.UseLink([]byte("missing"), used) })
	MustFail(t, err, keyhouse.ENOTFOUND)

	// DeleteLinks removes the unused links of one user, organization and
	// purpose, or of every user; used links stay, as a record.
	MustUpdate(t, s, func(tx service.Tx) error {
		if err := tx.DeleteLinks(keyhouse.LinkActivation, "usr_1", "org_x"); err != nil {
			return err
		}
		if err := tx.DeleteLinks(keyhouse.LinkActivation, "usr_3", "org_x"); err != nil {
			return err
		}
		return tx.DeleteLinks(keyhouse.LinkSetup, "", "")
	})
	MustView(t, s, func(tx service.Tx) error {
		got, err := tx.FindLink(act1.TokenHash)
		if err != nil {
			return err
		}
		act1.UsedAt = &used
		MustEqual(t, "used link", got, act1)
		for _, l := range []*keyhouse.Link{act1b, setup1, setup2} {
			_, err := tx.FindLink(l.TokenHash)
			MustFail(t, err, keyhouse.ENOTFOUND)
		}
		if _, err = tx.FindLink(act3.TokenHash); err != nil {
			t.Errorf("org_x's DeleteLinks removed org_y's link: %v", err)
		}
		_, err = tx.FindLink(act2.TokenHash)
		return err
	})
}

func testSessions(t *testing.T, s *Store) {
	org1, org2 := MustCreateOrg(t, s), MustCreateOrg(t, s)
	ada := MustCreateUser(t, s, "ada@example.com", keyhouse.UserActive)
	bob := MustCreateUser(t, s, "bob@example.com", keyhouse.UserActive)
	session := func(hash string, u *keyhouse.User, o *keyhouse.Organization) *keyhouse.Session {
		return &keyhouse.Session{TokenHash: []byte(hash), UserID: u.ID, OrgID: o.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(keyhouse.SessionAbsolute)}
	}
	ada1, ada1b, ada2, bob1 := session("ada1", ada, org1), session("ada1b", ada, org1), session("ada2", ada, org2), session("bob1", bob, org1)
	MustUpdate(t, s, func(tx service.Tx) error {
		for _, se := range []*keyhouse.Session{ada1, ada1b, ada2, bob1} {
			if err := tx.CreateSession(se); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(t.Context(), func(tx service.Tx) error { return tx.CreateSession(session("ada1", bob, org2)) })
	MustFail(t, err, keyhouse.ECONFLICT)

	seen := t0.Add(5 * time.Minute)
	MustUpdate(t, s, func(tx service.Tx) error {
		if err := tx.TouchSession(ada1.TokenHash, seen); err != nil {
			return err
		}
		MustFail(t, tx.TouchSession([]byte("missing"), seen), keyhouse.ENOTFOUND)
		got, err := tx.FindSession(ada1.TokenHash)
		if err != nil {
			return err
		}
		ada1.LastSeenAt = seen
		MustEqual(t, "FindSession", got, ada1)

		if err := tx.DeleteSession(bob1.TokenHash); err != nil {
			return err
		}
		if err := tx.DeleteSession(bob1.TokenHash); err != nil {
			t.Errorf("DeleteSession of a gone session: %v", err)
		}
		_, err = tx.FindSession(bob1.TokenHash)
		MustFail(t, err, keyhouse.ENOTFOUND)
		return nil
	})

	exists := func(tx service.Tx, se *keyhouse.Session) bool {
		_, err := tx.FindSession(se.TokenHash)
		if err != nil && keyhouse.ErrorCode(err) != keyhouse.ENOTFOUND {
			t.Fatalf("FindSession: %v", err)
		}
		return err == nil
	}
	MustUpdate(t, s, func(tx service.Tx) error {
		if err := tx.DeleteUserSessions(ada.ID, org1.ID); err != nil {
			return err
		}
		if exists(tx, ada1) || exists(tx, ada1b) || !exists(tx, ada2) {
			t.Errorf("DeleteUserSessions(ada, org1) left org1 sessions or removed org2's")
		}
		if err := tx.CreateSession(session("bob2", bob, org2)); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ada.ID, ""); err != nil {
			return err
		}
		if exists(tx, ada2) || !exists(tx, session("bob2", bob, org2)) {
			t.Errorf("DeleteUserSessions(ada, \"\") left ada's sessions or removed bob's")
		}
		return nil
	})
}

func testThrottles(t *testing.T, s *Store) {
	locked := keyhouse.Throttle{Key: "ip:192.0.2.1", Failures: 5, LockedUntil: t0.Add(15 * time.Minute), UpdatedAt: t0}
	counting := keyhouse.Throttle{Key: "user:ada@example.com", Failures: 1, UpdatedAt: t0}
	MustUpdate(t, s, func(tx service.Tx) error {
		got, err := tx.FindThrottle("nobody")
		if err != nil {
			return err
		}
		MustEqual(t, "FindThrottle (none)", got, keyhouse.Throttle{Key: "nobody"})
		if err := tx.PutThrottle(locked); err != nil {
			return err
		}
		return tx.PutThrottle(counting)
	})
	MustUpdate(t, s, func(tx service.Tx) error {
		for _, want := range []keyhouse.Throttle{locked, counting} {
			got, err := tx.FindThrottle(want.Key)
			if err != nil {
				return err
			}
			MustEqual(t, "FindThrottle", got, want)
		}
		counting.Failures, counting.UpdatedAt = 2, t0.Add(time.Second)
		if err := tx.PutThrottle(counting); err != nil {
			return err
		}
		got, err := tx.FindThrottle(counting.Key)
		if err != nil {
			return err
		}
		MustEqual(t, "FindThrottle after replace", got, counting)
		if err := tx.DeleteThrottle(locked.Key); err != nil {
			return err
		}
		if err := tx.DeleteThrottle(locked.Key); err != nil {
			t.Errorf("DeleteThrottle of a gone record: %v", err)
		}
		got, err = tx.FindThrottle(locked.Key)
		if err != nil {
			return err
		}
		MustEqual(t, "FindThrottle after delete", got, keyhouse.Throttle{Key: locked.Key})
		return nil
	})
}
