package service

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"keyhouse"
)

// lifecycleEvery is how often Run does the key lifecycle's work;
// announceEvery, how often it puts the keys that expired in the
// revocation feed.
const (
	lifecycleEvery = time.Minute
	announceEvery  = 500 * time.Millisecond
)

// AnnounceExpiries puts the keys that expired by now in the revocation
// feed (revoked at their expiry), each once whatever the number of
// instances, and wakes this instance's followers (a notice wakes the
// others'): a verifier that follows the feed refuses an expired or rolled
// key's tokens as a deleted key's. This instance refuses them already by
// its clock. Run calls it every announceEvery.
func (s *Service) AnnounceExpiries(ctx context.Context) error {
	now := s.now()
	due := false
	err := s.store.View(ctx, func(tx Tx) (err error) { // nearly always nothing: no write
		due, err = tx.ExpiriesDue(now)
		return err
	})
	if err != nil || !due {
		return err
	}
	var ids []string
	err = s.store.Update(ctx, func(tx Tx) (err error) {
		ids, err = tx.AnnounceExpiries(now)
		return err
	})
	if err != nil {
		return fmt.Errorf("announce expiries: %w", err)
	}
	if len(ids) > 0 {
		s.plane.Changed()
	}
	return nil
}

// remindDays are the reminders an expiring key's Owners get: a week
// ahead, then a day ahead.
var remindDays = []int{7, 1}

// keysPage is the console's API Keys page, which the reminders link to.
const keysPage = "/admin/product-configuration/system-settings/api-keys"

// KeyLifecycle does the key lifecycle's periodic work: it deletes the
// keys whose roll's grace has ended (a deletion like any other: every
// instance hears it), and, with a Mailer, e-mails the Owners of keys that
// expire within 7 days, and again within a day, each reminder once
// whatever the number of instances. Run calls it every lifecycleEvery.
func (s *Service) KeyLifecycle(ctx context.Context) error {
	ctx, cancel := background(ctx)
	defer cancel()
	now := s.now()
	if err := s.endRolls(ctx, now); err != nil {
		return err
	}
	if s.cfg.Mailer == nil {
		return nil
	}
	return s.remindExpiring(ctx, now)
}

// endRolls deletes the rolled keys whose grace ended before now. They
// stopped working at that moment already (the index compares expiries
// with the clock); this takes them out of the list.
func (s *Service) endRolls(ctx context.Context, now time.Time) error {
	var ended []*keyhouse.APIKey
	err := s.store.View(ctx, func(tx Tx) (err error) {
		ended, err = tx.EndedRolls(now)
		return err
	})
	if err != nil {
		return fmt.Errorf("list ended rolls: %w", err)
	}
	for _, k := range ended {
		err := s.store.Update(ctx, func(tx Tx) error {
			if err := tx.DeleteKey(k.KeyID, *k.ExpiresAt); err != nil {
				return err
			}
			return tx.AppendAudit(&keyhouse.AuditEvent{
				Time: now, OrgID: k.OrgID, Environment: k.Environment, Actor: "keyhouse",
				Action: keyhouse.ActionKeyDeleted, Target: k.KeyID,
			})
		})
		if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
			continue // another instance was first
		} else if err != nil {
			return fmt.Errorf("end roll: %w", err)
		}
		s.revoked(k.KeyID)
	}
	return nil
}

// remindExpiring e-mails the reminders that are due at now.
func (s *Service) remindExpiring(ctx context.Context, now time.Time) error {
	var ks []*keyhouse.APIKey
	err := s.store.View(ctx, func(tx Tx) (err error) {
		ks, err = tx.ExpiringKeys(now, now.Add(keyhouse.LifetimeDays(remindDays[0])))
		return err
	})
	if err != nil {
		return fmt.Errorf("list expiring keys: %w", err)
	}
	for _, k := range ks {
		days := dueReminder(k, now)
		if days == 0 {
			continue
		}
		if err := s.remind(ctx, k, days); err != nil {
			return err
		}
	}
	return nil
}

// dueReminder is the reminder due for k at now (7 or 1), or 0 when it was
// sent already.
func dueReminder(k *keyhouse.APIKey, now time.Time) int {
	due := 0
	for _, d := range remindDays {
		if k.ExpiresAt.Sub(now) <= keyhouse.LifetimeDays(d) {
			due = d
		}
	}
	if k.RemindedDays != 0 && k.RemindedDays <= due {
		return 0
	}
	return due
}

// remind claims k's reminder of days and e-mails it to every active
// Owner of k's organization. A failed e-mail is logged, not retried.
func (s *Service) remind(ctx context.Context, k *keyhouse.APIKey, days int) error {
	var org *keyhouse.Organization
	var owners []string
	claimed := false
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		if claimed, err = tx.ClaimExpiryReminder(k.KeyID, days); err != nil || !claimed {
			return err
		}
		if org, err = tx.FindOrg(k.OrgID); err != nil {
			return err
		}
		owners, err = activeOwners(tx, k.OrgID)
		return err
	})
	if err != nil || !claimed {
		return err
	}
	description := ""
	if k.Description != nil {
		description = *k.Description
	}
	for _, to := range owners {
		m := &keyhouse.ExpiryMail{
			To: to, OrganizationName: org.Name, Environment: k.Environment, ClientID: k.ClientID,
			KeyID: k.KeyID, Description: description, ExpiresAt: *k.ExpiresAt, SentAt: s.now(),
			URL: s.cfg.BaseURL + keysPage + "?env=" + url.QueryEscape(string(k.Environment)),
		}
		if err := s.cfg.Mailer.SendExpiry(ctx, m); err != nil {
			s.cfg.Logger.Warn("e-mail expiry reminder", "api_key_id", k.KeyID, "days", days, "err", err)
		}
	}
	return nil
}

// activeOwners returns the e-mail addresses of the organization's active
// Owners.
func activeOwners(tx Tx, orgID string) ([]string, error) {
	ms, err := tx.ListMembers(orgID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.Status == keyhouse.UserActive && m.Roles.Has(keyhouse.RoleOwner) {
			out = append(out, m.Email)
		}
	}
	return out, nil
}
