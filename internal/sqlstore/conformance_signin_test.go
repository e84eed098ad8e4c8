package sqlstore

import (
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

func testThrottlePruning(t *testing.T, s *Store) {
	put := []keyhouse.Throttle{
		{Key: "pair:aa/192.0.2.1", Failures: 1, UpdatedAt: t0.Add(-2 * time.Hour)},                                            // idle: goes
		{Key: "pair:aa/192.0.2.2", Failures: 12, UpdatedAt: t0.Add(-2 * time.Hour), LockedUntil: t0.Add(time.Minute)},         // still locked: stays
		{Key: "pair:bb/192.0.2.1", Failures: 1, UpdatedAt: t0.Add(-time.Minute)},                                              // recent: stays
		{Key: "source:192.0.2.1", Failures: 30, UpdatedAt: t0.Add(-90 * time.Minute), LockedUntil: t0.Add(-75 * time.Minute)}, // lock over, idle: goes
	}
	MustUpdate(t, s, func(tx service.Tx) error {
		for _, th := range put {
			if err := tx.PutThrottle(th); err != nil {
				return err
			}
		}
		return tx.PruneThrottles(t0.Add(-time.Hour), t0)
	})
	MustView(t, s, func(tx service.Tx) error {
		for i, th := range put {
			got, err := tx.FindThrottle(th.Key)
			if err != nil {
				return err
			}
			if kept := got.Failures != 0; kept != (i == 1 || i == 2) {
				t.Errorf("%s kept = %v after pruning", th.Key, kept)
			}
		}
		return nil
	})
	MustUpdate(t, s, func(tx service.Tx) error {
		n, err := tx.DeleteThrottles("pair:aa/")
		MustEqual(t, "DeleteThrottles count", n, 1)
		return err
	})
	MustView(t, s, func(tx service.Tx) error {
		got, err := tx.FindThrottle("pair:bb/192.0.2.1")
		MustEqual(t, "another account's record after DeleteThrottles", got.Failures, 1)
		return err
	})
}

func testAuditPruning(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	MustUpdate(t, s, func(tx service.Tx) error {
		for i := range 6 {
			evs := []*keyhouse.AuditEvent{
				{Time: t0, Actor: "anonymous", Action: keyhouse.ActionSigninFailed, Target: string(rune('a' + i))},
				{Time: t0, OrgID: org.ID, Actor: "anonymous", Action: keyhouse.ActionSigninFailed},
				{Time: t0, Actor: "operator", Action: keyhouse.ActionSigningKeyRotated},
			}
			for _, ev := range evs {
				if err := tx.AppendAudit(ev); err != nil {
					return err
				}
			}
		}
		return tx.PruneAudit(keyhouse.ActionSigninFailed, 2)
	})
	MustView(t, s, func(tx service.Tx) error {
		all, err := tx.ListAudit(keyhouse.AuditFilter{Limit: 100})
		if err != nil {
			return err
		}
		var targets []string
		rotations := 0
		for _, ev := range all {
			switch ev.Action {
			case keyhouse.ActionSigninFailed:
				targets = append(targets, ev.Target)
			case keyhouse.ActionSigningKeyRotated:
				rotations++
			}
		}
		MustEqual(t, "deployment-wide failed sign-ins kept, newest first", targets, []string{"f", "e"})
		MustEqual(t, "other deployment-wide events kept", rotations, 6)
		mine, err := tx.ListAudit(keyhouse.AuditFilter{OrgID: org.ID, Limit: 100})
		MustEqual(t, "an organization's events kept", len(mine), 6)
		return err
	})
}

func testSignInStates(t *testing.T, s *Store) {
	use := func(id string, expires time.Time) (ok bool) {
		MustUpdate(t, s, func(tx service.Tx) (err error) {
			ok, err = tx.UseSignInState(id, expires)
			return err
		})
		return ok
	}
	if !use("st_1", t0) || !use("st_2", t0.Add(time.Minute)) {
		t.Fatal("first use refused")
	}
	if use("st_1", t0) {
		t.Error("second use of st_1 allowed")
	}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.PruneSignInStates(t0.Add(time.Second)) })
	if !use("st_1", t0) {
		t.Error("st_1 still recorded after it expired and was pruned")
	}
	if use("st_2", t0.Add(time.Minute)) {
		t.Error("st_2 forgotten before it expired")
	}
}
